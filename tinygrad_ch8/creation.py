"""Engine: new tensors filled with constants or random numbers, on the default (or a given) device."""

from __future__ import annotations

from . import backend
from .tensor import Tensor


def _shape(shape) -> tuple:
    return (
        tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    )


def zeros(*shape, dtype=None, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    dtype = backend.get_default_dtype() if dtype is None else dtype
    return Tensor(
        backend.numpy.zeros(_shape(shape), dtype=dtype),
        requires_grad,
        device=backend.check_device(device),
    )


def ones(*shape, dtype=None, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``."""
    dtype = backend.get_default_dtype() if dtype is None else dtype
    return Tensor(
        backend.numpy.ones(_shape(shape), dtype=dtype),
        requires_grad,
        device=backend.check_device(device),
    )


def randn(
    *shape, rng=None, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples drawn on the host from ``rng`` (None: the ``manual_seed`` generator)."""
    dtype = backend.get_default_dtype() if dtype is None else backend.float_dtype(dtype)
    values = backend.rng(rng).standard_normal(_shape(shape)).astype(dtype)
    return Tensor(values, requires_grad, device=backend.check_device(device))
