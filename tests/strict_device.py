"""Test double: a strict stand-in for CuPy that computes with NumPy on the host.

On a machine without a GPU, tests/conftest.py installs this module as the backend's "cuda"
array module (``backend.cupy``, with :data:`cupyx` as ``backend.cupyx``), so every test row
parametrized over devices runs here. It is never used by the package at run time.

It behaves like CuPy where CuPy differs from NumPy in ways that break code written for NumPy:

- its arrays are their own type, :class:`ndarray`, which wraps a NumPy array it never hands out;
- an operation that mixes one with a host ``numpy.ndarray`` (of any shape) raises TypeError, in
  either order (``device + host`` and ``host + device``); Python and NumPy scalars are allowed;
  a list as an operand of an elementwise operation raises TypeError too;
- implicit conversion to the host (``numpy.asarray(x)``, ``numpy.array(x)``, ``__array__``)
  raises TypeError; :func:`asnumpy`, ``x.get()`` and :func:`asarray` move data explicitly;
- a NumPy function called on its arrays dispatches to the stand-in's function of that name
  (as CuPy's ``__array_function__``/``__array_ufunc__`` do) or raises TypeError when it has none;
- reductions and integer indexing give 0-d device arrays, never NumPy scalars;
- ``cupyx.scatter_add(a, index, values)`` is the unbuffered ``a[index] += values``;
- ``linalg.cholesky`` of a matrix that is not positive definite does not raise (CuPy's default):
  it returns an unspecified matrix, here the lower triangle of the input; it raises
  ``numpy.linalg.LinAlgError`` only inside ``cupyx.errstate(linalg="raise")``.

Every device-to-host copy is counted in :data:`transfers` ``.to_host``: ``asnumpy``, ``get``,
``item``, ``tolist``, ``float``/``int``/``bool``/``complex``/``__index__`` of an array,
``repr``/``str``/``format``, a boolean-mask index (CuPy reads the number of True entries back
to size the result), and the check of a factorization inside ``errstate(linalg="raise")``.

What it does not imitate is listed in tests/STRICT_DEVICE.md.
"""

from __future__ import annotations

import builtins  # the module's own sum, all, any, ... shadow the built-in ones below
import contextlib
import weakref

import numpy

# ---------------------------------------------------------------- the copy counter


class Transfers:
    """How many device-to-host copies have been made since the last :meth:`reset`."""

    def __init__(self) -> None:
        self.to_host = 0

    def reset(self) -> None:
        self.to_host = 0


transfers = Transfers()


def _copy_to_host(host: numpy.ndarray) -> numpy.ndarray:
    transfers.to_host += 1
    return host.copy()


# ---------------------------------------------------------------- moving between host and device


def _unsupported(value) -> TypeError:
    return TypeError(
        f"Unsupported type {type(value)} (the strict stand-in for CuPy: move host arrays to "
        "the device explicitly, with asarray)"
    )


def _is_scalar(value) -> bool:
    return isinstance(value, (bool, int, float, complex, numpy.generic))


def _operand(value):
    """The host array behind an operand of an elementwise operation: a device array or a scalar."""
    if isinstance(value, ndarray):
        return value._host
    if _is_scalar(value):
        return value
    raise _unsupported(value)


