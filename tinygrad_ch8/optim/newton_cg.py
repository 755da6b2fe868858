"""Optim: Newton-CG, also called truncated Newton or Hessian-free optimization (section 8.6.1-8.6.2).

Newton's step solves (H + λI) p = −g. Forming H costs n Hessian-vector products and the
solve O(n³); but linear conjugate gradients (``cg.py``) solve the system using only
products (H + λI)v, and reverse mode gives Hv = ∇(gᵀv) for the price of about one more
gradient (Pearlmutter 1994). Stopping CG early, once the residual is small relative to ‖g‖,
gives a direction nearly as good as Newton's at a fraction of the cost, and scales to a
whole network's parameters (Martens 2010).

Two safeguards make it work away from a minimum:

* negative curvature: when CG meets a direction with dᵀ(H + λI)d ≤ 0 it stops and returns
  the direction built so far (−g if it is the first), which still descends;
* damping: λ is adapted by the Levenberg–Marquardt rule from the ratio of the actual to
  the predicted decrease, ρ = (J(θ + αp) − J(θ)) / q(αp) with q the quadratic model CG
  minimized: ρ < ¼ (the model was too optimistic) → λ ← 3/2 λ; ρ > ¾ → λ ← 2/3 λ.

A line search along p (strong Wolfe by default) guarantees the decrease. Its first trial
step is min(1, 1.01 · 2ΔJ/φ'(0)) from the last decrease ΔJ, as in SciPy's Newton-CG: the
Newton step 1 near a minimum, a shorter one where the last iteration suggests the quadratic
model overshoots (on Rosenbrock in 100 dimensions this saves about half the evaluations
that always trying 1 costs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..backend import Array
from ..tensor import Tensor
from .cg import conjugate_gradient
from .descent import (
    TOLERANCE_CHANGE,
    TOLERANCE_GRAD,
    DescentOptimizer,
    LastStep,
    iteration_settings,
    step_from_last_step,
)
from .objective import Objective
from .optimizer import check_nonnegative


def forcing_tolerance(gradient_norm: float, cg_tol: float | None) -> float:
    """How small CG's residual must get: η‖g‖ with η = min(½, √‖g‖) by default.

    The shrinking η makes Newton-CG converge superlinearly near a minimum while keeping
    CG short far from it (Nocedal & Wright, Algorithm 7.1); a given ``cg_tol`` fixes η.
    """
    eta = min(0.5, math.sqrt(gradient_norm)) if cg_tol is None else cg_tol
    return eta * gradient_norm


def levenberg_marquardt(damping: float, ratio: float) -> float:
    """λ after a step whose actual decrease was ``ratio`` times the predicted one (Martens 2010)."""
    if ratio < 0.25:
        return damping * 1.5
    if ratio > 0.75:
        return damping * (2 / 3)
    return damping


class NewtonCG(DescentOptimizer):
    """Truncated Newton: p ≈ −(H + λI)⁻¹g by conjugate gradients on Hessian-vector products.

    Each iteration runs ``conjugate_gradient`` on (H + λI) p = −g from p = 0 for at most
    ``max_cg_iter`` products, until ‖r‖ ≤ η‖g‖ (``forcing_tolerance``) or negative curvature,
    then searches along p. With ``damping`` λ > 0, λ then adapts by the
    Levenberg–Marquardt rule (``levenberg_marquardt``); with λ = 0 it stays 0 (pure
    truncated Newton, right for convex losses). ``state[0]`` holds ``damping`` (the current
    λ), ``cg_iterations`` and ``negative_curvature`` of the last iteration.

    The closure must return the loss with its graph (no ``backward()`` inside).

    Args:
        params: the parameters (one group): a whole network is fine, nothing n×n is formed.
        damping: the initial λ ≥ 0.
        max_cg_iter: CG products per iteration (None: n).
        cg_tol: a fixed relative residual η for CG (None: η = min(½, √‖g‖)).
        max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn: as in
            ``LBFGS`` (default line search: ``"strong_wolfe"``); each ``step(closure)`` runs up
            to ``max_iter`` iterations.

    References: Martens, "Deep learning via Hessian-free optimization" (ICML 2010); Nocedal &
    Wright, *Numerical Optimization* (2006), Algorithm 7.1; Pearlmutter, "Fast exact
    multiplication by the Hessian" (1994).

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> A = tg.Tensor([[3.0, 1.0], [1.0, 2.0]], dtype="float64")
        >>> b = tg.Tensor([1.0, 1.0], dtype="float64")
        >>> w = tg.Tensor([0.0, 0.0], dtype="float64", requires_grad=True)
        >>> def quadratic():  # ½ wᵀAw − bᵀw, minimized at A⁻¹b = (0.2, 0.4)
        ...     return 0.5 * (w * (A @ w)).sum() - (b * w).sum()
        >>> opt = optim.NewtonCG([w], cg_tol=1e-8)
        >>> first_loss = opt.step(quadratic)  # CG solves Hp = −g with 2 products Hv
        >>> [round(value, 6) for value in w.tolist()], opt.state[0]["nhvp"]
        ([0.2, 0.4], 2)
    """

    uses_hvp = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        damping: float = 0.0,
        max_cg_iter: int | None = None,
        cg_tol: float | None = None,
        max_iter: int = 1,
        max_eval: int | None = None,
        tolerance_grad: float = TOLERANCE_GRAD,
        tolerance_change: float = TOLERANCE_CHANGE,
        line_search_fn: str | None = "strong_wolfe",
    ):
        defaults = {
            "damping": damping,
            "max_cg_iter": max_cg_iter,
            "cg_tol": cg_tol,
            **iteration_settings(
                max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn
            ),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        check_nonnegative("damping", group["damping"])
        if group["max_cg_iter"] is not None and not group["max_cg_iter"] >= 1:
            raise ValueError(
                f"invalid max_cg_iter: {group['max_cg_iter']} (it must be None or >= 1)"
            )
        if group["cg_tol"] is not None and not 0 < group["cg_tol"] < 1:
            raise ValueError(f"invalid cg_tol: {group['cg_tol']} (it must be None or in (0, 1))")

    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        group = self.param_groups[0]
        damping = state.setdefault("damping", group["damping"])
        gradient_norm = math.sqrt(float(gradient @ gradient))
        result = conjugate_gradient(
            lambda v: objective.hvp(v) + damping * v,
            -gradient,
            max_iter=group["max_cg_iter"],
            tol=forcing_tolerance(gradient_norm, group["cg_tol"]),
        )
        state["cg_iterations"] = result.iterations
        state["negative_curvature"] = result.negative_curvature
        # the quadratic model along the direction, q(αp) = α gᵀp + ½ α² pᵀ(H + λI)p, for ρ
        state["model_slope"] = float(gradient @ result.x)
        state["model_curvature"] = result.curvature
        return result.x

    def initial_step(
        self, value: float, gradient: Array, direction: Array, last: LastStep | None, state: dict
    ) -> float:
        return step_from_last_step(value, gradient, direction, last)

    def after_step(self, state: dict, alpha: float, value: float, new_value: float) -> None:
        predicted = alpha * state["model_slope"] + 0.5 * alpha * alpha * state["model_curvature"]
        # a step past the model's minimum (α > 2 on a CG iterate) predicts no decrease: skip it
        if predicted < 0:
            state["damping"] = levenberg_marquardt(
                state["damping"], (new_value - value) / predicted
            )
