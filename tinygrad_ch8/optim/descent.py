"""Optim: ``DescentOptimizer``, the iteration shared by every method of section 8.6.

Nonlinear conjugate gradients, BFGS, L-BFGS, Newton and Newton-CG all iterate the same way
on the flat parameter vector θ (``flat.py``), with loss J and gradient g:

    1. stop if ‖g‖∞ ≤ tolerance_grad;
    2. choose a descent direction d, gᵀd < 0: the one thing in which the methods differ
       (``direction``);
    3. choose a step length α along d, starting from a first guess α0 (``initial_step``):
       a line search (``line_search.py``) or the fixed step α0;
    4. move θ ← θ + αd; stop if the step or the change of J is below tolerance_change.

Following PyTorch's ``LBFGS``, one call of ``step(closure)`` runs up to ``max_iter`` such
iterations (and at most ``max_eval`` evaluations of the closure) on the loss the closure
returns: use ``max_iter=1`` to interleave steps with other work (new minibatches), and a
large ``max_iter`` (or ``optim.minimize``) to minimize one fixed function. Each call starts
by evaluating the closure once, because the function may have changed since the last call.

What the iteration remembers of the step just taken is one named record, ``LastStep``
(the direction d, the step length α, and the loss and gradient before the step), handed to
the method's ``direction`` and ``initial_step`` at the next iteration. From it
``LastStep.pair(g)`` gives the step s = α d and the change of gradient y = g − g_prev that
BFGS and L-BFGS learn from. What a method builds from these (BFGS's matrix, L-BFGS's pairs)
lives in ``state[0]`` with the record, so it carries over from one call of ``step`` to the
next as PyTorch's does. ``state[0]`` also counts ``n_iter``, ``nfev`` (closure calls),
``ngev`` (gradients) and ``nhvp`` (Hessian-vector products) over all calls, and after each
call holds ``loss`` and ``grad`` at the current point and a ``message`` saying why the call
stopped.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .flat import set_parameters
from .line_search import backtracking, step_from_last_decrease, strong_wolfe
from .objective import Line, Objective
from .optimizer import Optimizer, check_nonnegative

LINE_SEARCHES = (None, "strong_wolfe", "backtracking")
TOLERANCE_GRAD = 1e-7  # the defaults every line-search method shares (PyTorch's LBFGS's)
TOLERANCE_CHANGE = 1e-9


def iteration_settings(
    max_iter: int,
    max_eval: int | None,
    tolerance_grad: float,
    tolerance_change: float,
    line_search_fn: str | None,
) -> dict:
    """The five hyperparameters of the shared iteration, as the ``defaults`` entries they become."""
    return {
        "max_iter": max_iter,
        "max_eval": max_eval,
        "tolerance_grad": tolerance_grad,
        "tolerance_change": tolerance_change,
        "line_search_fn": line_search_fn,
    }


class LastStep(NamedTuple):
    """What a line-search method remembers of its last step θ ← θ + α d."""

    direction: Array  # d, flat
    step_length: float  # α
    loss: float  # J before the step
    gradient: Array  # g before the step

    def pair(self, gradient: Array) -> tuple:
        """(s, y) = (α d, g − g_prev), with ``gradient`` the gradient g after the step."""
        return self.step_length * self.direction, gradient - self.gradient


def step_from_last_step(
    value: float, gradient: Array, direction: Array, last: LastStep | None
) -> float:
    """``line_search.step_from_last_decrease`` at the current point: a first trial step length."""
    return step_from_last_decrease(
        value,
        None if last is None else last.loss,
        float(gradient @ direction),
        math.sqrt(float(gradient @ gradient)),
    )


class DescentOptimizer(Optimizer):
    """Base class of the line-search methods of section 8.6; subclasses define ``direction``.

    Every subclass takes the hyperparameters ``max_iter``, ``max_eval``, ``tolerance_grad``,
    ``tolerance_change`` and ``line_search_fn`` (None, ``"strong_wolfe"`` or
    ``"backtracking"``) with the meanings of PyTorch's ``LBFGS``.
    """

    uses_hvp = False  # whether ``direction`` uses Hessian-vector products (Newton, Newton-CG)
    wolfe_c2 = 0.9  # the curvature constant of the strong Wolfe search: 0.9 suits Newton-like steps

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict):
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                f"{type(self).__name__} works on one flat vector of parameters: "
                "give it a single parameter group"
            )

    def check_hyperparameters(self, group: dict) -> None:
        if not (isinstance(group["max_iter"], int) and group["max_iter"] >= 1):
            raise ValueError(f"invalid max_iter: {group['max_iter']} (it must be an int >= 1)")
        if group["max_eval"] is not None and not group["max_eval"] >= 1:
            raise ValueError(f"invalid max_eval: {group['max_eval']} (it must be None or >= 1)")
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        check_nonnegative("tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(
                f"invalid line_search_fn: {group['line_search_fn']!r} "
                f"(expected one of {LINE_SEARCHES})"
            )

    def load_state_dict(self, state_dict: dict) -> None:
        """``Optimizer.load_state_dict``, with the saved last step made a ``LastStep`` again."""
        super().load_state_dict(state_dict)
        state = self.state.get(0, {})
        if isinstance(state.get("last_step"), dict):
            state["last_step"] = LastStep(**state["last_step"])

    # ------------------------------------------------------------ what a method defines
    @abc.abstractmethod
    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        """The search direction d at the current point, whose gradient is ``gradient``.

        ``last`` is the step that led here (None before the first one).
        """

    def initial_step(
        self, value: float, gradient: Array, direction: Array, last: LastStep | None, state: dict
    ) -> float:
        """The first step length tried along ``direction``: 1, the natural step of Newton-like methods."""
        return 1.0

    def after_step(self, state: dict, alpha: float, value: float, new_value: float) -> None:
        """Learn from the step just taken (Newton-CG adapts its damping here); by default nothing."""

    # ------------------------------------------------------------ the shared iteration
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor:
        """Run up to ``max_iter`` iterations on ``closure``'s loss; return the loss it first returned."""
        group = self.param_groups[0]
        state = self.state.setdefault(0, {"n_iter": 0, "nfev": 0, "ngev": 0, "nhvp": 0})
        objective = Objective(group["params"], closure, type(self).__name__, uses_hvp=self.uses_hvp)
        try:
            first_value = self._iterate(objective, group, state)
        finally:
            state["nfev"] += objective.nfev
            state["ngev"] += objective.ngev
            state["nhvp"] += objective.nhvp
        return first_value

    def _iterate(self, objective: Objective, group: dict, state: dict) -> Tensor:
        value, gradient = objective.evaluate()
        first_value = Tensor(value, dtype=gradient.dtype, device=backend.device_of(gradient))
        x = objective.x()
        objective.accept(x)
        max_eval = (
            group["max_eval"] if group["max_eval"] is not None else group["max_iter"] * 5 // 4
        )
        tolerance_change = group["tolerance_change"]
        state["message"] = f"reached max_iter = {group['max_iter']} iterations"
        for _ in range(group["max_iter"]):
            if float(abs(gradient).max()) <= group["tolerance_grad"]:
                state["message"] = "converged: ‖g‖∞ ≤ tolerance_grad"
                break
            state["n_iter"] += 1
            last = state.get("last_step")
            d = self.direction(objective, gradient, last, state)
            slope = float(gradient @ d)
            if not slope < 0:
                state["message"] = f"stopped: the direction does not descend (gᵀd = {slope:.3g})"
                break
            alpha0 = self.initial_step(value, gradient, d, last, state)
            alpha, new_x, new_value, new_gradient = self._line_search(
                objective, group, x, d, value, slope, alpha0, tolerance_change
            )
            if alpha == 0.0:
                set_parameters(objective.params, x)
                state["message"] = (
                    "stopped: the line search found no lower loss along the direction"
                )
                break
            objective.accept(new_x)
            state["last_step"] = LastStep(
                direction=d, step_length=alpha, loss=value, gradient=gradient
            )
            self.after_step(state, alpha, value, new_value)
            step_size = float(abs(alpha * d).max())
            loss_change = abs(new_value - value)
            x, value, gradient = new_x, new_value, new_gradient
            if objective.nfev >= max_eval:
                state["message"] = f"reached max_eval = {max_eval} evaluations"
                break
            if step_size <= tolerance_change:
                state["message"] = "stopped: the step is below tolerance_change"
                break
            if loss_change < tolerance_change:
                state["message"] = "stopped: the loss changed by less than tolerance_change"
                break
        state["loss"], state["grad"] = value, gradient
        return first_value

    def _line_search(
        self,
        objective: Objective,
        group: dict,
        x,
        d,
        value: float,
        slope: float,
        alpha0: float,
        tolerance_change: float,
    ) -> tuple:
        """(α, θ + αd, J, g) for the step chosen along d; α = 0 when no step lowered the loss."""
        line = Line(objective, x, d)
        if group["line_search_fn"] is None:
            line(alpha0)
            alpha = alpha0
        elif group["line_search_fn"] == "strong_wolfe":
            alpha = strong_wolfe(
                line,
                value,
                slope,
                alpha0,
                c2=self.wolfe_c2,
                alpha_tolerance=tolerance_change / float(abs(d).max()),
            ).alpha
        else:
            alpha = backtracking(line, value, slope, alpha0).alpha
        if alpha == 0.0:
            return 0.0, x, value, None
        return (alpha, *line.move_to(alpha))
