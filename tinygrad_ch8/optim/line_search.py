"""Optim: line searches, the step-length choice shared by every method of section 8.6.

A descent method picks a direction d at θ and then a step length α along it. Seen along
the line, the loss is a function of one variable,

    φ(α) = J(θ + α d),        φ'(α) = ∇J(θ + α d)ᵀ d,

and both searches here are written on that function alone: ``phi(alpha)`` returns
``(φ(α), φ'(α))``. Nonlinear conjugate gradients, BFGS, L-BFGS, Newton and Newton-CG all
reuse them. A direction of descent has φ'(0) < 0.

* ``strong_wolfe``: a step satisfying the strong Wolfe conditions (Nocedal & Wright,
  *Numerical Optimization*, 2006, Algorithms 3.5 and 3.6)

      sufficient decrease   φ(α) ≤ φ(0) + c1 α φ'(0)
      curvature             |φ'(α)| ≤ c2 |φ'(0)|

  found by growing α until an interval is bracketed that must contain such a step, then
  zooming in on it by cubic interpolation. c1 = 1e-4 always; c2 = 0.9 for (quasi-)Newton
  directions, whose natural step 1 is then usually accepted, and c2 = 0.1 for conjugate
  gradients, which need a nearly exact line minimum to stay conjugate.
* ``backtracking``: Armijo's rule. Start at α0 and shrink α (by cubic/quadratic
  interpolation, kept within [0.1 α, 0.5 α]) until sufficient decrease holds.

Both return a ``LineSearchResult`` that says how many times φ was evaluated. Each
evaluation of φ costs one loss and one gradient.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

Phi = Callable[[float], tuple[float, float]]


@dataclasses.dataclass
class LineSearchResult:
    """The accepted step ``alpha`` with φ(alpha) and φ'(alpha), and how the search went.

    ``success`` is False when the search ran out of evaluations or the interval shrank to
    nothing; ``alpha`` is then the best step that decreased φ (0 when none did).
    """

    alpha: float
    value: float
    derivative: float
    evaluations: int
    success: bool


def cubic_minimizer(a: float, fa: float, ga: float, b: float, fb: float, gb: float) -> float | None:
    """The minimizer of the cubic through (a, fa) and (b, fb) with slopes ga and gb.

    On s = (t − a)/(b − a) the cubic is c(s) = fa + g s + c₂ s² + c₃ s³ with g = ga (b − a),
    c₃ = g + gb (b − a) − 2 (fb − fa) and c₂ = 3 (fb − fa) − 2g − gb (b − a). Its minimizer
    solves c′(s) = 0 with c″(s) > 0: s = (−c₂ + √D)/(3c₃), D = c₂² − 3c₃ g, written as
    s = −g/(c₂ + √D) when c₂ > 0 so that neither form cancels to 0/0. (Nocedal & Wright's
    Eq. 3.59 is the same root, but it gives 0/0 on some exact cubics.) Returns None when the
    cubic has no minimizer (D < 0, or it is a concave quadratic) or a ≠ b does not hold.
    """
    if a == b:
        return None
    width = b - a
    g, g_end, rise = ga * width, gb * width, fb - fa
    c3 = g + g_end - 2 * rise
    c2 = 3 * rise - 2 * g - g_end
    discriminant = c2 * c2 - 3 * c3 * g
    if discriminant < 0:
        return None
    root = math.sqrt(discriminant)
    if c2 > 0:
        s = -g / (c2 + root)
    elif c3 != 0:
        s = (root - c2) / (3 * c3)
    else:
        return None
    return a + s * width


def _interpolate(
    a: float, fa: float, ga: float, b: float, fb: float, gb: float, low: float, high: float
) -> float:
    """The cubic's minimizer clipped to [low, high]; the midpoint when the cubic has none."""
    candidate = cubic_minimizer(a, fa, ga, b, fb, gb)
    if candidate is None or not math.isfinite(candidate):
        return (low + high) / 2
    return min(max(candidate, low), high)