def _argument(value):
    """The host form of a function's argument: device arrays unwrapped, host arrays refused."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, numpy.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        if builtins.any(isinstance(item, (float, complex, numpy.floating)) for item in value):
            raise _unsupported(value)  # numbers in a list are host data; shapes and axes are ints
        return type(value)(_argument(item) for item in value)
    return value


def _index(key, counted: bool = True):
    """An index as NumPy takes it. Host index arrays and lists are allowed (CuPy uploads them);
    a boolean mask costs one device-to-host copy, as CuPy reads back how many entries are True."""
    parts = key if isinstance(key, tuple) else (key,)
    converted = []
    for part in parts:
        if isinstance(part, ndarray):
            part = part._host
        if counted and isinstance(part, numpy.ndarray) and part.dtype == bool:
            transfers.to_host += 1
        converted.append(part)
    return tuple(converted) if isinstance(key, tuple) else converted[0]


_live_arrays: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # by id()


def _wrap(result):
    """Device arrays for NumPy results; a NumPy scalar becomes a 0-d device array, as in CuPy."""
    if isinstance(result, numpy.ndarray):
        wrapped = ndarray.__new__(ndarray)
        wrapped._host = result
        _live_arrays[id(wrapped)] = wrapped
        return wrapped
    if isinstance(result, numpy.generic):
        return _wrap(numpy.asarray(result))
    if hasattr(result, "_fields"):  # a named tuple (linalg.eigh, linalg.qr, ...)
        return type(result)(*(_wrap(item) for item in result))
    if isinstance(result, (list, tuple)):
        return type(result)(_wrap(item) for item in result)
    return result


def asarray(value, dtype=None, order=None):
    """A device array: ``value`` itself when it already is one of ``dtype``; else a host-to-device copy."""
    if isinstance(value, ndarray):
        if dtype is None or numpy.dtype(dtype) == value.dtype:
            return value
        return _wrap(value._host.astype(dtype))
    return _wrap(numpy.array(_argument_or_host(value), dtype=dtype, order=order or "K"))


def array(value, dtype=None, copy=True, order="K", ndmin=0):
    """A new device array (a copy unless ``copy=False`` and nothing needs converting)."""
    if isinstance(value, ndarray):
        copy = True if copy else None  # CuPy's copy=False is NumPy 2's copy=None: only if needed
        host = numpy.array(value._host, dtype=dtype, copy=copy, order=order, ndmin=ndmin)
        return value if host is value._host else _wrap(host)
    return _wrap(numpy.array(_argument_or_host(value), dtype=dtype, order=order, ndmin=ndmin))


def _argument_or_host(value):
    """Constructors take host data (an upload) and sequences of device arrays alike."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, (list, tuple)):
        return type(value)(_argument_or_host(item) for item in value)
    return value


def asnumpy(value) -> numpy.ndarray:
    """A host NumPy array: a device-to-host copy for a device array."""
    if isinstance(value, ndarray):
        return _copy_to_host(value._host)
    return numpy.asarray(value)


def get_array_module(*args):
    import sys

    stand_in = sys.modules[__name__]
    return stand_in if builtins.any(isinstance(arg, ndarray) for arg in args) else numpy


# ---------------------------------------------------------------- the array type


class ndarray:  # noqa: N801 - the name CuPy gives it
    """A device array: a NumPy array behind a wall that only explicit copies cross."""

    __slots__ = ("_host", "__weakref__")
    __array_priority__ = 100
    __hash__ = None  # arrays are unhashable, as in NumPy and CuPy

    def __init__(self, shape, dtype=float):
        self._host = numpy.empty(shape, dtype=dtype)
        _live_arrays[id(self)] = self

    # implicit conversion to the host is refused, as CuPy refuses it
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            return NotImplemented
        return _apply_ufunc(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        own = _FUNCTIONS.get(func.__name__)
        if own is None:
            return NotImplemented  # NumPy raises TypeError: no implementation found
        return own(*args, **kwargs)

    # explicit copies to the host, each one counted
    def get(self) -> numpy.ndarray:
        return _copy_to_host(self._host)

    def item(self):
        return _copy_to_host(self._host).item()

    def tolist(self):
        return _copy_to_host(self._host).tolist()

    def __float__(self) -> float:
        return float(_copy_to_host(self._host))

    def __int__(self) -> int:
        return int(_copy_to_host(self._host))

    def __complex__(self) -> complex:
        return complex(_copy_to_host(self._host))

    def __index__(self) -> int:
        return _copy_to_host(self._host).__index__()

    def __bool__(self) -> bool:
        return bool(_copy_to_host(self._host))

    def __repr__(self) -> str:
        return repr(_copy_to_host(self._host))

    def __str__(self) -> str:
        return str(_copy_to_host(self._host))

    def __format__(self, spec: str) -> str:
        return format(_copy_to_host(self._host), spec)

    def set(self, host: numpy.ndarray) -> None:
        """Copy a host array into this one (host to device)."""
        self._host[...] = host

    # attributes that stay on the device
    shape = property(lambda self: self._host.shape)
    ndim = property(lambda self: self._host.ndim)
    size = property(lambda self: self._host.size)
    dtype = property(lambda self: self._host.dtype)
    itemsize = property(lambda self: self._host.itemsize)
    nbytes = property(lambda self: self._host.nbytes)
    strides = property(lambda self: self._host.strides)
    flags = property(lambda self: self._host.flags)
    T = property(lambda self: _wrap(self._host.T))
    real = property(lambda self: _wrap(self._host.real))
    imag = property(lambda self: _wrap(self._host.imag))
    device = property(lambda self: cuda.Device(0))

    @shape.setter
    def shape(self, value) -> None:
        self._host.shape = value

    def __len__(self) -> int:
        return len(self._host)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key):
        return _wrap(self._host[_index(key)])

    def __setitem__(self, key, value) -> None:
        if isinstance(value, numpy.ndarray) or isinstance(value, (list, tuple)):
            raise _unsupported(value)
        self._host[_index(key)] = _operand(value)

    def __getattr__(self, name: str):
        if name not in _METHODS:
            raise AttributeError(f"the strict stand-in for cupy.ndarray has no attribute {name!r}")
        method = getattr(self._host, name)

        def device_method(*args, **kwargs):
            return _wrap(
                method(*map(_argument, args), **{k: _argument(v) for k, v in kwargs.items()})
            )

        return device_method

    def __copy__(self):
        return _wrap(self._host.copy())

    def __deepcopy__(self, memo):
        return _wrap(self._host.copy())

    def __reduce__(self):
        raise TypeError("the strict stand-in does not pickle device arrays; copy to the host first")


