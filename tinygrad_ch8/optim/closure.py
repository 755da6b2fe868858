"""Optim: the closure contract, one helper that every optimizer, ``Objective`` and ``minimize`` call.

A closure re-evaluates the loss at the parameters' current values and returns it. It may be
written in either of two styles:

* it returns the loss with its graph: the gradients g = ∂J/∂θ are then taken here with
  ``tg.grad`` (recording g's own graph when ``create_graph=True``, so that Hessian-vector
  products Hv = ∇(gᵀv) can differentiate it again);
* it runs ``loss.backward()`` itself, PyTorch's style: the graph is then released and the
  gradients are read from ``.grad``. Hessian-vector products are impossible in this style,
  so with ``create_graph=True`` it is refused with an error saying what to change.

Every ``.grad`` is cleared before the closure runs, so gradients left from an earlier
evaluation are never mistaken for this one's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .. import backend
from ..autograd import grad
from ..backend import Array
from ..grad_mode import enable_grad
from ..tensor import Tensor


def loss_and_gradients(
    closure: Callable[[], Tensor],
    params: Sequence[Tensor],
    create_graph: bool = False,
    caller: str = "step",
) -> tuple[Tensor, list[Tensor | None]]:
    """Call ``closure()`` with gradients recorded; return its loss and ∂loss/∂θ for each θ in ``params``.

    Args:
        closure: returns the loss as a scalar Tensor, in either style above.
        params: the parameters θ; one not requiring grad, or not reached by the loss, gets None.
        create_graph: record the gradients' graph (for Hessian-vector products).
        caller: the optimizer's name, for error messages.

    Raises:
        TypeError: the closure returned something other than a scalar Tensor.
        RuntimeError: ``create_graph`` was asked of a closure that ran ``backward()``.
    """
    params = list(params)
    for param in params:
        param.grad = None
    with enable_grad():
        loss = closure()
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise TypeError(
            f"{caller}: the closure must return the loss as a scalar Tensor, got {loss!r}"
        )
    graph_alive = loss.grad_fn is not None and not loss.grad_fn.released
    if not graph_alive:
        gradients = [param.grad for param in params]
        if create_graph and any(gradient is not None for gradient in gradients):
            raise RuntimeError(
                f"{caller} needs Hessian-vector products, so the closure must return the loss "
                "with its graph: remove loss.backward() (and zero_grad()) from the closure"
            )
        return loss, gradients
    differentiable = [param for param in params if param.requires_grad]
    taken = iter(grad(loss, differentiable, create_graph=create_graph, allow_unused=True))
    return loss, [next(taken) if param.requires_grad else None for param in params]


def is_finite(value: float, gradient: Array) -> bool:
    """Whether the loss ``value`` and every entry of the flat ``gradient`` array are finite."""
    return math.isfinite(value) and bool(backend.array_module(gradient).isfinite(gradient).all())
