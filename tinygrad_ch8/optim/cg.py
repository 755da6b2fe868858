"""Optim: conjugate gradients, linear (for Newton-CG) and nonlinear (Algorithm 8.9), section 8.6.2.

Linear CG minimizes the quadratic q(x) = ½ xᵀAx − bᵀx, i.e. solves Ax = b for a symmetric
positive definite A, touching A only through products Av. Each direction d_k is
A-conjugate to all earlier ones (d_iᵀA d_k = 0), so minimizing along d_k never undoes the
progress made along d_i, and in exact arithmetic x is exact after at most n steps.
Newton-CG solves (H + λI)p = −g with it, using Hessian-vector products for A.

Nonlinear CG (Algorithm 8.9) applies the same idea to a general loss J: the new direction
is the negative gradient plus β times the old direction,

    d_t = −g_t + β_t d_{t−1},   θ_{t+1} = θ_t + α_t d_t   (α_t from a line search)

with Fletcher–Reeves  β_t = g_tᵀg_t / g_{t−1}ᵀg_{t−1}
or Polak–Ribière      β_t = (g_t − g_{t−1})ᵀg_t / g_{t−1}ᵀg_{t−1}.
On a quadratic with exact line searches both equal linear CG's β.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable

from ..backend import Array
from ..tensor import Tensor
from .descent import (
    TOLERANCE_CHANGE,
    TOLERANCE_GRAD,
    DescentOptimizer,
    LastStep,
    iteration_settings,
    step_from_last_step,
)
from .objective import Objective


# ---------------------------------------------------------------- linear conjugate gradients
@dataclasses.dataclass
class CGResult:
    """The outcome of ``conjugate_gradient``.

    Attributes:
        x: the approximate solution.
        iterations: products Av taken.
        residual_norm: ‖b − Ax‖ at the end.
        negative_curvature: True when a direction with dᵀAd ≤ 0 stopped the iteration.
        curvature: xᵀAx, so that the quadratic's value is q(x) = ½ curvature − bᵀx.
    """

    x: Array
    iterations: int
    residual_norm: float
    negative_curvature: bool
    curvature: float


def conjugate_gradient(
    matvec: Callable, b: Array, max_iter: int | None = None, tol: float = 1e-10
) -> CGResult:
    """Linear conjugate gradients for Ax = b, A symmetric, given only ``matvec(v) = Av``.

    Starting from x = 0, r = b, d = r (Nocedal & Wright, Algorithm 5.2):

        a = rᵀr / dᵀAd;   x ← x + a d;   r ← r − a Ad
        β = r_newᵀr_new / rᵀr;   d ← r + β d

    until ‖r‖ ≤ tol or ``max_iter`` products (default: the dimension n, enough in exact
    arithmetic). Truncated for Newton-CG (Nocedal & Wright, Algorithm 7.1): when a direction
    has dᵀAd ≤ 0, A is not positive definite and q is unbounded along d, so the iteration
    stops and returns the x reached, or b itself (the quadratic's steepest-descent
    direction) if that happens on the very first direction.

    xᵀAx is tracked for free: x is a sum of the a_k d_k, which are A-conjugate, so
    xᵀAx = Σ a_k² d_kᵀAd_k.
    """
    max_iter = b.shape[0] if max_iter is None else max_iter
    x = b * 0
    residual = b.copy()
    direction = residual.copy()
    residual_square = float(residual @ residual)
    curvature = 0.0
    iterations = 0
    while iterations < max_iter and math.sqrt(residual_square) > tol:
        product = matvec(direction)
        iterations += 1
        direction_curvature = float(direction @ product)
        if direction_curvature <= 0:
            if iterations == 1:
                return CGResult(
                    b.copy(), iterations, math.sqrt(residual_square), True, direction_curvature
                )
            return CGResult(x, iterations, math.sqrt(residual_square), True, curvature)
        a = residual_square / direction_curvature
        x = x + a * direction
        curvature += a * a * direction_curvature
        residual = residual - a * product
        new_residual_square = float(residual @ residual)
        direction = residual + (new_residual_square / residual_square) * direction
        residual_square = new_residual_square
    return CGResult(x, iterations, math.sqrt(residual_square), False, curvature)


# ---------------------------------------------------------------- nonlinear conjugate gradients
BETAS = ("polak_ribiere", "fletcher_reeves")


def conjugate_beta(gradient: Array, previous_gradient: Array, rule: str) -> float:
    """β_t by Fletcher–Reeves, or by Polak–Ribière clipped at 0 ("PR+", Powell 1986).

    The clip makes a negative Polak–Ribière β restart along −g; unclipped, PR can cycle
    without converging even with exact line searches (Powell 1984).
    """
    previous_square = float(previous_gradient @ previous_gradient)
    if rule == "fletcher_reeves":
        return float(gradient @ gradient) / previous_square
    return max(0.0, float((gradient - previous_gradient) @ gradient) / previous_square)


class NonlinearCG(DescentOptimizer):
    """Nonlinear conjugate gradients (Algorithm 8.9) with a strong Wolfe line search.

        d_t = −g_t + β_t d_{t−1};   θ ← θ + α_t d_t

    Two corrections to the book: Eq. 8.29 prints d_t = ∇J + β_t d_{t−1}, which climbs;
    the direction is −∇J + β_t d_{t−1}. And Algorithm 8.9 starts from g_0 = 0, so β_1
    divides by zero: here β_1 = 0, i.e. the first step is steepest descent.

    Restarts (d_t = −g_t, forgetting the old directions): every ``restart_every``
    iterations (default: the number of parameters n, after which a quadratic would be
    solved), whenever successive gradients are far from orthogonal,
    |g_tᵀg_{t−1}| ≥ 0.2 ‖g_t‖² (Powell 1977: the directions are no longer conjugate), and
    whenever d_t would not descend. The line search uses c2 = 0.1: conjugacy needs a step
    close to the line minimum (and Fletcher–Reeves needs c2 < ½ to guarantee descent).

    Args:
        params: the parameters (one group).
        beta: ``"polak_ribiere"`` (PR+, the default: it restarts itself when progress
            stalls) or ``"fletcher_reeves"``.
        restart_every: restart period in iterations (None: n).
        max_iter, max_eval, tolerance_grad, tolerance_change: as in ``LBFGS``; each
            ``step(closure)`` runs up to ``max_iter`` iterations.

    Reference: Fletcher & Reeves (1964); Polak & Ribière (1969); Nocedal & Wright,
    *Numerical Optimization* (2006), section 5.2.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> A = tg.Tensor([[3.0, 1.0], [1.0, 2.0]], dtype="float64")
        >>> b = tg.Tensor([1.0, 1.0], dtype="float64")
        >>> w = tg.Tensor([0.0, 0.0], dtype="float64", requires_grad=True)
        >>> def quadratic():  # ½ wᵀAw − bᵀw, minimized at A⁻¹b = (0.2, 0.4)
        ...     return 0.5 * (w * (A @ w)).sum() - (b * w).sum()
        >>> opt = optim.NonlinearCG([w], max_iter=10)
        >>> first_loss = opt.step(quadratic)
        >>> [round(value, 6) for value in w.tolist()], opt.state[0]["n_iter"]  # n = 2 iterations
        ([0.2, 0.4], 2)
    """

    wolfe_c2 = 0.1

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        beta: str = "polak_ribiere",
        restart_every: int | None = None,
        max_iter: int = 1,
        max_eval: int | None = None,
        tolerance_grad: float = TOLERANCE_GRAD,
        tolerance_change: float = TOLERANCE_CHANGE,
    ):
        defaults = {
            "beta": beta,
            "restart_every": restart_every,
            **iteration_settings(
                max_iter, max_eval, tolerance_grad, tolerance_change, "strong_wolfe"
            ),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        if group["beta"] not in BETAS:
            raise ValueError(f"invalid beta: {group['beta']!r} (expected one of {BETAS})")
        if group["restart_every"] is not None and not group["restart_every"] >= 1:
            raise ValueError(
                f"invalid restart_every: {group['restart_every']} (it must be None or >= 1)"
            )
        if group["line_search_fn"] != "strong_wolfe":
            raise ValueError(
                "NonlinearCG needs the strong Wolfe line search to keep its directions conjugate"
            )

    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        group = self.param_groups[0]
        restart_every = group["restart_every"] or gradient.shape[0]
        steepest = -gradient
        if last is None or state["since_restart"] >= restart_every:
            state["since_restart"] = 1
            return steepest
        previous_gradient = last.gradient
        if abs(float(gradient @ previous_gradient)) >= 0.2 * float(gradient @ gradient):
            state["since_restart"] = 1
            return steepest
        d = steepest + conjugate_beta(gradient, previous_gradient, group["beta"]) * last.direction
        if float(gradient @ d) >= 0:
            state["since_restart"] = 1
            return steepest
        state["since_restart"] += 1
        return d

    def initial_step(
        self, value: float, gradient: Array, direction: Array, last: LastStep | None, state: dict
    ) -> float:
        return step_from_last_step(value, gradient, direction, last)
