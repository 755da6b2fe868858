"""Approximate second-order methods (8.6): Newton, Newton-CG, linear and nonlinear CG, BFGS, L-BFGS."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.optim.bfgs import bfgs_update
from tinygrad_ch8.optim.lbfgs import two_loop_direction
from tinygrad_ch8.optim.newton import newton_direction


def rosenbrock(x):
    """Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at (1, ..., 1)."""
    a = x[1:] - x[:-1] ** 2
    b = 1 - x[:-1]
    return (100 * a * a + b * b).sum()


def quadratic(n, rng, definite=True):
    """A (SPD, or with both signs) and b of f(w) = ½ wᵀAw − bᵀw."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = rng.uniform(0.5, 10, n)
    if not definite:
        eigenvalues[: n // 2] *= -1
    return (q * eigenvalues) @ q.T, rng.standard_normal(n)


def quadratic_loss(w, A, b):
    return 0.5 * (w * (A @ w)).sum() - (b * w).sum()


# ---------------------------------------------------------------- Newton
def test_newton_solves_a_quadratic_in_one_step(device):
    rng = np.random.default_rng(0)
    A, b = quadratic(5, rng)
    w = tg.Tensor(np.zeros(5), requires_grad=True, device=device)
    A_t, b_t = tg.Tensor(A, device=device), tg.Tensor(b, device=device)
    opt = optim.Newton([w])
    opt.step(lambda: quadratic_loss(w, A_t, b_t))
    np.testing.assert_allclose(w.numpy(), np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
    state = opt.state[0]
    assert (state["n_iter"], state["nfev"], state["nhvp"]) == (1, 2, 5)
    assert state["damping"] == 0.0 and not state["damping_raised"]


def test_newton_raises_damping_until_the_hessian_is_positive_definite():
    rng = np.random.default_rng(1)
    A, b = quadratic(6, rng, definite=False)
    d, damping = newton_direction(A, -b)  # gradient at w = 0 is −b
    smallest = np.linalg.eigvalsh(A)[0]
    assert damping > -smallest  # A + damping I is positive definite ...
    assert -b @ d < 0  # ... so the direction descends
    np.testing.assert_allclose((A + damping * np.eye(6)) @ d, b, atol=1e-10)
    w = tg.Tensor(np.zeros(6), requires_grad=True)
    opt = optim.Newton([w], line_search_fn="backtracking")
    opt.step(lambda: quadratic_loss(w, tg.Tensor(A), tg.Tensor(b)))
    assert opt.state[0]["damping_raised"] and opt.state[0]["damping"] == pytest.approx(damping)
    assert opt.state[0]["loss"] < 0  # the loss fell from f(0) = 0


def test_large_damping_turns_newton_into_gradient_descent_with_step_one_over_alpha():
    rng = np.random.default_rng(2)
    A, b = quadratic(4, rng)
    d, _ = newton_direction(A, -b, damping=1e8)
    np.testing.assert_allclose(d, b / 1e8, rtol=1e-6)


# ---------------------------------------------------------------- linear conjugate gradients
@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_linear_cg_solves_a_k_dimensional_spd_system_in_at_most_k_iterations(k, seed):
    rng = np.random.default_rng(seed)
    A, b = quadratic(k, rng)
    result = optim.conjugate_gradient(lambda v: A @ v, b, tol=1e-9 * np.linalg.norm(b))
    assert result.iterations <= k
    assert not result.negative_curvature
    np.testing.assert_allclose(A @ result.x, b, atol=1e-7 * np.linalg.norm(b))
    assert result.curvature == pytest.approx(result.x @ A @ result.x, rel=1e-8)


def test_linear_cg_stops_on_negative_curvature_of_an_indefinite_quadratic():
    A = np.diag([2.0, -1.0, 3.0])
    first = optim.conjugate_gradient(lambda v: A @ v, np.array([0.0, 1.0, 0.0]))
    assert first.negative_curvature and first.iterations == 1
    np.testing.assert_allclose(first.x, [0.0, 1.0, 0.0])  # b itself: the steepest-descent direction
    later = optim.conjugate_gradient(lambda v: A @ v, np.array([1.0, 1.0, 1.0]))
    assert later.negative_curvature and later.iterations >= 2
    assert later.x @ np.ones(3) > 0  # still a descent direction of ½xᵀAx − bᵀx


def test_newton_cg_reports_negative_curvature_on_an_indefinite_quadratic():
    rng = np.random.default_rng(3)
    A, b = quadratic(6, rng, definite=False)
    w = tg.Tensor(np.zeros(6), requires_grad=True)
    opt = optim.NewtonCG([w])
    opt.step(lambda: quadratic_loss(w, tg.Tensor(A), tg.Tensor(b)))
    assert opt.state[0]["negative_curvature"]
    assert opt.state[0]["loss"] < 0


# ---------------------------------------------------------------- BFGS and L-BFGS algebra
def test_bfgs_update_keeps_symmetry_and_satisfies_the_secant_condition():
    rng = np.random.default_rng(4)
    M = np.eye(5)
    for _ in range(4):
        s = rng.standard_normal(5)
        y = s + 0.1 * rng.standard_normal(5)  # yᵀs > 0
        M = bfgs_update(M, s, y)
        np.testing.assert_allclose(M @ y, s, atol=1e-10)
        np.testing.assert_allclose(M, M.T, atol=1e-12)
    assert np.linalg.eigvalsh(M).min() > 0


@pytest.mark.parametrize("pairs", [1, 3])
def test_two_loop_recursion_equals_bfgs_updates_of_the_scaled_identity(pairs):
    """L-BFGS's direction is −M g, M the BFGS updates of γI by the stored pairs; m = 1 is memoryless BFGS."""
    rng = np.random.default_rng(5)
    steps = rng.standard_normal((pairs, 6))
    changes = steps + 0.2 * rng.standard_normal((pairs, 6))
    gamma = float(changes[-1] @ steps[-1] / (changes[-1] @ changes[-1]))
    M = gamma * np.eye(6)
    for s, y in zip(steps, changes, strict=True):
        M = bfgs_update(M, s, y)
    g = rng.standard_normal(6)
    np.testing.assert_allclose(two_loop_direction(g, steps, changes, gamma), -M @ g, atol=1e-10)


# ---------------------------------------------------------------- Rosenbrock
METHODS = [
    ("CG", {"beta": "polak_ribiere"}),
    ("CG", {"beta": "fletcher_reeves"}),
    ("BFGS", {}),
    ("L-BFGS", {}),
    ("Newton-CG", {}),
    ("Newton", {"line_search_fn": "backtracking"}),
]


@pytest.mark.parametrize(("method", "options"), METHODS)
def test_methods_reach_the_minimum_of_2d_rosenbrock(method, options):
    result = optim.minimize(rosenbrock, np.array([-1.2, 1.0]), method=method, tol=1e-9, **options)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-6)
    assert result.fun < 1e-12
    assert result.nfev == result.ngev and result.nit <= result.nfev
    assert (result.nhvp > 0) == (method in ("Newton", "Newton-CG"))


def test_lbfgs_step_with_a_closure_matches_minimize():
    """One ``step`` runs max_iter iterations; the optimizer and minimize() walk the same path."""
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS(
        [x],
        max_iter=30,
        line_search_fn="strong_wolfe",
        tolerance_change=0.0,
        tolerance_grad=1e-12,
        max_eval=1000,
    )
    first = opt.step(lambda: rosenbrock(x))
    assert first.item() == pytest.approx(24.2)  # f(−1.2, 1)
    result = optim.minimize(
        rosenbrock, np.array([-1.2, 1.0]), method="L-BFGS", max_iter=30, tol=1e-12
    )
    np.testing.assert_array_equal(x.numpy(), result.x)
    assert opt.state[0]["n_iter"] == result.nit == 30


def test_pytorch_style_closure_that_runs_backward():
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.BFGS([x], max_iter=200, tolerance_grad=1e-9, tolerance_change=0.0)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-6)
    newton = optim.Newton([x])
    with pytest.raises(RuntimeError, match="without|remove loss.backward"):
        newton.step(closure)


