"""Strategies (§8.7.2): sparse coding by block coordinate descent, the book's example of the method.

Given data X (n_samples, n_features), find a dictionary W (n_atoms, n_features) whose rows,
the atoms, have unit norm, and sparse codes H (n_samples, n_atoms) minimizing

    J(H, W) = λ Σ_ij |H_ij| + Σ_ij (X − H W)²_ij.

J is not convex in (H, W) together, but it is convex in H alone (a lasso problem) and a least
squares problem in W alone, so the blocks H and W are minimized in turn. (The book writes the
same objective with X transposed, X − WᵀH.) Both steps are themselves cyclic coordinate
descent, and every update is the *exact* minimizer of J over what it changes, so J never
increases:

H-step, one column h_k = H[:, k] at a time (all samples at once). With r = X − H W + h_k w_k
the residual without atom k and ‖w_k‖ = 1,

    argmin_h λ|h| + ‖r − h w_k‖²  =  soft(r w_kᵀ, λ/2),    soft(ρ, τ) = sign(ρ) max(|ρ| − τ, 0).

W-step, one atom w_k at a time on the unit sphere: ‖r − h_k w‖² = ‖r‖² − 2 h_kᵀ r w + ‖h_k‖² for
‖w‖ = 1, which is smallest for w = rᵀh_k / ‖rᵀh_k‖. An atom no sample uses (h_k = 0) does not
enter J at all; it is moved onto the sample the dictionary explains worst, which leaves J
unchanged and gives the next H-step something to use it for.

This is pure array code (NumPy or CuPy, following X): the steps are closed-form, so no
gradients are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import backend
from ..backend import Array, Seed
from ..tensor import Tensor


@dataclass
class SparseCodingResult:
    """What ``sparse_coding`` found.

    Attributes:
        dictionary: W, shape (n_atoms, n_features), unit-norm rows.
        codes: H, shape (n_samples, n_atoms).
        objective: J at the start (H = 0) and after every block step (H-step, W-step, H-step, ...).
    """

    dictionary: Array
    codes: Array
    objective: list


def sparse_coding(
    X: Array | Tensor,
    n_atoms: int,
    lam: float,
    n_iter: int = 50,
    rng: Seed = None,
    code_sweeps: int = 3,
) -> SparseCodingResult:
    """Learn a dictionary and sparse codes for X by alternating exact block minimizations of J(H, W).

    Args:
        X: data, shape (n_samples, n_features): a NumPy/CuPy array or a Tensor (its values are used).
        n_atoms: the number of atoms (rows of the dictionary).
        lam: λ, the weight of the L1 penalty on the codes.
        n_iter: the number of (H-step, W-step) rounds.
        rng: None, an int seed or a numpy Generator; it picks the samples the atoms start from.
        code_sweeps: passes over the atoms in each H-step (each pass lowers the lasso objective).

    Returns:
        A ``SparseCodingResult`` (dictionary, codes, objective history).

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8.strategies import sparse_coding
        >>> X = tg.randn(40, 6, rng=0, dtype="float64").numpy()
        >>> result = sparse_coding(X, n_atoms=4, lam=0.1, n_iter=10, rng=0)
        >>> result.dictionary.shape, result.codes.shape  # X ≈ H W: codes (n, k), atoms (k, d)
        ((4, 6), (40, 4))
        >>> bool(result.objective[-1] <= result.objective[0])  # each block step lowers J
        True
    """
    X = X.data if isinstance(X, Tensor) else X
    if X.ndim != 2:
        raise ValueError(f"sparse_coding: X must have shape (n_samples, n_features), got {X.shape}")
    if n_atoms < 1 or lam < 0:
        raise ValueError(f"sparse_coding: need n_atoms >= 1 and lam >= 0, got {n_atoms} and {lam}")
    xp = backend.array_module(X)
    n_samples = X.shape[0]
    generator = backend.rng(rng)
    starts = generator.choice(n_samples, size=n_atoms, replace=n_atoms > n_samples)
    # atoms start on random samples (plus a little noise, so repeated or zero samples still give directions)
    W = X[backend.to_device(starts, backend.device_of(X))].copy()
    W += 1e-3 * backend.to_device(generator.standard_normal(W.shape), backend.device_of(X)).astype(
        X.dtype
    )
    W /= xp.linalg.norm(W, axis=1, keepdims=True)
    H = xp.zeros((n_samples, n_atoms), dtype=X.dtype)
    residual = X.copy()  # X − H W, kept up to date by every update
    objective = [_objective(H, residual, lam)]
    for _ in range(n_iter):
        for _ in range(code_sweeps):
            _code_sweep(H, W, residual, lam)
        objective.append(_objective(H, residual, lam))
        _dictionary_sweep(H, W, residual)
        objective.append(_objective(H, residual, lam))
    return SparseCodingResult(dictionary=W, codes=H, objective=objective)


def _objective(H, residual, lam: float) -> float:
    """J = λ Σ|H| + ‖X − H W‖²."""
    xp = backend.array_module(H)
    return float(lam * xp.abs(H).sum() + (residual * residual).sum())


def soft_threshold(rho: Array, tau: float) -> Array:
    """soft(ρ, τ) = sign(ρ) max(|ρ| − τ, 0): the minimizer over h of (h − ρ)² + 2τ|h|."""
    xp = backend.array_module(rho)
    return xp.sign(rho) * xp.maximum(xp.abs(rho) - tau, 0)


def _code_sweep(H, W, residual, lam: float) -> None:
    """One pass of exact coordinate minimization over the columns of H (in place)."""
    for k in range(W.shape[0]):
        old = H[:, k].copy()
        new = soft_threshold(residual @ W[k] + old, lam / 2)  # r w_kᵀ with r = residual + h_k w_k
        residual -= (new - old)[:, None] * W[k][None, :]
        H[:, k] = new


def _dictionary_sweep(H, W, residual) -> None:
    """One pass of exact minimization over each unit-norm atom w_k (in place)."""
    xp = backend.array_module(W)
    for k in range(W.shape[0]):
        h = H[:, k]
        without_atom = residual + h[:, None] * W[k][None, :]
        if not bool((h != 0).any()):
            # an unused atom does not enter J: aim it at the worst-explained sample instead
            worst = int(xp.argmax((residual * residual).sum(axis=1)))
            direction = residual[worst]
        else:
            direction = without_atom.T @ h
        norm = float(xp.linalg.norm(direction))
        if norm == 0:  # nothing left to explain along any direction: keep the atom
            continue
        W[k] = direction / norm
        residual[...] = without_atom - h[:, None] * W[k][None, :]