def strong_wolfe(
    phi: Phi,
    value0: float,
    slope0: float,
    alpha: float = 1.0,
    c1: float = 1e-4,
    c2: float = 0.9,
    alpha_max: float = 1e10,
    max_evaluations: int = 25,
    alpha_tolerance: float = 1e-9,
) -> LineSearchResult:
    """A step length satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5 and 3.6).

    Args:
        phi: ``phi(alpha) -> (φ(α), φ'(α))``, the loss and its slope along the direction.
        value0, slope0: φ(0) and φ'(0) (< 0 for a descent direction).
        alpha: the first trial step (1 for Newton-like directions).
        c1, c2: the sufficient-decrease and curvature constants, 0 < c1 < c2 < 1.
        alpha_max: the longest step tried.
        max_evaluations: the most evaluations of φ.
        alpha_tolerance: give up when the bracket is narrower than this (a caller that wants
            a bound on the change of θ passes it divided by ‖d‖∞).

    Bracketing (Alg. 3.5): try α1 < α2 < ... ; the interval [α_{i−1}, α_i] holds a strong
    Wolfe step as soon as α_i breaks sufficient decrease, fails to lower φ, or has φ'(α_i) ≥ 0.
    Until then the next trial is extrapolated by the cubic through the last two points, kept
    within [α_i + 0.01 (α_i − α_{i−1}), 10 α_i]. Zoom (Alg. 3.6) keeps an interval whose end
    ``lo`` has the lowest φ seen with sufficient decrease and shrinks it by cubic
    interpolation, each new point at least 10% of the interval away from both ends. A NaN
    or infinite φ(α) counts as a failure of sufficient decrease (the test is written
    ``not φ(α) <= bound``), so a step that overflows is shortened, never accepted.
    """
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"strong_wolfe: need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    if slope0 >= 0:
        raise ValueError(
            f"strong_wolfe: the direction is not a descent direction (φ'(0) = {slope0} ≥ 0)"
        )
    previous, previous_value, previous_slope = 0.0, value0, slope0
    alpha = min(alpha, alpha_max)
    evaluations = 0
    while evaluations < max_evaluations:
        value, slope = phi(alpha)
        evaluations += 1
        if not value <= value0 + c1 * alpha * slope0 or (
            evaluations > 1 and value >= previous_value
        ):
            bracket = (previous, previous_value, previous_slope, alpha, value, slope)
            return _zoom(
                phi, value0, slope0, bracket, c1, c2, evaluations, max_evaluations, alpha_tolerance
            )
        if abs(slope) <= -c2 * slope0:
            return LineSearchResult(alpha, value, slope, evaluations, True)
        if slope >= 0:
            bracket = (alpha, value, slope, previous, previous_value, previous_slope)
            return _zoom(
                phi, value0, slope0, bracket, c1, c2, evaluations, max_evaluations, alpha_tolerance
            )
        if alpha >= alpha_max:
            return LineSearchResult(alpha, value, slope, evaluations, False)
        step = alpha - previous
        following = _interpolate(
            previous,
            previous_value,
            previous_slope,
            alpha,
            value,
            slope,
            alpha + 0.01 * step,
            10 * alpha,
        )
        previous, previous_value, previous_slope = alpha, value, slope
        alpha = min(following, alpha_max)
    # out of evaluations while φ was still falling: the last point evaluated has sufficient
    # decrease and the lowest value seen, so it is the best step
    return LineSearchResult(previous, previous_value, previous_slope, evaluations, False)


def _zoom(
    phi: Phi,
    value0: float,
    slope0: float,
    bracket: tuple,
    c1: float,
    c2: float,
    evaluations: int,
    max_evaluations: int,
    alpha_tolerance: float,
) -> LineSearchResult:
    """Algorithm 3.6: shrink [lo, hi] (in either order) around a strong Wolfe step.

    Invariants: ``lo`` satisfies sufficient decrease and has the lowest φ of the points
    that do; φ'(lo) (hi − lo) < 0, so φ falls from lo towards hi.
    """
    lo, lo_value, lo_slope, hi, hi_value, hi_slope = bracket
    while evaluations < max_evaluations and abs(hi - lo) > alpha_tolerance:
        margin = 0.1 * abs(hi - lo)
        alpha = _interpolate(
            lo,
            lo_value,
            lo_slope,
            hi,
            hi_value,
            hi_slope,
            min(lo, hi) + margin,
            max(lo, hi) - margin,
        )
        value, slope = phi(alpha)
        evaluations += 1
        if not value <= value0 + c1 * alpha * slope0 or value >= lo_value:
            hi, hi_value, hi_slope = alpha, value, slope
            continue
        if abs(slope) <= -c2 * slope0:
            return LineSearchResult(alpha, value, slope, evaluations, True)
        if slope * (hi - lo) >= 0:
            hi, hi_value, hi_slope = lo, lo_value, lo_slope
        lo, lo_value, lo_slope = alpha, value, slope
    return LineSearchResult(lo, lo_value, lo_slope, evaluations, False)


def backtracking(
    phi: Phi,
    value0: float,
    slope0: float,
    alpha: float = 1.0,
    c1: float = 1e-4,
    max_evaluations: int = 25,
) -> LineSearchResult:
    """A step from α0 downwards with sufficient decrease φ(α) ≤ φ(0) + c1 α φ'(0) (Armijo's rule).

    Each rejected α is replaced by the minimizer of the cubic through (0, φ(0), φ'(0)) and
    (α, φ(α), φ'(α)), kept within [0.1 α, 0.5 α] so that the search neither stalls nor
    shrinks too fast (Nocedal & Wright, section 3.5). A NaN or infinite φ(α) fails the test
    (every comparison with NaN is false) and its interpolant has no minimizer, so such a trial
    step is shortened to 0.3 α instead of accepted.
    """
    if slope0 >= 0:
        raise ValueError(
            f"backtracking: the direction is not a descent direction (φ'(0) = {slope0} ≥ 0)"
        )
    evaluations = 0
    while evaluations < max_evaluations:
        value, slope = phi(alpha)
        evaluations += 1
        if value <= value0 + c1 * alpha * slope0:
            return LineSearchResult(alpha, value, slope, evaluations, True)
        alpha = _interpolate(0.0, value0, slope0, alpha, value, slope, 0.1 * alpha, 0.5 * alpha)
    return LineSearchResult(0.0, value0, slope0, evaluations, False)


def step_from_last_decrease(
    value: float, previous_value: float | None, slope0: float, gradient_norm: float
) -> float:
    """A first trial step for methods whose directions are not scaled (CG, early BFGS).

    Assume the loss will fall along d by as much as it fell on the last iteration: the
    minimizer of the quadratic through φ(0), φ'(0) with that decrease is
    α0 = 2 (J_t − J_{t−1}) / φ'(0) (Nocedal & Wright, Eq. 3.60); take min(1, 1.01 α0) so
    that a Newton-like step 1 is still tried when it fits. Before the first iteration,
    pretend the last decrease was ‖g‖/2, which moves θ by about 1 along −g.
    """
    if previous_value is None:
        previous_value = value + gradient_norm / 2
    guess = 1.01 * 2 * (value - previous_value) / slope0
    return min(1.0, guess) if guess > 0 else 1.0