# ---------------------------------------------------------------- logistic regression
def logistic_problem():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 3))
    labels = (X @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(60) > 0).astype(np.float64)
    return tg.Tensor(X), tg.Tensor(labels)


def logistic_loss(w, X, labels):
    """Mean negative log-likelihood of a logistic regression with bias, plus a small L2 penalty."""
    p = (X @ w[:3] + w[3]).sigmoid()
    nll = -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()
    return nll + 1e-3 * (w * w).sum()


def test_newton_cg_and_newton_agree_on_a_logistic_regression_optimum():
    X, labels = logistic_problem()
    loss = lambda w: logistic_loss(w, X, labels)
    newton = optim.minimize(loss, np.zeros(4), method="Newton", tol=1e-10)
    newton_cg = optim.minimize(loss, np.zeros(4), method="Newton-CG", tol=1e-10)
    assert newton.success and newton_cg.success
    np.testing.assert_allclose(newton_cg.x, newton.x, atol=1e-8)
    assert newton.nit <= 10  # quadratic convergence from w = 0


# ---------------------------------------------------------------- non-finite losses
@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.Newton(p),
        lambda p: optim.NewtonCG(p),
        lambda p: optim.NonlinearCG(p, max_iter=10),
        lambda p: optim.BFGS(p, max_iter=10),
        lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe"),
    ],
)
def test_a_closure_returning_nan_stops_the_method_and_keeps_the_last_finite_point(make):
    x = tg.Tensor(np.array([3.0, -2.0]), requires_grad=True)
    opt = make([x])
    calls = []

    def closure():
        calls.append(x.numpy().copy())
        loss = (x * x).sum() + (x[0] * x[1]) ** 2
        return loss * math.nan if len(calls) == 3 else loss

    with pytest.raises(FloatingPointError, match="non-finite loss"):
        for _ in range(3):
            opt.step(closure)
    assert np.isfinite(x.numpy()).all()
    assert any(
        np.array_equal(x.numpy(), point) for point in calls[:2]
    )  # a point evaluated before the NaN


