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


def rand(
    *shape, rng=None, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples from [0, 1), drawn on the host from ``rng`` (None: the ``manual_seed`` generator)."""
    dtype = backend.get_default_dtype() if dtype is None else backend.float_dtype(dtype)
    values = backend.rng(rng).random(_shape(shape)).astype(dtype)
    return Tensor(values, requires_grad, device=backend.check_device(device))


def tensor(data, dtype=None, requires_grad: bool = False, device: str | None = None) -> Tensor:
    """PyTorch's ``torch.tensor``: a new tensor holding a copy of ``data`` (``Tensor(data, ...)``)."""
    return Tensor(
        data, requires_grad=requires_grad, dtype=dtype, device=backend.check_device(device)
    )


def full(
    shape, fill_value, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``; an int fill gives int64, a float the default dtype."""
    if dtype is None:
        dtype = backend.int64 if isinstance(fill_value, int) else backend.get_default_dtype()
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(
        backend.numpy.full(shape, fill_value, dtype=dtype),
        requires_grad,
        device=backend.check_device(device),
    )


def zeros_like(
    like: Tensor, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """Zeros with ``like``'s shape, and its dtype and device unless given."""
    return full(like.shape, 0, _dtype_of(like, dtype), device or like.device, requires_grad)


def ones_like(
    like: Tensor, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """Ones with ``like``'s shape, and its dtype and device unless given."""
    return full(like.shape, 1, _dtype_of(like, dtype), device or like.device, requires_grad)


def _dtype_of(like: Tensor, dtype):
    return like.dtype if dtype is None else dtype


def arange(
    start, end=None, step=1, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """``start, start + step, …`` below ``end`` (``arange(n)``: 0 … n − 1), as ``torch.arange``:
    integers give int64, any float among the arguments the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if floats else backend.int64
    values = backend.numpy.arange(start, end, step, dtype=dtype)
    return Tensor(values, requires_grad, device=backend.check_device(device))


def eye(
    n: int, m: int | None = None, dtype=None, device: str | None = None, requires_grad: bool = False
) -> Tensor:
    """The n × m identity matrix (n × n by default) in the default dtype."""
    dtype = backend.get_default_dtype() if dtype is None else dtype
    return Tensor(
        backend.numpy.eye(n, m, dtype=dtype), requires_grad, device=backend.check_device(device)
    )