# methods that compute on the device and return device arrays (or Python shapes)
_METHODS = frozenset(
    "all any argmax argmin argsort astype clip conj copy cumsum diagonal dot fill flatten max "
    "mean min nonzero prod ravel repeat reshape round sort squeeze std sum swapaxes take trace "
    "transpose var view".split()
)


def _apply_ufunc(ufunc, inputs, kwargs):
    host_inputs = [_operand(value) for value in inputs]
    out = kwargs.pop("out", None)
    if out is not None:
        outs = out if isinstance(out, tuple) else (out,)
        if not builtins.all(isinstance(o, ndarray) for o in outs):
            raise _unsupported(outs[0])
        kwargs["out"] = tuple(o._host for o in outs)
    result = ufunc(*host_inputs, **kwargs)
    if out is not None:
        return out
    return _wrap(result)


def _binary(ufunc, reflected: bool = False):
    def operator(self, other):
        if not (isinstance(other, (ndarray, numpy.ndarray)) or _is_scalar(other)):
            return NotImplemented
        inputs = (other, self) if reflected else (self, other)
        return _apply_ufunc(ufunc, inputs, {})

    return operator


def _in_place(ufunc):
    def operator(self, other):
        _apply_ufunc(ufunc, (self, other), {"out": self})
        return self

    return operator


def _unary(ufunc):
    return lambda self: _apply_ufunc(ufunc, (self,), {})


_BINARY_OPERATORS = {
    "add": numpy.add,
    "sub": numpy.subtract,
    "mul": numpy.multiply,
    "truediv": numpy.true_divide,
    "floordiv": numpy.floor_divide,
    "mod": numpy.remainder,
    "pow": numpy.power,
    "matmul": numpy.matmul,
    "and": numpy.bitwise_and,
    "or": numpy.bitwise_or,
    "xor": numpy.bitwise_xor,
}
for _name, _ufunc in _BINARY_OPERATORS.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    setattr(ndarray, f"__i{_name}__", _in_place(_ufunc))
for _name, _ufunc in {
    "eq": numpy.equal,
    "ne": numpy.not_equal,
    "lt": numpy.less,
    "le": numpy.less_equal,
    "gt": numpy.greater,
    "ge": numpy.greater_equal,
}.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
for _name, _ufunc in {
    "neg": numpy.negative,
    "pos": numpy.positive,
    "abs": numpy.absolute,
    "invert": numpy.invert,
}.items():
    setattr(ndarray, f"__{_name}__", _unary(_ufunc))


# ---------------------------------------------------------------- module functions


def _device_function(host_function):
    def device_function(*args, **kwargs):
        if isinstance(host_function, numpy.ufunc):
            return _apply_ufunc(host_function, args, kwargs)
        return _wrap(
            host_function(*map(_argument, args), **{k: _argument(v) for k, v in kwargs.items()})
        )

    device_function.__name__ = host_function.__name__
    return device_function


