"""Optim: BFGS, the quasi-Newton method that learns an inverse Hessian from gradients (section 8.6.3).

Newton's step −H⁻¹g needs the Hessian; BFGS instead keeps a matrix M ≈ H⁻¹ and refines it
after every step from what the step showed: moving by s = θ_{t+1} − θ_t changed the
gradient by y = g_{t+1} − g_t, and a Hessian would satisfy Hs ≈ y, so the new M must map y
to s (the secant condition M y = s). The closest symmetric matrix to the old M with that
property (in a weighted norm) is the rank-two update

    M ← (I − ρ s yᵀ) M (I − ρ y sᵀ) + ρ s sᵀ,    ρ = 1 / yᵀs,

which stays positive definite whenever yᵀs > 0, the curvature condition that a Wolfe
line search guarantees. M costs O(n²) memory; L-BFGS (``lbfgs.py``) keeps only recent
(s, y) pairs instead.
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
    step_from_last_step,
)
from .objective import Objective


def bfgs_update(inverse_hessian: Array, step: Array, gradient_change: Array) -> Array:
    """M ← (I − ρ s yᵀ) M (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/yᵀs (Nocedal & Wright, Eq. 6.17).

    Expanded so that it costs two matrix-vector products and rank-one updates, O(n²):
    with My = M y and yMy = yᵀM y,
    M ← M − ρ (s Myᵀ + My sᵀ) + (ρ² yMy + ρ) s sᵀ.
    """
    xp = backend.array_module(inverse_hessian)
    rho = 1.0 / float(gradient_change @ step)
    my = inverse_hessian @ gradient_change
    ymy = float(gradient_change @ my)
    return (
        inverse_hessian
        - rho * (xp.outer(step, my) + xp.outer(my, step))
        + (rho * rho * ymy + rho) * xp.outer(step, step)
    )


class BFGS(DescentOptimizer):
    """BFGS with a dense inverse-Hessian approximation M and a strong Wolfe line search.

        d_t = −M_t g_t;   θ ← θ + α_t d_t;   M_{t+1} = bfgs_update(M_t, s_t, y_t)

    The book (section 8.6.3) writes the direction as M_t g_t; with θ ← θ + ε*ρ that climbs:
    the direction is −M_t g_t.

    - First step: M_0 is unknown, so the first direction is −g, with a step length from
      ``step_from_last_decrease``. Before the first update M is scaled to the curvature
      just measured, M_0 = (yᵀs / yᵀy) I (Nocedal & Wright, Eq. 6.20), so the next step has
      the right length.
    - Skipped updates: when yᵀs ≤ 1e-10 the step showed no positive curvature (possible
      when the line search fails, or in float32 round-off) and the update would make M
      indefinite or blow it up; M is then kept as it is.

    Args:
        params: the parameters (one group); n of them make an n×n matrix.
        max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn: as in
            ``LBFGS`` (default line search: ``"strong_wolfe"``, with c2 = 0.9); each
            ``step(closure)`` runs up to ``max_iter`` iterations.

    Reference: Broyden, Fletcher, Goldfarb and Shanno (1970); Nocedal & Wright, *Numerical
    Optimization* (2006), Algorithm 6.1.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> x = tg.Tensor([-1.2, 1.0], dtype="float64", requires_grad=True)
        >>> from tinygrad_ch8.data.synthetic import rosenbrock  # (1 − x₀)² + 100 (x₁ − x₀²)²
        >>> opt = optim.BFGS([x], max_iter=100)
        >>> first_loss = opt.step(lambda: rosenbrock(x))
        >>> [round(value, 6) for value in x.tolist()]  # the minimum (1, 1)
        [1.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        max_iter: int = 1,
        max_eval: int | None = None,
        tolerance_grad: float = TOLERANCE_GRAD,
        tolerance_change: float = TOLERANCE_CHANGE,
        line_search_fn: str | None = "strong_wolfe",
    ):
        super().__init__(
            params,
            iteration_settings(
                max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn
            ),
        )

    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        if last is not None:
            step, gradient_change = last.pair(gradient)
            curvature = float(gradient_change @ step)
            if curvature > 1e-10:
                if "inverse_hessian" not in state:
                    xp = backend.array_module(gradient)
                    scale = curvature / float(gradient_change @ gradient_change)
                    state["inverse_hessian"] = scale * xp.eye(
                        gradient.shape[0], dtype=gradient.dtype
                    )
                state["inverse_hessian"] = bfgs_update(
                    state["inverse_hessian"], step, gradient_change
                )
        if "inverse_hessian" not in state:
            return -gradient
        return -(state["inverse_hessian"] @ gradient)

    def initial_step(
        self, value: float, gradient: Array, direction: Array, last: LastStep | None, state: dict
    ) -> float:
        if "inverse_hessian" in state:
            return 1.0
        return step_from_last_step(value, gradient, direction, last)
