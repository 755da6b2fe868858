"""Optim: L-BFGS, BFGS with a memory of the last m steps instead of an n×n matrix (section 8.6.3).

BFGS's matrix M is the result of applying the rank-two update (``bfgs.py``) to a starting
matrix once per (s, y) pair. L-BFGS keeps only the last m pairs and applies those updates
to a scaled identity γI implicitly, each time it needs the direction −Mg, by the two-loop
recursion: O(mn) memory and time instead of O(n²). With m = 1 it is "memoryless BFGS": one
update of γI by the latest pair. (The book, section 8.6.3, describes L-BFGS as assuming that
M(t−1) is the identity; that is memoryless BFGS only: L-BFGS keeps m pairs.)
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


def two_loop_direction(
    gradient: Array, steps: Array, gradient_changes: Array, gamma: float
) -> Array:
    """d = −M g, with M the BFGS updates by the pairs (steps[i], gradient_changes[i]) of γI.

    Nocedal & Wright, Algorithm 7.4, with ρ_i = 1/y_iᵀs_i, pairs oldest first:

        q ← g;  for i newest to oldest:  a_i ← ρ_i s_iᵀq;  q ← q − a_i y_i
        r ← γ q; for i oldest to newest: b ← ρ_i y_iᵀr;   r ← r + (a_i − b) s_i
        d = −r
    """
    # ρ_i, a_i and b stay 0-d arrays on the device: the recursion needs no value on the host
    rhos = [1.0 / (y @ s) for s, y in zip(steps, gradient_changes, strict=True)]
    q = gradient.copy()
    coefficients = []
    for s, y, rho in zip(steps[::-1], gradient_changes[::-1], rhos[::-1], strict=True):
        a = rho * (s @ q)
        q = q - a * y
        coefficients.append(a)
    r = gamma * q
    for s, y, rho, a in zip(steps, gradient_changes, rhos, coefficients[::-1], strict=True):
        b = rho * (y @ r)
        r = r + (a - b) * s
    return -r


class LBFGS(DescentOptimizer):
    """Limited-memory BFGS (Liu & Nocedal 1989), with PyTorch's ``torch.optim.LBFGS`` interface.

        d_t = −M_t g_t  (two-loop recursion over the last ``history_size`` pairs, M_0 = γI,
                         γ = yᵀs / yᵀy of the newest pair)
        θ ← θ + t d_t   (t = lr, or from the line search starting at lr)

    As in PyTorch: one ``step(closure)`` runs up to ``max_iter`` iterations and at most
    ``max_eval`` (default ``max_iter * 5 // 4``) closure evaluations; it stops early when
    ‖g‖∞ ≤ ``tolerance_grad``, or when the step (‖t d‖∞) or the change of the loss is below
    ``tolerance_change``. The first iteration ever is a gradient step of length
    t = min(1, 1/‖g‖₁) · lr; a pair is added only when yᵀs > 1e-10 (the oldest dropped
    beyond ``history_size``), and the memory carries over from one ``step`` to the next.

    Where it differs from PyTorch: ``line_search_fn`` defaults to ``"strong_wolfe"`` (PyTorch's
    default, None, takes fixed steps of length lr, which diverge on many losses), and ``history_size`` defaults to 10 (Nocedal & Wright suggest
    3 to 20 pairs), PyTorch's to 100, so pass it explicitly when comparing the two (with the
    defaults the directions part once more than 10 pairs are kept). PyTorch also stops when
    gᵀd > −``tolerance_change``, which stalls every later call once ‖g‖ is small; here only
    a direction that does not descend (gᵀd ≥ 0) stops. PyTorch skips evaluating the last
    point of a fixed-step run; this one evaluates it, so it reports the loss there.
    Otherwise, with ``line_search_fn=None``, the trajectory is PyTorch's step for step (up to
    round-off; ``tests/test_pytorch_parity.py`` checks it). With ``"strong_wolfe"`` the line
    search is Nocedal & Wright's Algorithms 3.5/3.6 (``line_search.py``) where PyTorch ports
    minFunc's: both return strong Wolfe steps, not always the same ones. ``"backtracking"``
    (Armijo) is an extra choice.

    ``history_size=1`` is memoryless BFGS.

    Args:
        params: the parameters (one group).
        lr: the step length t (the first one tried by a line search).
        max_iter: iterations per ``step``.
        max_eval: closure evaluations per ``step`` (None: max_iter * 5 // 4).
        tolerance_grad: stop when ‖g‖∞ is at most this.
        tolerance_change: stop when the step or the loss changes by less than this.
        history_size: m, the number of (s, y) pairs kept.
        line_search_fn: ``"strong_wolfe"`` (default), ``"backtracking"`` or None (fixed step lr).

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> x = tg.Tensor([-1.2, 1.0], dtype="float64", requires_grad=True)
        >>> from tinygrad_ch8.data.synthetic import rosenbrock  # (1 − x₀)² + 100 (x₁ − x₀²)²
        >>> opt = optim.LBFGS([x], max_iter=100)
        >>> first_loss = opt.step(lambda: rosenbrock(x))  # the closure returns the loss, graph attached
        >>> [round(value, 6) for value in x.tolist()]  # the minimum (1, 1)
        [1.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = TOLERANCE_GRAD,
        tolerance_change: float = TOLERANCE_CHANGE,
        history_size: int = 10,
        line_search_fn: str | None = "strong_wolfe",
    ):
        defaults = {
            "lr": lr,
            "history_size": history_size,
            **iteration_settings(
                max_iter, max_eval, tolerance_grad, tolerance_change, line_search_fn
            ),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        if not group["lr"] > 0:
            raise ValueError(f"invalid lr: {group['lr']} (it must be > 0)")
        if not (isinstance(group["history_size"], int) and group["history_size"] >= 1):
            raise ValueError(
                f"invalid history_size: {group['history_size']} (it must be an int >= 1)"
            )

    def direction(
        self, objective: Objective, gradient: Array, last: LastStep | None, state: dict
    ) -> Array:
        if last is None:
            return -gradient
        step, gradient_change = last.pair(gradient)
        curvature = float(gradient_change @ step)
        if curvature > 1e-10:
            xp = backend.array_module(gradient)
            history_size = self.param_groups[0]["history_size"]
            for name, newest in (("steps", step), ("gradient_changes", gradient_change)):
                rows = (
                    newest[None]
                    if name not in state
                    else xp.concatenate([state[name], newest[None]])
                )
                state[name] = rows[-history_size:]
            state["gamma"] = curvature / (gradient_change @ gradient_change)  # stays on the device
        if "steps" not in state:
            return -gradient
        return two_loop_direction(
            gradient, state["steps"], state["gradient_changes"], state["gamma"]
        )

    def initial_step(
        self, value: float, gradient: Array, direction: Array, last: LastStep | None, state: dict
    ) -> float:
        lr = self.param_groups[0]["lr"]
        if state["n_iter"] == 1:
            return min(1.0, 1.0 / float(abs(gradient).sum())) * lr
        return lr
