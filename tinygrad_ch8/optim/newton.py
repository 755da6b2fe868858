"""Optim: Newton's method with the exact Hessian, damped where the Hessian is not positive definite (8.6.1).

Around θ the loss is approximately quadratic,

    J(θ + p) ≈ J(θ) + gᵀp + ½ pᵀHp,

and when H is positive definite the quadratic's minimum is at p = −H⁻¹g (Algorithm 8.8).
On a quadratic loss the approximation is exact, so one step lands on the minimum. Where H
has negative eigenvalues (near a saddle point) −H⁻¹g points *towards* the saddle along
them, and pure Newton is attracted to saddles. Regularized Newton adds αI,

    θ ← θ − (H + αI)⁻¹ g,

which for α above −λ_min(H) is a descent direction again; as α grows the step tends to
gradient descent with learning rate 1/α.

H comes from n Hessian-vector products with the basis vectors e_i (each one more backward
pass through the gradient's graph), and the linear solve costs O(n³): exact Newton is for
small models only (examples/newton_cost.py measures how fast it becomes infeasible).
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .descent import (
    TOLERANCE_CHANGE,
    TOLERANCE_GRAD,
    DescentOptimizer,
    LastStep,
    iteration_settings,
)
from .objective import Objective
from .optimizer import check_nonnegative

CHOLESKY_SHIFT = (
    1e-3  # β of Nocedal & Wright's Algorithm 3.3: the first shift tried when H is indefinite
)


def is_positive_definite(matrix: Array) -> bool:
    """Whether the Cholesky factorization of a symmetric ``matrix`` succeeds."""
    try:
        backend.cholesky(matrix)
    except backend.numpy.linalg.LinAlgError:
        return False
    return True


def newton_direction(hessian: Array, gradient: Array, damping: float = 0.0) -> tuple:
    """p = −(H + τI)⁻¹ g with the smallest τ ≥ ``damping`` tried that makes H + τI positive definite.

    Nocedal & Wright, Algorithm 3.3 (Cholesky with added multiple of the identity): start at
    τ = damping; while the Cholesky factorization of H + τI fails, set
    τ ← max(2τ, β − min_i H_ii, β) with β = 1e-3.

    Returns:
        ``(p, τ)``: the direction and the damping that was needed.
    """
    xp = backend.array_module(hessian)
    identity = xp.eye(hessian.shape[0], dtype=hessian.dtype)
    tau = damping
    smallest_diagonal = float(xp.diagonal(hessian).min())
    while not is_positive_definite(hessian + tau * identity):
        tau = max(2 * tau, CHOLESKY_SHIFT - smallest_diagonal, CHOLESKY_SHIFT)
    return xp.linalg.solve(hessian + tau * identity, -gradient), tau


def hessian_matrix(objective: Objective, gradient: Array) -> Array:
    """H at the point where ``objective`` took ``gradient``, column by column: H e_i, one product each.

    Symmetrized as ½(H + Hᵀ): the exact Hessian is symmetric, its round-off is not.
    """
    xp = backend.array_module(gradient)
    size = gradient.shape[0]
    columns = []
    for i in range(size):
        basis = xp.zeros(size, dtype=gradient.dtype)
        basis[i] = 1
        columns.append(objective.hvp(basis))
    hessian = xp.stack(columns, axis=1)
    return (hessian + hessian.T) / 2


class Newton(DescentOptimizer):
    """Newton's method (Algorithm 8.8) with damping: θ ← θ − (H + αI)⁻¹ g, H exact.

    When H + αI is not positive definite, α is raised (``newton_direction``) until it is,
    so every step descends and saddle points repel instead of attract. After each step,
    ``state[0]["damping"]`` holds the α used and ``state[0]["damping_raised"]`` says
    whether α had to be raised above the ``damping`` given (H + αI was not positive definite).

    Without a line search (the default) the step is the full Newton step, which solves a
    quadratic in one iteration; ``line_search_fn="backtracking"`` or ``"strong_wolfe"``
    shortens it where the quadratic model is poor (far from a minimum).

    The closure must return the loss with its graph (no ``backward()`` inside): the Hessian
    is built from Hessian-vector products, by differentiating the gradient again.

    Args:
        params: the parameters (one group); n of them cost n Hessian-vector products and an
            O(n³) solve per iteration.
        damping: α ≥ 0, the smallest damping used.
        max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn: as in
            ``LBFGS``; each ``step(closure)`` runs up to ``max_iter`` iterations.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> A = tg.Tensor([[3.0, 1.0], [1.0, 2.0]], dtype="float64")
        >>> b = tg.Tensor([1.0, 1.0], dtype="float64")
        >>> w = tg.Tensor([0.0, 0.0], dtype="float64", requires_grad=True)
        >>> def quadratic():  # ½ wᵀAw − bᵀw, minimized at A⁻¹b = (0.2, 0.4)
        ...     return 0.5 * (w * (A @ w)).sum() - (b * w).sum()
        >>> opt = optim.Newton([w])
        >>> first_loss = opt.step(quadratic)  # one iteration: −H⁻¹g from w = 0 is A⁻¹b
        >>> [round(value, 6) for value in w.tolist()]
        [0.2, 0.4]
    """

    uses_hvp = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        damping: float = 0.0,
        max_iter: int = 1,
        max_eval: int | None = None,
        tolerance_grad: float = TOLERANCE_GRAD,
        tolerance_change: float = TOLERANCE_CHANGE,
        line_search_fn: str | None = None,
    ):
        defaults = {
            "damping": damping,
            **iteration_settings(
                max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn
            ),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        check_nonnegative("damping", group["damping"])

    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        damping = self.param_groups[0]["damping"]
        d, state["damping"] = newton_direction(
            hessian_matrix(objective, gradient), gradient, damping
        )
        state["damping_raised"] = state["damping"] > damping
        return d
