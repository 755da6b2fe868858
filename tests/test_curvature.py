"""Curvature instruments: Lanczos spectra, condition numbers, critical points, Gauss–Newton products."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn
from tinygrad_ch8.optim import curvature


def symmetric(eigenvalues, seed=0):
    q, _ = np.linalg.qr(
        np.random.default_rng(seed).standard_normal((len(eigenvalues), len(eigenvalues)))
    )
    return (q * np.asarray(eigenvalues, dtype=np.float64)) @ q.T


def quadratic_closure(A, device="cpu"):
    """J(w) = ½ wᵀAw at w = 0 (a critical point), and the parameter w."""
    w = tg.Tensor(np.zeros(A.shape[0]), requires_grad=True, device=device)
    A_t = tg.Tensor(A, device=device)
    return (lambda: 0.5 * (w * (A_t @ w)).sum()), [w]


def test_lanczos_with_n_steps_finds_every_eigenvalue(device):
    eigenvalues = [-3.0, -0.5, 0.25, 1.0, 2.0, 7.5]
    closure, params = quadratic_closure(symmetric(eigenvalues), device)
    np.testing.assert_allclose(
        curvature.hessian_spectrum(closure, params, steps=6, rng=0), eigenvalues, atol=1e-10
    )


def test_lanczos_finds_the_extreme_eigenvalues_in_few_steps():
    eigenvalues = np.concatenate([[-5.0], np.linspace(1.0, 2.0, 198), [40.0]])
    closure, params = quadratic_closure(symmetric(eigenvalues, seed=1))
    smallest, largest = curvature.extreme_eigenvalues(closure, params, steps=25, rng=0)
    assert smallest == pytest.approx(-5.0, rel=1e-8) and largest == pytest.approx(40.0, rel=1e-8)


def test_condition_number_of_a_quadratic():
    closure, params = quadratic_closure(symmetric(np.geomspace(0.1, 100.0, 8), seed=2))
    assert curvature.condition_number(closure, params, steps=8, rng=0) == pytest.approx(
        1000.0, rel=1e-8
    )
    indefinite, params = quadratic_closure(symmetric([-1.0, 2.0]))
    assert curvature.condition_number(indefinite, params, steps=2, rng=0) == float("inf")


@pytest.mark.parametrize(
    ("eigenvalues", "kind", "negatives"),
    [
        ([1.0, 2.0, 3.0], "minimum", []),
        ([-1.0, -2.0, -3.0], "maximum", [-3.0, -2.0, -1.0]),
        ([-2.0, 0.5, 4.0], "saddle", [-2.0]),
    ],
)
def test_classify_critical_point_of_quadratics(eigenvalues, kind, negatives):
    closure, params = quadratic_closure(symmetric(eigenvalues, seed=3))
    report = curvature.classify_critical_point(closure, params, steps=3, rng=0)
    assert report.kind == kind
    np.testing.assert_allclose(report.negative_eigenvalues, negatives, atol=1e-10)
    assert report.gradient_norm == 0.0


def test_classify_saddle_of_x_squared_minus_y_squared_and_degenerate_and_non_critical_points():
    x = tg.Tensor(np.zeros(2), requires_grad=True)
    report = curvature.classify_critical_point(lambda: x[0] ** 2 - x[1] ** 2, [x], steps=2, rng=0)
    assert report.kind == "saddle" and report.negative_eigenvalues == pytest.approx([-2.0])
    degenerate = curvature.classify_critical_point(
        lambda: x[0] ** 4 + x[1] ** 2, [x], steps=2, rng=0
    )
    assert (
        degenerate.kind == "degenerate"
    )  # H = diag(0, 2): the quartic term is invisible to second order
    x.data[...] = [1.0, 0.0]
    assert (
        curvature.classify_critical_point(lambda: x[0] ** 2 - x[1] ** 2, [x], rng=0).kind
        == "not critical"
    )


def test_gauss_newton_equals_the_hessian_for_linear_least_squares():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 5))  # G does not depend on the targets
    w = tg.Tensor(rng.standard_normal((5, 1)), requires_grad=True)
    v = rng.standard_normal(5)
    product = curvature.gauss_newton_product(lambda: tg.Tensor(X) @ w, [w], v, loss="mse")
    np.testing.assert_allclose(product, 2 / 30 * X.T @ (X @ v), rtol=1e-10)


def test_gauss_newton_equals_the_hessian_for_softmax_regression():
    rng = np.random.default_rng(5)
    X, labels = tg.Tensor(rng.standard_normal((25, 4))), rng.integers(0, 3, 25)
    W = tg.Tensor(0.3 * rng.standard_normal((4, 3)), requires_grad=True)
    b = tg.Tensor(np.zeros(3), requires_grad=True)
    v = rng.standard_normal(15)
    product = curvature.gauss_newton_product(lambda: X @ W + b, [W, b], v, loss="cross_entropy")
    _, (hw, hb) = tg.autograd.hvp(
        lambda W, b: F.cross_entropy(X @ W + b, labels), [W, b], [v[:12].reshape(4, 3), v[12:]]
    )
    hessian_v = np.concatenate([hw.numpy().ravel(), hb.numpy()])
    np.testing.assert_allclose(product, hessian_v, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_gauss_newton_product_of_an_mlp_is_jt_h_j_from_the_explicit_jacobian(loss):
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(6)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    params = list(model.parameters())
    X = tg.Tensor(rng.standard_normal((5, 3)))
    sizes = [p.numel() for p in params]
    # the Jacobian of the 10 outputs, one vector-Jacobian product per output entry
    rows = []
    for index in range(10):
        seed = np.zeros((5, 2))
        seed.flat[index] = 1
        gradients = tg.grad(model(X), params, grad_outputs=tg.Tensor(seed))
        rows.append(np.concatenate([g.numpy().ravel() for g in gradients]))
    jacobian = np.array(rows)
    z = model(X).numpy()
    if loss == "mse":
        output_hessian = 2 / 10 * np.eye(10)
    else:
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        output_hessian = np.zeros((10, 10))
        for row in range(5):
            block = slice(2 * row, 2 * row + 2)
            output_hessian[block, block] = (np.diag(p[row]) - np.outer(p[row], p[row])) / 5
    gauss_newton = jacobian.T @ output_hessian @ jacobian
    v = rng.standard_normal(sum(sizes))
    product = curvature.gauss_newton_product(lambda: model(X), params, v, loss=loss)
    np.testing.assert_allclose(product, gauss_newton @ v, rtol=1e-9, atol=1e-12)
    assert v @ product >= 0  # G is positive semi-definite


def test_gauss_newton_rejects_an_unknown_loss():
    w = tg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="unknown loss"):
        curvature.gauss_newton_product(lambda: w * 2, [w], np.ones(2), loss="hinge")
