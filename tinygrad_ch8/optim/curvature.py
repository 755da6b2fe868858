"""Optim: curvature instruments: the Hessian's spectrum and the Gauss–Newton matrix, from products (8.6).

How hard a problem is for gradient descent, and what kind of point an optimizer stopped
at, is written in the Hessian H's eigenvalues: the condition number λ_max/λ_min bounds
how fast gradient descent converges (section 8.2.1), and at a critical point (g = 0) all
λ > 0 means a minimum, all λ < 0 a maximum, both signs a saddle. For a network H is far
too big to form, but Lanczos iteration finds its extreme eigenvalues from a few dozen
Hessian-vector products.

The Gauss–Newton matrix G = Jᵀ H_out J (J the Jacobian of the model's outputs z with
respect to θ, H_out the Hessian of the loss with respect to z) is the part of H that
ignores the model's own second derivatives. It is positive semi-definite whenever the
loss is convex in z (squared error, softmax cross-entropy), which is why Hessian-free
optimization (Martens 2010) prefers it to H; for a model linear in θ, G = H.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from .. import backend
from ..autograd import grad
from ..backend import Array, Seed
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .flat import gradient_vector, unflatten
from .objective import Objective


# ---------------------------------------------------------------- Lanczos
def lanczos(matvec: Callable, start: Array, steps: int) -> Array:
    """Ritz values (ascending, a host NumPy array) of a symmetric operator after ``steps`` Lanczos steps.

    Lanczos builds an orthonormal basis q_1, ..., q_m of the Krylov space
    span{q, Aq, ..., A^{m−1}q} in which A is tridiagonal,

        A q_j = β_{j−1} q_{j−1} + α_j q_j + β_j q_{j+1},

    and the eigenvalues of that m×m tridiagonal matrix T (the Ritz values) approach A's
    extreme eigenvalues first, usually within a few dozen steps; with m = n they are all of
    A's eigenvalues. Each new q is re-orthogonalized against all earlier ones, which costs
    O(mn) but stops round-off from producing spurious copies of converged eigenvalues.
    The iteration ends early when the Krylov space is invariant (β ≈ 0): T is then exact.
    """
    q = start / math.sqrt(float(start @ start))
    basis = [q]
    diagonal, off_diagonal = [], []
    for _ in range(steps):
        w = matvec(q)
        diagonal.append(float(q @ w))
        for previous in basis:  # full re-orthogonalization (includes the three-term recurrence)
            w = w - float(previous @ w) * previous
        norm = math.sqrt(float(w @ w))
        if len(basis) == start.shape[0] or norm <= 1e-10 * max(1.0, max(abs(a) for a in diagonal)):
            break
        off_diagonal.append(norm)
        q = w / norm
        basis.append(q)
    # small: T goes to the host, the vectors stay on their device
    tridiagonal = backend.numpy.diag(diagonal)
    size = len(diagonal)
    for j in range(size - 1):
        tridiagonal[j, j + 1] = tridiagonal[j + 1, j] = off_diagonal[j]
    return backend.numpy.linalg.eigvalsh(tridiagonal)


def hessian_spectrum(
    closure: Callable[[], Tensor], params: Sequence[Tensor], steps: int = 30, rng: Seed = None
) -> Array:
    """Ritz values of the Hessian of ``closure()``'s loss at the parameters' current values.

    The smallest and largest are accurate estimates of λ_min(H) and λ_max(H); the others
    are all of H's eigenvalues only when ``steps`` ≥ n. The closure must return the loss
    with its graph (no ``backward()`` inside). The random start vector comes from ``rng``
    (None, an int seed or a NumPy Generator).
    """
    return _gradient_and_spectrum(closure, params, steps, rng, "hessian_spectrum")[1]


def _gradient_and_spectrum(closure, params, steps: int, rng, caller: str) -> tuple:
    objective = Objective(params, closure, caller, uses_hvp=True)
    _, gradient = objective.evaluate()
    start = backend.rng(rng).standard_normal(gradient.shape[0]).astype(gradient.dtype)
    return gradient, lanczos(
        objective.hvp, backend.to_device(start, backend.device_of(gradient)), steps
    )


def extreme_eigenvalues(
    closure: Callable[[], Tensor], params: Sequence[Tensor], steps: int = 30, rng: Seed = None
) -> tuple[float, float]:
    """(λ_min, λ_max) of the Hessian, by Lanczos (``hessian_spectrum``)."""
    spectrum = hessian_spectrum(closure, params, steps, rng)
    return float(spectrum[0]), float(spectrum[-1])


def condition_number(
    closure: Callable[[], Tensor], params: Sequence[Tensor], steps: int = 30, rng: Seed = None
) -> float:
    """κ = λ_max / λ_min of the Hessian; infinite when H is not positive definite."""
    smallest, largest = extreme_eigenvalues(closure, params, steps, rng)
    return largest / smallest if smallest > 0 else math.inf


@dataclasses.dataclass
class CriticalPoint:
    """What ``classify_critical_point`` found.

    Attributes:
        kind: "minimum", "maximum", "saddle", "degenerate" (an eigenvalue within ``tol`` of
            0 and no sign change: the second derivatives cannot tell), or "not critical"
            (‖g‖∞ above ``gradient_tol``).
        gradient_norm: ‖g‖∞.
        smallest, largest: the extreme Hessian eigenvalues.
        negative_eigenvalues: the Ritz values below −tol (all of them once steps ≥ n),
            each a direction of descent through a saddle.
    """

    kind: str
    gradient_norm: float
    smallest: float
    largest: float
    negative_eigenvalues: list


def classify_critical_point(
    closure: Callable[[], Tensor],
    params: Sequence[Tensor],
    steps: int = 30,
    tol: float = 1e-6,
    gradient_tol: float = 1e-5,
    rng: Seed = None,
) -> CriticalPoint:
    """Say whether the parameters' current values are a minimum, a maximum or a saddle of the loss.

    The signs of the Hessian's eigenvalues decide (section 4.3.1): all > tol, a minimum;
    all < −tol, a maximum; both signs, a saddle. The eigenvalues come from Lanczos, so with
    ``steps`` < n only the extreme ones are certain; the extreme ones are all a
    classification needs.
    """
    gradient, spectrum = _gradient_and_spectrum(
        closure, params, steps, rng, "classify_critical_point"
    )
    gradient_norm = float(abs(gradient).max())
    smallest, largest = float(spectrum[0]), float(spectrum[-1])
    negative = [float(value) for value in spectrum if value < -tol]
    if gradient_norm > gradient_tol:
        kind = "not critical"
    elif smallest > tol:
        kind = "minimum"
    elif largest < -tol:
        kind = "maximum"
    elif smallest < -tol and largest > tol:
        kind = "saddle"
    else:
        kind = "degenerate"
    return CriticalPoint(kind, gradient_norm, smallest, largest, negative)


# ---------------------------------------------------------------- Gauss–Newton
def mse_output_hessian(outputs: Tensor, u: Array) -> Array:
    """H_out u for the loss mean((z − y)²) over all M elements of z: H_out = (2/M) I."""
    return u * (2.0 / outputs.numel())


def cross_entropy_output_hessian(outputs: Tensor, u: Array) -> Array:
    """H_out u for the mean softmax cross-entropy over N rows of logits z.

    Per row, ∂²/∂z² of −log softmax(z)_y is diag(p) − ppᵀ with p = softmax(z), whatever the
    target y; so H_out u = (p ⊙ u − p (pᵀu)) / N row by row.
    """
    xp = backend.array_module(outputs.data)
    logits = outputs.data
    p = xp.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return (p * u - p * (p * u).sum(axis=1, keepdims=True)) / logits.shape[0]


OUTPUT_HESSIANS = {"mse": mse_output_hessian, "cross_entropy": cross_entropy_output_hessian}


def gauss_newton_product(
    outputs_fn: Callable[[], Tensor], params: Sequence[Tensor], v: Array, loss: str = "mse"
) -> Array:
    """G v = Jᵀ H_out J v, the Gauss–Newton matrix times a flat vector v, from three backward passes.

    Args:
        outputs_fn: returns the model's outputs z at the parameters' current values
            (predictions for ``"mse"``, logits for ``"cross_entropy"``).
        params: the parameters θ, in the order of v.
        v: a flat vector (array) with one entry per parameter element.
        loss: ``"mse"`` (mean squared error, least squares: G = (2/M) JᵀJ) or
            ``"cross_entropy"`` (mean softmax cross-entropy). The targets do not enter G.

    Reverse mode gives vector-Jacobian products uᵀJ directly. The product Jv comes from the
    "double-vjp" trick: Jᵀw is linear in w, so Jv = ∂/∂w (vᵀJᵀw), one more backward pass
    through the graph of Jᵀw (w's value does not matter; zeros are used). Then
    Gv = Jᵀ(H_out Jv) is one ordinary vector-Jacobian product.
    """
    if loss not in OUTPUT_HESSIANS:
        raise ValueError(
            f"gauss_newton_product: unknown loss {loss!r} "
            f"(expected one of {tuple(OUTPUT_HESSIANS)})"
        )
    params = list(params)
    with enable_grad():
        outputs = outputs_fn()
        dummy = Tensor.from_array(outputs.data * 0).requires_grad_()
        transposed = grad(outputs, params, grad_outputs=dummy, create_graph=True, allow_unused=True)
        pieces = unflatten(v, [param.shape for param in params])
        terms = [
            (gradient * Tensor.from_array(piece)).sum()
            for gradient, piece in zip(transposed, pieces, strict=True)
            if gradient is not None
        ]
        directional = terms[0]
        for term in terms[1:]:
            directional = directional + term
        (jacobian_v,) = grad(directional, dummy, retain_graph=True)  # the last pass needs z's graph
    weighted = OUTPUT_HESSIANS[loss](outputs, jacobian_v.data)
    products = grad(outputs, params, grad_outputs=Tensor.from_array(weighted), allow_unused=True)
    return gradient_vector(params, products)
