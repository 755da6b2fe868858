"""Optim: ``minimize``, every optimizer applied to a function of one flat Tensor, SciPy-style (section 8.6).

    result = optim.minimize(rosenbrock, x0, method="BFGS", tol=1e-5)
    result.x, result.fun, result.nit, result.nfev

The second-order methods run as one ``step`` with ``max_iter`` iterations (``descent.py``);
the first-order ones (``"SGD"``, ``"Adam"``, ...) take one step per gradient. Either way the
run stops when ‖g‖∞ ≤ tol, and the result says what it cost.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from .. import backend
from ..tensor import Tensor
from .bfgs import BFGS
from .cg import NonlinearCG
from .lbfgs import LBFGS
from .newton import Newton
from .newton_cg import NewtonCG

SECOND_ORDER = {
    "newton": Newton,
    "newton-cg": NewtonCG,
    "cg": NonlinearCG,
    "bfgs": BFGS,
    "l-bfgs": LBFGS,
    "lbfgs": LBFGS,
}
FIRST_ORDER_LR = 1e-3  # the learning rate a first-order method gets when the options name none


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

    x: object
    fun: float
    grad: object
    nit: int
    nfev: int
    ngev: int
    nhvp: int
    success: bool
    message: str


def minimize(
    fn: Callable[[Tensor], Tensor],
    x0,
    method: str = "L-BFGS",
    tol: float | None = None,
    max_iter: int | None = None,
    **options,
) -> OptimizeResult:
    """Minimize the scalar ``fn(x)`` over a flat Tensor x, starting from ``x0``.

    Args:
        fn: maps a 1-D Tensor to a scalar Tensor, built from Tensor ops (so that it can be
            differentiated, twice for Newton and Newton-CG).
        x0: the start, an array or a Tensor; its dtype is kept (float64 is recommended: the
            methods resolve ‖g‖ far below float32's precision).
        method: "Newton", "Newton-CG", "CG", "BFGS", "L-BFGS" or a first-order optimizer
            ("SGD", "Adam", ...); case is ignored.
        tol: stop when ‖g‖∞ ≤ tol (default 1e-5, SciPy's ``gtol``).
        max_iter: the most iterations (default 200 n).
        options: keyword arguments of the method's optimizer (``damping``, ``history_size``,
            ``beta``, ``lr``, ...). Defaults that differ from the optimizer's: L-BFGS uses
            ``line_search_fn="strong_wolfe"``; the line-search methods use
            ``tolerance_change=0`` (stop on the gradient, not on a small change) and no
            evaluation budget beyond ``max_iter``; first-order methods get ``lr=1e-3``.

    Returns:
        An ``OptimizeResult``. A NaN or infinite f stops the run: ``success`` is False, the
        message says so, and x is the last point with a finite f.
    """
    name = method.lower()
    tol = 1e-5 if tol is None else tol
    start = x0.data if isinstance(x0, Tensor) else backend.as_array(x0, copy=False)
    x = Tensor(start.reshape(-1), requires_grad=True)
    max_iter = 200 * x.shape[0] if max_iter is None else max_iter
    if name in SECOND_ORDER:
        return _minimize_second_order(SECOND_ORDER[name], fn, x, tol, max_iter, options)
    from . import OPTIMIZERS  # here, not at the top: the package imports this module while it loads

    if name not in OPTIMIZERS:
        known = ", ".join(["Newton", "Newton-CG", "CG", "BFGS", "L-BFGS", *OPTIMIZERS])
        raise ValueError(f"minimize: unknown method {method!r}; expected one of {known}")
    return _minimize_first_order(OPTIMIZERS[name], fn, x, tol, max_iter, options)


def _minimize_second_order(
    optimizer_class, fn, x: Tensor, tol: float, max_iter: int, options: dict
) -> OptimizeResult:
    options.setdefault("tolerance_change", 0.0)
    options.setdefault("max_eval", 25 * max_iter)
    optimizer = optimizer_class([x], max_iter=max_iter, tolerance_grad=tol, **options)
    try:
        optimizer.step(lambda: fn(x))
    except FloatingPointError as error:
        state = optimizer.state.get(0, {})
        return OptimizeResult(
            x.data.copy(),
            float("nan"),
            None,
            state.get("n_iter", 0),
            state.get("nfev", 0),
            state.get("ngev", 0),
            state.get("nhvp", 0),
            False,
            str(error),
        )
    state = optimizer.state[0]
    gradient = state["grad"]
    success = float(abs(gradient).max()) <= tol
    return OptimizeResult(
        x.data.copy(),
        state["loss"],
        gradient,
        state["n_iter"],
        state["nfev"],
        state["ngev"],
        state["nhvp"],
        success,
        state["message"],
    )


def _minimize_first_order(
    optimizer_class, fn, x: Tensor, tol: float, max_iter: int, options: dict
) -> OptimizeResult:
    options.setdefault("lr", FIRST_ORDER_LR)
    optimizer = optimizer_class([x], **options)
    nit = nfev = 0
    last_finite = x.data.copy()
    while True:
        x.grad = None
        loss = fn(x)
        loss.backward()
        nfev += 1
        value = loss.item()
        gradient = x.grad.data
        if not (
            math.isfinite(value) and bool(backend.array_module(gradient).isfinite(gradient).all())
        ):
            x.data[...] = last_finite
            return OptimizeResult(
                x.data.copy(),
                float("nan"),
                None,
                nit,
                nfev,
                nfev,
                0,
                False,
                f"stopped: f returned a non-finite value ({value}) or gradient at "
                f"evaluation {nfev}; x is the last point with a finite f",
            )
        if float(abs(gradient).max()) <= tol:
            return OptimizeResult(
                x.data.copy(), value, gradient, nit, nfev, nfev, 0, True, "converged: ‖g‖∞ ≤ tol"
            )
        if nit == max_iter:
            return OptimizeResult(
                x.data.copy(),
                value,
                gradient,
                nit,
                nfev,
                nfev,
                0,
                False,
                f"reached max_iter = {max_iter} iterations",
            )
        last_finite = x.data.copy()
        optimizer.step()
        nit += 1
