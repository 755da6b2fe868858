"""Sparse coding: recovery of a planted dictionary, a monotone objective, and exact block steps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
from tinygrad_ch8.strategies import soft_threshold, sparse_coding
from tinygrad_ch8.strategies.sparse_coding import _code_sweep, _dictionary_sweep


def planted(seed, n_atoms=20, n_features=30, n_samples=600, nonzeros=3, noise=0.01):
    """X = H W + noise with unit-norm random atoms W and codes H with ``nonzeros`` entries per row."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_atoms, n_features))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    H = np.zeros((n_samples, n_atoms))
    for row in H:
        signed_sizes = rng.choice([-1, 1], nonzeros) * rng.uniform(1, 2, nonzeros)
        row[rng.choice(n_atoms, nonzeros, replace=False)] = signed_sizes
    return H @ W + noise * rng.standard_normal((n_samples, n_features)), W


def objective(X, H, W, lam):
    return lam * np.abs(H).sum() + ((X - H @ W) ** 2).sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_the_planted_atoms_and_never_increases_the_objective(seed):
    X, W_true = planted(seed)
    result = sparse_coding(X, n_atoms=20, lam=0.4, n_iter=40, rng=seed)
    cosines = np.abs(result.dictionary @ W_true.T).max(axis=0)  # best match of each true atom
    assert (cosines > 0.95).mean() >= 0.9
    # every block step is an exact minimization: J may only stay put up to round-off
    steps = np.diff(result.objective)
    assert np.all(steps <= 1e-12 * result.objective[0])
    final = objective(X, result.codes, result.dictionary, 0.4)
    assert result.objective[-1] == pytest.approx(final, rel=1e-10)


def test_shapes_unit_atoms_and_the_device(device):
    X, _ = planted(3, n_atoms=5, n_features=8, n_samples=50)
    result = sparse_coding(tg.Tensor(X, device=device), n_atoms=6, lam=0.1, n_iter=3, rng=0)
    assert result.dictionary.shape == (6, 8) and result.codes.shape == (50, 6)
    assert tg.Tensor.from_array(result.dictionary).device == device
    norms = np.linalg.norm(tg.Tensor.from_array(result.dictionary).numpy(), axis=1)
    np.testing.assert_allclose(norms, 1, rtol=1e-12)
    assert len(result.objective) == 1 + 2 * 3


@settings(max_examples=50, deadline=None)
@given(rho=st.floats(-10, 10), tau=st.floats(0, 5))
def test_soft_threshold_minimizes_the_scalar_lasso(rho, tau):
    h = float(soft_threshold(np.array(rho), tau))
    scalar_lasso = lambda v: (v - rho) ** 2 + 2 * tau * abs(v)
    for other in np.linspace(-12, 12, 241):
        assert scalar_lasso(h) <= scalar_lasso(other) + 1e-12


def test_code_sweeps_converge_to_the_lasso_optimum():
    X, W = planted(4, n_atoms=8, n_features=12, n_samples=40)
    lam = 0.3
    H = np.zeros((40, 8))
    residual = X.copy()
    for _ in range(300):
        _code_sweep(H, W, residual, lam)
    np.testing.assert_allclose(residual, X - H @ W, atol=1e-10)
    # KKT conditions of min λ|H|₁ + ‖X − HW‖²: 2 (X − HW) w_kᵀ = λ sign(H_ik) where H_ik ≠ 0, else |·| ≤ λ
    correlation = 2 * residual @ W.T
    active = H != 0
    np.testing.assert_allclose(correlation[active], lam * np.sign(H[active]), atol=1e-8)
    assert np.all(np.abs(correlation[~active]) <= lam + 1e-8)


def test_each_dictionary_update_is_the_best_unit_atom():
    X, W_true = planted(5, n_atoms=4, n_features=6, n_samples=60)
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 6))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    H = np.zeros((60, 4))
    residual = X.copy()
    _code_sweep(H, W, residual, 0.1)
    before_update = W.copy()
    _dictionary_sweep(H, W, residual)
    # the last atom was updated with the others already final: no unit vector does better
    others = H[:, :3] @ W[:3]
    best = ((X - others - np.outer(H[:, 3], W[3])) ** 2).sum()
    for _ in range(2000):
        u = rng.standard_normal(6)
        u /= np.linalg.norm(u)
        assert best <= ((X - others - np.outer(H[:, 3], u)) ** 2).sum() + 1e-9
    assert not np.allclose(before_update, W)
    np.testing.assert_allclose(residual, X - H @ W, atol=1e-10)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="n_samples, n_features"):
        sparse_coding(np.zeros(5), n_atoms=2, lam=0.1)
    with pytest.raises(ValueError, match="n_atoms"):
        sparse_coding(np.zeros((5, 3)), n_atoms=0, lam=0.1)
