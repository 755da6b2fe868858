"""Engine: the array backend, NumPy on the CPU and CuPy on an NVIDIA GPU.

This is the only module that imports numpy or cupy. Every other module asks it for the
array module (``xp``) of its operands, so one piece of code runs on both devices.

Devices are named ``"cpu"`` and ``"cuda"``. The "cuda" device is reached only through the two
module names ``cupy`` and ``cupyx`` below (``None`` without CuPy): a module with CuPy's interface
put there serves as the device (the tests put a strict NumPy-backed stand-in there on machines
without a GPU). Random numbers always come from a NumPy
``Generator`` on the host and are moved to the device afterwards, so a seed gives the same
numbers on both devices.
"""

from __future__ import annotations

import ctypes
import math
import sys
from typing import Any

import numpy

try:  # CuPy is the optional `cuda` extra; its absence is reported only when "cuda" is asked for
    import cupy
    import cupyx

    _cupy_import_error: Exception | None = None
except Exception as error:  # noqa: BLE001 - any failure to import means "no CuPy"
    cupy = None
    cupyx = None
    _cupy_import_error = error


def keep_freed_host_memory() -> bool:
    """Ask glibc's malloc to reuse freed blocks of up to 32 MiB instead of returning them to the OS.

    An explicit call, made by the command line (``cli.main``) and the benchmarks, never by
    ``import tinygrad_ch8``: it changes malloc's thresholds for the whole process, which a
    library should not do to the program that imports it. Call it yourself in a script that
    trains with large batches or double backward.

    Why: by default a large array is mmap'ed fresh and unmapped when freed, so while a graph keeps
    many arrays alive (double backward, big batches) every new array pays a page fault per 4 KiB:
    a 0.8 MB product then costs 0.45 ms instead of 0.03 ms. Keeping the memory (as PyTorch's caching
    allocator does) removes that; resident memory stays at its peak instead of shrinking. Other C
    libraries (musl, macOS) are left alone.

    Returns:
        Whether the thresholds were changed (False off Linux/glibc).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's largest allowed value on 64-bit
    mallopt(m_trim_threshold, 256 * 1024 * 1024)
    return True


Array = Any  # a NumPy or CuPy ndarray, the type of ``Tensor.data``: named for the signatures
Seed = int | numpy.random.Generator | None  # what every ``rng`` argument accepts


def limit_blas_threads(threads: int | None) -> None:
    """Use at most ``threads`` threads in the BLAS library (OpenBLAS, MKL) from now on; None: leave it.

    Why: when other programs keep every core busy, a multi-threaded BLAS spins its threads
    waiting for cores on every small product. Measured on a 2-core machine under load, one
    thread ran ``tinygrad-ch8 train --epochs 3`` in 2.8-3.0 s against 24-29 s with OpenBLAS's
    default of one thread per core, and a (512, 784) @ (784, 1024) product in 40 ms against
    98 ms; only mid-sized products on an idle machine gain from a second thread. The command
    line and the examples call this with 1 unless told otherwise (``--threads``); importing
    the package changes nothing. Uses ``threadpoolctl``, the library scikit-learn uses for this.
    """
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"limit_blas_threads: threads must be at least 1, got {threads}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


DEVICES = ("cpu", "cuda")
float32, float64, int64 = numpy.dtype("float32"), numpy.dtype("float64"), numpy.dtype("int64")
FLOAT_DTYPES = (float32, float64)

_default_dtype = numpy.dtype("float32")
_default_device = "cpu"
_generator = numpy.random.default_rng()


# ---------------------------------------------------------------- devices
def check_device(device: str | None) -> str:
    """Return a valid device name (``None`` means the default), or raise a clear error."""
    if device is None:
        return _default_device
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {DEVICES}")
    if device == "cuda":
        _require_cuda()
    return device


def _require_cuda() -> None:
    if cupy is None:
        raise RuntimeError(
            f"device 'cuda' needs CuPy, which could not be imported ({_cupy_import_error}); "
            "install it with: pip install 'tinygrad-ch8[cuda]'"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - the CUDA runtime reports missing drivers this way
        count, reason = 0, f" ({error})"
    else:
        reason = ""
    if count == 0:
        raise RuntimeError(
            f"device 'cuda' asked for, CuPy is installed but no CUDA GPU was found{reason}"
        )


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _require_cuda()
    except RuntimeError:
        return False
    return True


def array_module(array):
    """The module (numpy or cupy) that owns ``array``: the ``xp`` of the rest of the code."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return numpy


def device_of(array) -> str:
    return "cuda" if array_module(array) is not numpy else "cpu"


def module_for(device: str):
    return cupy if device == "cuda" else numpy


def to_device(array, device: str):
    """``array`` on ``device``; the same object when it is already there."""
    if device_of(array) == device:
        return array
    if device == "cuda":
        _require_cuda()
        return cupy.asarray(array)
    return cupy.asnumpy(array)


