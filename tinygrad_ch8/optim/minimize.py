"""Optim: ``minimize``, every optimizer applied to a function of one flat Tensor, SciPy-style (section 8.6).

    result = optim.minimize(rosenbrock, x0, method="BFGS", tol=1e-5)
    result.x, result.fun, result.nit, result.nfev

The second-order methods run as one ``step`` with ``max_iter`` iterations (``descent.py``);
the first-order ones (``"SGD"``, ``"Adam"``, ...) take one step per gradient. Either way the
run stops when ‖g‖∞ ≤ tol, and the result says what it cost. The method is looked up in
``registry.OPTIMIZERS``, the table the command line reads too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .closure import is_finite, loss_and_gradients
from .descent import DescentOptimizer
from .registry import optimizer_class

FIRST_ORDER_LR = 1e-3  # the learning rate a first-order method gets when the options name none
COUNTS = ("n_iter", "nfev", "ngev", "nhvp")  # what a line-search method's state[0] counts


@dataclasses.dataclass
class OptimizeResult:
    """What ``minimize`` found, with SciPy's field names.

    Attributes:
        x: the final point (an array on x0's device, with x0's dtype).
        fun: f(x).
        grad: ∇f(x).
        nit: iterations.
        nfev: calls of f; ngev: gradients; nhvp: Hessian-vector products.
        success: whether ‖∇f(x)‖∞ ≤ tol.
        message: why the run stopped.
    """

    x: Array
    fun: float
    grad: Array | None
    nit: int
    nfev: int
    ngev: int
    nhvp: int
    success: bool
    message: str


def minimize(
    fn: Callable[[Tensor], Tensor],
    x0: Array | Sequence[float] | Tensor,
    method: str = "L-BFGS",
    tol: float | None = None,
    max_iter: int | None = None,
    **options: object,
) -> OptimizeResult:
    """Minimize the scalar ``fn(x)`` over a flat Tensor x, starting from ``x0``.

    Args:
        fn: maps a 1-D Tensor to a scalar Tensor, built from Tensor ops (so that it can be
            differentiated, twice for Newton and Newton-CG).
        x0: the start, an array or a Tensor; its dtype is kept (float64 is recommended: the
            methods resolve ‖g‖ far below float32's precision).
        method: any name of ``optim.OPTIMIZERS``: "Newton", "Newton-CG", "CG", "BFGS",
            "L-BFGS" (or "LBFGS"), or a first-order optimizer ("SGD", "Adam", ...); case is
            ignored.
        tol: stop when ‖g‖∞ ≤ tol (default 1e-5, SciPy's ``gtol``).
        max_iter: the most iterations (default 200 n).
        options: keyword arguments of the method's optimizer (``damping``, ``history_size``,
            ``beta``, ``lr``, ...). Defaults that differ from the optimizer's: the line-search
            methods use ``tolerance_change=0`` (stop on the gradient, not on a small change)
            and an evaluation budget of 25 ``max_iter``; first-order methods get ``lr=1e-3``.

    Returns:
        An ``OptimizeResult``. A NaN or infinite f stops the run: ``success`` is False, the
        message says so, and x is the last point with a finite f.

    Example:
        >>> import numpy as np
        >>> from tinygrad_ch8 import optim
        >>> result = optim.minimize(lambda x: ((x - 3.0) ** 2).sum(), np.zeros(2), method="BFGS")
        >>> result.x.round(6).tolist(), result.success
        ([3.0, 3.0], True)
    """
    optimizer_type = optimizer_class(method, caller="minimize")
    tol = 1e-5 if tol is None else tol
    start = x0.data if isinstance(x0, Tensor) else backend.as_array(x0, copy=False)
    x = Tensor(start.reshape(-1), requires_grad=True)
    max_iter = 200 * x.shape[0] if max_iter is None else max_iter
    if issubclass(optimizer_type, DescentOptimizer):
        return _minimize_second_order(optimizer_type, fn, x, tol, max_iter, options)
    return _minimize_first_order(optimizer_type, fn, x, tol, max_iter, options)


def _result(x: Tensor, tol: float, record: dict) -> OptimizeResult:
    """The ``OptimizeResult`` at x from a record of the run (``loss``, ``grad``, the counts, ``message``).

    A run stopped by a non-finite f has no ``loss`` in its record: fun is NaN and grad None.
    """
    gradient = record.get("grad")
    finished = "loss" in record
    return OptimizeResult(
        x=x.data.copy(),
        fun=record["loss"] if finished else float("nan"),
        grad=gradient if finished else None,
        nit=record.get("n_iter", 0),
        nfev=record.get("nfev", 0),
        ngev=record.get("ngev", 0),
        nhvp=record.get("nhvp", 0),
        success=finished and float(abs(gradient).max()) <= tol,
        message=record["message"],
    )


def _minimize_second_order(
    optimizer_type: type[DescentOptimizer], fn, x: Tensor, tol: float, max_iter: int, options: dict
) -> OptimizeResult:
    options.setdefault("tolerance_change", 0.0)
    options.setdefault("max_eval", 25 * max_iter)
    optimizer = optimizer_type([x], max_iter=max_iter, tolerance_grad=tol, **options)
    try:
        optimizer.step(lambda: fn(x))
    except FloatingPointError as error:
        counts = {name: optimizer.state.get(0, {}).get(name, 0) for name in COUNTS}
        return _result(x, tol, {**counts, "message": str(error)})
    return _result(x, tol, optimizer.state[0])


def _minimize_first_order(
    optimizer_type: type, fn, x: Tensor, tol: float, max_iter: int, options: dict
) -> OptimizeResult:
    options.setdefault("lr", FIRST_ORDER_LR)
    optimizer = optimizer_type([x], **options)
    nit = nfev = 0
    last_finite = x.data.copy()
    while True:
        loss, (gradient,) = loss_and_gradients(lambda: fn(x), [x], caller="minimize")
        nfev += 1
        value = loss.item()
        counts = {"n_iter": nit, "nfev": nfev, "ngev": nfev}
        if not is_finite(value, gradient.data):
            x.data[...] = last_finite
            message = (
                f"stopped: f returned a non-finite value ({value}) or gradient at "
                f"evaluation {nfev}; x is the last point with a finite f"
            )
            return _result(x, tol, {**counts, "message": message})
        reached = {**counts, "loss": value, "grad": gradient.data}
        if float(abs(gradient.data).max()) <= tol:
            return _result(x, tol, {**reached, "message": "converged: ‖g‖∞ ≤ tol"})
        if nit == max_iter:
            message = f"reached max_iter = {max_iter} iterations"
            return _result(x, tol, {**reached, "message": message})
        last_finite = x.data.copy()
        x.grad = gradient
        optimizer.step()
        nit += 1
