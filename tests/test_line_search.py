"""Line searches: accepted steps satisfy the (strong) Wolfe / Armijo conditions, evaluations are counted."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
from tinygrad_ch8.optim.line_search import backtracking, cubic_minimizer, strong_wolfe


class CountingPhi:
    """φ(α) with its derivative, counting calls."""

    def __init__(self, value, derivative):
        self.value, self.derivative, self.calls = value, derivative, 0

    def __call__(self, alpha):
        self.calls += 1
        return self.value(alpha), self.derivative(alpha)


def assert_strong_wolfe(phi, alpha, c1, c2):
    value0, slope0 = phi.value(0.0), phi.derivative(0.0)
    assert phi.value(alpha) <= value0 + c1 * alpha * slope0
    assert abs(phi.derivative(alpha)) <= -c2 * slope0


def quartic_line(a, b, c):
    """φ(α) = a α⁴ − b α² − c α + 1 with a > 0, c > 0: φ'(0) = −c < 0, bounded below, maybe non-convex."""
    return CountingPhi(
        lambda t: a * t**4 - b * t**2 - c * t + 1, lambda t: 4 * a * t**3 - 2 * b * t - c
    )


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.01, 100),
    b=st.floats(-10, 10),
    c=st.floats(0.01, 10),
    alpha0=st.floats(1e-4, 1e3),
    c2=st.sampled_from([0.1, 0.9]),
)
def test_strong_wolfe_accepts_only_strong_wolfe_steps(a, b, c, alpha0, c2):
    phi = quartic_line(a, b, c)
    result = strong_wolfe(phi, phi.value(0.0), phi.derivative(0.0), alpha=alpha0, c2=c2)
    assert result.success
    assert_strong_wolfe(phi, result.alpha, 1e-4, c2)
    assert result.evaluations == phi.calls
    assert result.value == pytest.approx(phi.value(result.alpha))
    assert result.derivative == pytest.approx(phi.derivative(result.alpha))


def test_strong_wolfe_extrapolates_from_a_tiny_first_step_and_zooms_from_a_huge_one():
    # φ(α) = (α − 3)²: the exact line minimum is 3
    for alpha0 in (1e-3, 1e3):
        phi = CountingPhi(lambda t: (t - 3) ** 2, lambda t: 2 * (t - 3))
        result = strong_wolfe(phi, 9.0, -6.0, alpha=alpha0, c2=0.1)
        assert result.success
        assert abs(result.alpha - 3) <= 0.1 * 3  # |φ'(α)| ≤ 0.1 |φ'(0)| means |α − 3| ≤ 0.3
        assert result.evaluations == phi.calls


def test_strong_wolfe_rejects_an_ascent_direction():
    with pytest.raises(ValueError, match="descent"):
        strong_wolfe(lambda t: (t, 1.0), 0.0, 1.0)


def overflowing_parabola():
    """φ(α) = (α − 1)², NaN beyond α = 2 (as if the loss overflowed there)."""
    return CountingPhi(
        lambda t: (t - 1) ** 2 if t < 2 else math.nan, lambda t: 2 * (t - 1) if t < 2 else math.nan
    )


def test_strong_wolfe_treats_an_overflowing_step_as_too_long():
    phi = overflowing_parabola()
    result = strong_wolfe(phi, 1.0, -2.0, alpha=10.0)
    assert result.success and result.alpha < 2
    assert_strong_wolfe(phi, result.alpha, 1e-4, 0.9)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.01, 100), b=st.floats(-10, 10), c=st.floats(0.01, 10), alpha0=st.floats(1e-3, 1e3)
)
def test_backtracking_accepts_a_sufficient_decrease(a, b, c, alpha0):
    phi = quartic_line(a, b, c)
    result = backtracking(phi, 1.0, -c, alpha=alpha0)
    assert result.success
    assert phi.value(result.alpha) <= 1.0 + 1e-4 * result.alpha * (-c)
    assert result.alpha <= alpha0
    assert result.evaluations == phi.calls


def test_backtracking_accepts_the_first_step_when_it_decreases_enough():
    phi = CountingPhi(lambda t: (t - 1) ** 2, lambda t: 2 * (t - 1))
    result = backtracking(phi, 1.0, -2.0, alpha=1.0)
    assert (result.alpha, result.evaluations) == (1.0, 1)


def test_backtracking_shortens_a_nan_step():
    phi = overflowing_parabola()
    result = backtracking(phi, 1.0, -2.0, alpha=100.0)
    assert result.success and 0 < result.alpha < 2


@given(
    roots=st.tuples(st.floats(-5, 5), st.floats(-5, 5)).filter(lambda r: abs(r[0] - r[1]) > 0.1),
    scale=st.floats(0.1, 10),
)
def test_cubic_minimizer_is_exact_on_a_cubic(roots, scale):
    # p(t) = scale (t³/3 − (r1 + r2) t²/2 + r1 r2 t) has p' = scale (t − r1)(t − r2): its minimum is at max(r)
    r1, r2 = roots
    p = lambda t: scale * (t**3 / 3 - (r1 + r2) * t**2 / 2 + r1 * r2 * t)
    dp = lambda t: scale * (t - r1) * (t - r2)
    a, b = -7.0, 8.0
    assert cubic_minimizer(a, p(a), dp(a), b, p(b), dp(b)) == pytest.approx(max(r1, r2), abs=1e-6)


def test_line_search_on_rosenbrock_directions_satisfies_strong_wolfe():
    """Along −g of Rosenbrock at random points, with φ computed by the engine."""
    rng = np.random.default_rng(0)
    for _ in range(10):
        point = rng.uniform(-2, 2, size=4)
        x = tg.Tensor(point, requires_grad=True)
        (gradient,) = tg.grad(rosenbrock(x), x)
        d = -gradient.numpy()

        def phi(alpha, point=point, d=d):
            y = tg.Tensor(point + alpha * d, requires_grad=True)
            value = rosenbrock(y)
            (g,) = tg.grad(value, y)
            return value.item(), float(g.numpy() @ d)

        value0, slope0 = phi(0.0)
        result = strong_wolfe(phi, value0, slope0, alpha=1.0, c2=0.1)
        value, slope = phi(result.alpha)
        assert result.success
        assert value <= value0 + 1e-4 * result.alpha * slope0
        assert abs(slope) <= 0.1 * abs(slope0)


def rosenbrock(x):
    a = x[1:] - x[:-1] ** 2
    b = 1 - x[:-1]
    return (100 * a * a + b * b).sum()