def test_minimize_reports_a_nan_instead_of_raising():
    blows_up = lambda x: (x * x).sum() * (x.sum() - 10).log()  # NaN once x₁ + x₂ < 10
    result = optim.minimize(blows_up, np.array([6.0, 6.0]), method="BFGS")
    assert not result.success and "non-finite" in result.message
    assert np.isfinite(result.x).all()


# ---------------------------------------------------------------- a whole network
def test_newton_cg_trains_an_mlp():
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(7)
    X = tg.Tensor(rng.standard_normal((64, 4)))
    y = (X.numpy()[:, 0] * X.numpy()[:, 1] > 0).astype(np.int64)  # XOR-like: needs the hidden layer
    model = nn.Sequential(nn.Linear(4, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
    opt = optim.NewtonCG(model.parameters(), damping=1.0, max_cg_iter=20, max_iter=25)
    opt.step(lambda: F.cross_entropy(model(X), y))
    state = opt.state[0]
    accuracy = float((model(X).numpy().argmax(axis=1) == y).mean())
    assert state["loss"] < 0.2 and accuracy > 0.95
    assert 0 < state["nhvp"] <= 25 * 20
    assert state["damping"] != 1.0  # Levenberg–Marquardt adapted it


# ---------------------------------------------------------------- bookkeeping
def test_lbfgs_state_dict_resumes_the_same_trajectory():
    def run(opt, x, steps):
        for _ in range(steps):
            opt.step(lambda: rosenbrock(x))
        return x.numpy().copy()

    x = tg.Tensor(np.array([-1.2, 1.0, -1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    run(opt, x, 2)
    saved_x, saved_state = x.numpy().copy(), opt.state_dict()
    expected = run(opt, x, 3)
    x.data[...] = saved_x
    resumed = optim.LBFGS([x], max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    resumed.load_state_dict(saved_state)
    np.testing.assert_array_equal(run(resumed, x, 3), expected)


def test_minimize_with_a_first_order_method_and_bad_names():
    result = optim.minimize(
        lambda x: ((x - 2) ** 2).sum(), np.zeros(3), method="SGD", lr=0.25, tol=1e-8
    )
    assert result.success and result.nit < 40
    np.testing.assert_allclose(result.x, 2.0, atol=1e-8)
    with pytest.raises(ValueError, match="unknown method"):
        optim.minimize(lambda x: (x * x).sum(), np.zeros(2), method="simplex")
    with pytest.raises(ValueError, match="beta"):
        optim.NonlinearCG([tg.Tensor([1.0], requires_grad=True)], beta="hestenes")


def test_minimize_keeps_the_dtype_and_the_optimizers_are_registered():
    result = optim.minimize(
        lambda x: ((x - 1) ** 2).sum(), np.zeros(2, dtype=np.float32), method="bfgs"
    )
    assert result.x.dtype == np.float32 and result.success
    for name in ("newton", "newton-cg", "cg", "bfgs", "lbfgs"):
        assert name in optim.OPTIMIZERS


def test_a_line_search_state_dict_is_plain_data_that_a_checkpoint_file_holds(tmp_path):
    """The remembered last step is saved as a dict of arrays, written by tg.save, read back by
    tg.load, and made a LastStep again: the resumed run repeats the uninterrupted one."""
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3, history_size=4)
    opt.step(lambda: rosenbrock(x))
    saved = opt.state_dict()
    assert isinstance(saved["state"][0]["last_step"], dict)
    tg.save(saved["state"][0]["last_step"], tmp_path / "last_step.npz")
    loaded = tg.load(tmp_path / "last_step.npz")
    np.testing.assert_array_equal(loaded["direction"], saved["state"][0]["last_step"]["direction"])
    x_saved = x.numpy().copy()
    opt.step(lambda: rosenbrock(x))
    expected = x.numpy().copy()
    x.data[...] = x_saved
    resumed = optim.LBFGS([x], max_iter=3, history_size=4)
    resumed.load_state_dict(saved)
    assert type(resumed.state[0]["last_step"]).__name__ == "LastStep"
    resumed.step(lambda: rosenbrock(x))
    np.testing.assert_array_equal(x.numpy(), expected)