# NumPy's functions of these names, computing on device arrays (CuPy has all of them)
_FUNCTION_NAMES = (
    "abs absolute add all allclose amax amin any arange argmax argmin argsort array_equal "
    "ascontiguousarray count_nonzero cumprod diff expand_dims flip hstack nonzero split "
    "atleast_1d atleast_2d broadcast_to ceil clip concatenate copy cos cosh cumsum diag diagonal "
    "divide dot einsum empty empty_like equal exp expm1 eye flatnonzero floor full full_like "
    "greater greater_equal isclose isfinite isinf isnan less less_equal linspace log log1p "
    "logaddexp logical_and logical_not logical_or matmul max maximum mean min minimum moveaxis "
    "multiply negative not_equal ones ones_like outer power prod ravel reciprocal repeat reshape "
    "round sign sin sinh sort sqrt square squeeze stack std subtract sum swapaxes take tanh tile "
    "trace transpose tril triu true_divide var vstack where zeros zeros_like"
).split()
_FUNCTIONS = {name: _device_function(getattr(numpy, name)) for name in _FUNCTION_NAMES}
_FUNCTIONS.update(asarray=asarray, array=array)
globals().update(_FUNCTIONS)

# the dtypes and constants CuPy re-exports from NumPy
for _name in (
    "bool_ int8 int16 int32 int64 uint8 uint32 uint64 float16 float32 float64 complex64 "
    "complex128 dtype finfo iinfo result_type can_cast issubdtype floating integer newaxis "
    "inf nan pi e"
).split():
    globals()[_name] = getattr(numpy, _name)


class _Linalg:
    """``cupy.linalg``: NumPy's, on device arrays; a failed Cholesky factorization is silent."""

    LinAlgError = numpy.linalg.LinAlgError

    def __getattr__(self, name: str):
        if name not in ("norm", "solve", "inv", "eigh", "eigvalsh", "qr", "svd", "det", "slogdet"):
            raise AttributeError(f"the strict stand-in for cupy.linalg has no {name!r}")
        return _device_function(getattr(numpy.linalg, name))

    @staticmethod
    def cholesky(matrix):
        host = _argument(matrix)
        try:
            return _wrap(numpy.linalg.cholesky(host))
        except numpy.linalg.LinAlgError:
            if _errstate["linalg"] == "raise":
                raise
            return _wrap(numpy.tril(host))  # cuSOLVER leaves the factor unspecified
        finally:
            if _errstate["linalg"] == "raise":
                transfers.to_host += 1  # reading cuSOLVER's status back is a copy


linalg = _Linalg()
_errstate = {"linalg": "ignore"}


# ---------------------------------------------------------------- cupyx and cupy.cuda


class _Cupyx:
    """The two names of ``cupyx`` the backend uses."""

    @staticmethod
    def scatter_add(target, index, values) -> None:
        """``target[index] += values`` with repeated indices accumulating (unbuffered)."""
        if not isinstance(target, ndarray):
            raise _unsupported(target)
        numpy.add.at(target._host, _index(index, counted=False), _operand(values))

    @staticmethod
    @contextlib.contextmanager
    def errstate(*, linalg: str | None = None):
        previous = dict(_errstate)
        if linalg is not None:
            _errstate["linalg"] = linalg
        try:
            yield
        finally:
            _errstate.update(previous)


cupyx = _Cupyx()


class _MemoryPool:
    def used_bytes(self) -> int:
        """Bytes held by live device arrays that own their memory (views share it)."""
        return builtins.sum(
            a._host.nbytes for a in list(_live_arrays.values()) if a._host.base is None
        )

    def free_all_blocks(self) -> None:
        pass


_memory_pool = _MemoryPool()


def get_default_memory_pool() -> _MemoryPool:
    return _memory_pool


class _Cuda:
    """``cupy.cuda``: one device, whose work is always finished (NumPy computes eagerly)."""

    class runtime:  # noqa: N801 - CuPy's name
        @staticmethod
        def getDeviceCount() -> int:  # noqa: N802 - CuPy's name
            return 1

    class Device:
        def __init__(self, id: int = 0) -> None:  # noqa: A002 - CuPy's name
            self.id = id

        def synchronize(self) -> None:
            pass

        def __eq__(self, other) -> bool:
            return isinstance(other, _Cuda.Device) and other.id == self.id

        __hash__ = object.__hash__


cuda = _Cuda()
