"""Coordinate descent: exact block minimization on quadratics, the book's slow case, descent elsewhere."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
from tinygrad_ch8.strategies import coordinate_descent


def quadratic(A, b):
    """f(x) = ½ xᵀAx − bᵀx."""
    return lambda x: (
        0.5 * (x * (tg.Tensor.from_array(A) @ x)).sum() - (x * tg.Tensor.from_array(b)).sum()
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 6), data=st.data())
def test_one_block_step_is_the_exact_conditional_minimizer(seed, n, data):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.standard_normal(n)
    x0 = rng.standard_normal(n)
    block = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    rest = [i for i in range(n) if i not in block]
    result = coordinate_descent(quadratic(A, b), x0, blocks=[block], max_sweeps=1)
    # ∂f/∂x_B = 0:  A_BB x_B = b_B − A_BR x_R
    expected = np.linalg.solve(
        A[np.ix_(block, block)], b[block] - A[np.ix_(block, rest)] @ x0[rest]
    )
    np.testing.assert_allclose(result.path[1][block], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(result.path[1][rest], x0[rest])


def test_one_block_holding_every_coordinate_solves_a_quadratic_in_one_step(device):
    rng = np.random.default_rng(0)
    M = rng.standard_normal((4, 4))
    A, b = M @ M.T + np.eye(4), rng.standard_normal(4)
    A_dev, b_dev = tg.Tensor(A, device=device).data, tg.Tensor(b, device=device).data
    result = coordinate_descent(
        quadratic(A_dev, b_dev),
        tg.Tensor(np.zeros(4), device=device),
        blocks=[[0, 1, 2, 3]],
        max_sweeps=1,
    )
    np.testing.assert_allclose(
        tg.Tensor.from_array(result.x).numpy(), np.linalg.solve(A, b), rtol=1e-10
    )


def test_the_books_coupled_quadratic_moves_each_coordinate_to_x_other_over_one_plus_alpha():
    alpha = 0.01
    f = lambda x: (x[0] - x[1]) ** 2 + alpha * (x[0] ** 2 + x[1] ** 2)
    x0 = np.array([2.0, 1.0])
    result = coordinate_descent(f, x0, max_sweeps=3)
    x1, x2 = x0
    for sweep in range(3):
        x1 = x2 / (1 + alpha)  # ∂f/∂x₁ = 2(x₁ − x₂) + 2αx₁ = 0
        np.testing.assert_allclose(result.path[2 * sweep + 1], [x1, x2], rtol=1e-12)
        x2 = x1 / (1 + alpha)
        np.testing.assert_allclose(result.path[2 * sweep + 2], [x1, x2], rtol=1e-12)
    # it crawls: after 3 sweeps x has shrunk by only (1 + α)⁻⁶ relative to the first coordinate step
    assert np.linalg.norm(result.x) > 0.9 * x0[1]


def test_a_separable_function_is_solved_in_one_sweep():
    c = np.array([1.0, -2.0, 0.5])
    f = lambda x: (
        (x - tg.Tensor.from_array(c)) ** 2 * tg.Tensor.from_array(np.array([1.0, 3.0, 0.2]))
    ).sum()
    result = coordinate_descent(f, np.zeros(3), max_sweeps=5, tol=1e-15)
    np.testing.assert_allclose(result.path[3], c, rtol=1e-12)
    assert result.n_sweeps == 2  # the second sweep finds nothing left to improve


def test_non_quadratic_blocks_descend_monotonically_to_the_stationary_point():
    A = np.random.default_rng(1).standard_normal((5, 3))
    f = lambda x: (tg.Tensor.from_array(A) @ x).exp().sum() + 0.5 * (x * x).sum()  # strongly convex
    result = coordinate_descent(f, np.ones(3), blocks=[[0, 1], [2]], max_sweeps=100, tol=1e-15)
    assert np.all(np.diff(result.values) <= 0)
    x = tg.Tensor(result.x, requires_grad=True)
    (g,) = tg.grad(f(x), x)
    assert np.linalg.norm(g.numpy()) < 1e-7  # the unique minimizer of a strongly convex f: ∇f = 0


def test_negative_curvature_falls_back_to_a_gradient_step_that_still_descends():
    double_well = lambda x: (x**4 - x**2).sum()  # f'' < 0 near 0; minima at ±1/√2
    result = coordinate_descent(double_well, np.array([0.1]), max_sweeps=100, tol=1e-15)
    assert np.all(np.diff(result.values) <= 0)
    np.testing.assert_allclose(result.x, [1 / np.sqrt(2)], rtol=1e-6)


def test_bad_blocks_are_rejected():
    with pytest.raises(ValueError, match="block"):
        coordinate_descent(lambda x: (x * x).sum(), np.zeros(2), blocks=[[0, 5]])