def to_numpy(array):
    """A NumPy array on the host (a copy when the array lives on the GPU)."""
    return numpy.asarray(array) if array_module(array) is numpy else cupy.asnumpy(array)


# ---------------------------------------------------------------- dtypes
def get_default_dtype():
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python lists, scalars and new layers get: float32 or float64."""
    global _default_dtype
    _default_dtype = float_dtype(dtype)


def float_dtype(dtype):
    """``dtype`` (a NumPy dtype, type or name) as a NumPy dtype, checked to be float32 or float64."""
    try:
        resolved = numpy.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"not a dtype: {dtype!r}") from error
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"expected float32 or float64, got {resolved}")
    return resolved


def is_float(dtype) -> bool:
    return numpy.dtype(dtype).kind == "f"


def get_default_device() -> str:
    return _default_device


def set_default_device(device: str) -> None:
    """Set the device that new tensors and layers are created on: ``"cpu"`` or ``"cuda"``."""
    global _default_device
    _default_device = check_device(device)


# ---------------------------------------------------------------- making arrays
def is_array(value) -> bool:
    return isinstance(value, numpy.ndarray) or (
        cupy is not None and isinstance(value, cupy.ndarray)
    )


def is_numpy_scalar(value) -> bool:
    return isinstance(value, numpy.generic)


def as_array(data, dtype=None, device: str | None = None, copy: bool = True):
    """A new backend array from a list, scalar or array.

    An array keeps its dtype and device unless told otherwise; lists and Python scalars of
    floats take the default dtype, lists of ints stay integer.
    """
    if is_numpy_scalar(data):  # a NumPy scalar carries its dtype like a 0-d array
        data = numpy.asarray(data)
    if device is None:
        device = device_of(data) if is_array(data) else _default_device
    device = check_device(device)
    if dtype is None and not is_array(data):
        host = numpy.asarray(data)
        if host.dtype.kind == "f" or host.dtype.kind == "O":
            dtype = _default_dtype
    array = to_device(data if is_array(data) else numpy.asarray(data, dtype=dtype), device)
    xp = array_module(array)
    return xp.array(array, dtype=dtype) if copy else xp.asarray(array, dtype=dtype)


def scalar_array(value, dtype, like):
    """A read-only 0-d array (where the backend allows it) holding ``value`` with ``dtype`` (None:
    the default dtype) on the device of ``like``: the array of a Python number in an expression."""
    array = array_module(like).asarray(value, dtype=_default_dtype if dtype is None else dtype)
    if array_module(like) is numpy:
        array.flags.writeable = False
    return array


# Below this many elements a broadcast is cheaper copied than viewed (see ``broadcast``).
SMALL_BROADCAST = 1 << 14


def broadcast(array, shape: tuple):
    """``array`` broadcast to ``shape``: a new array when the result is small, else a view.

    NumPy's ``broadcast_to`` spends about 5 µs in Python whatever the size, several times the
    cost of filling a small new array; above ``SMALL_BROADCAST`` elements the copy would cost
    more than the view saves. CuPy's ``broadcast_to`` is cheap, so it is always used there.
    """
    if array_module(array) is numpy and math.prod(shape) <= SMALL_BROADCAST:
        result = numpy.empty(shape, dtype=array.dtype)
        result[...] = array
        return result
    return array_module(array).broadcast_to(array, shape)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices accumulate (NumPy's ``add.at``)."""
    if array_module(target) is numpy:
        numpy.add.at(target, index, values)
    else:
        cupyx.scatter_add(target, index, values)


def cholesky(matrix):
    """The lower Cholesky factor L of a symmetric ``matrix`` (LLᵀ = matrix).

    Raises ``numpy.linalg.LinAlgError`` when the matrix is not positive definite, on both devices:
    by default CuPy returns an unspecified matrix instead, so its check is switched on here (it
    reads cuSOLVER's status back to the host).
    """
    if array_module(matrix) is numpy:
        return numpy.linalg.cholesky(matrix)
    with cupyx.errstate(linalg="raise"):
        return cupy.linalg.cholesky(matrix)


def has_repeats_possible(index) -> bool:
    """Whether an index may name one element twice (it holds an integer or boolean array)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(is_array(part) or isinstance(part, list) for part in parts)


# ---------------------------------------------------------------- randomness
def manual_seed(seed: int) -> None:
    """Reseed the generator that ``rng=None`` arguments draw from."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def rng(seed_or_generator=None):
    """A NumPy Generator: the global one for None, a new one for an int, the same one for a Generator."""
    if seed_or_generator is None:
        return _generator
    if isinstance(seed_or_generator, numpy.random.Generator):
        return seed_or_generator
    if isinstance(seed_or_generator, (int, numpy.integer)):
        return numpy.random.default_rng(int(seed_or_generator))
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {type(seed_or_generator).__name__}"
    )
