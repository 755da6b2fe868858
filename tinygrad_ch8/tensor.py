"""Engine: ``Tensor``, an array with a gradient and a link to the op that made it.

A Tensor wraps one backend array (``.data``, a NumPy or CuPy array, writable in place). When
it was computed by an op while gradients were recorded, ``.grad_fn`` is that op (a
``Function``) and the chain of ``grad_fn``s back to the leaves is the computation graph that
``backward()`` walks. Every method below is a written ``def`` calling one op from ``ops.py``,
or a composite of such methods (``x.sqrt()`` is ``x ** 0.5``), so second derivatives of
composites are right without extra code.

Python scalars in an op take the other operand's dtype (NumPy 2's rule), so float64 work
stays float64; float dtypes that meet follow NumPy's promotion.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

from . import backend, grad_mode
from .hooks import HookHandle


class Tensor:
    """A multi-dimensional array that records how it was computed.

    Args:
        data: a list, a scalar, a NumPy/CuPy array or a Tensor; it is copied.
        requires_grad: whether ``backward`` should fill ``.grad`` for this leaf.
        dtype: float32, float64 or an integer dtype (for labels and indices); None keeps an
            array's dtype and gives lists of floats the default dtype.
        device: ``"cpu"`` or ``"cuda"``; None keeps an array's device, else the default.
    """

    __array_ufunc__ = None  # NumPy then defers `array + tensor` to Tensor.__radd__

    # A new tensor is a leaf without a gradient; instances override these only when that changes,
    # which keeps creating the many intermediate tensors of a forward pass cheap.
    grad: Tensor | None = None
    grad_fn = None
    requires_grad: bool = False

    def __init__(self, data, requires_grad: bool = False, dtype=None, device: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.as_array(data, dtype=dtype, device=device)
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def from_array(cls, array) -> Tensor:
        """Wrap a backend array without copying it (what ops use for their results)."""
        tensor = cls.__new__(cls)
        tensor.data = array
        return tensor

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark this leaf as needing a gradient (in place); integer tensors cannot."""
        if requires_grad and not backend.is_float(self.dtype):
            raise TypeError(
                f"requires_grad needs a float tensor, got dtype {self.dtype}: "
                "integer arrays hold labels and indices and have no gradient"
            )
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        """The axes reversed (PyTorch's and NumPy's ``.T``); ``x.T`` of a matrix is its transpose."""
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim: int | None = None):
        """The shape (a tuple), or the length of axis ``dim``: PyTorch's ``size``, not NumPy's."""
        if dim is None:
            return self.shape
        return self.shape[_check_dim("size", dim, self.ndim)]

    def numel(self) -> int:
        """The number of elements (NumPy's ``size``)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self.data.ndim

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = (
            f", grad_fn={self.grad_fn.name}"
            if self.grad_fn is not None
            else (", requires_grad=True" if self.requires_grad else "")
        )
        device = ", device='cuda'" if self.device == "cuda" else ""
        return f"Tensor({backend.to_numpy(self.data)!r}{device}{grad})"

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The values as a NumPy array on the host (a copy when the tensor lives on the GPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> float:
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values (shared, not copied) cut off from the graph."""
        return Tensor.from_array(self.data)

    def to(self, device_or_dtype) -> Tensor:
        """This tensor on a device (``"cpu"``, ``"cuda"``) or with a dtype, as PyTorch's ``to``;
        itself when nothing changes; differentiable."""
        if isinstance(device_or_dtype, str) and device_or_dtype in backend.DEVICES:
            device = backend.check_device(device_or_dtype)
            return self if device == self.device else ops.ToDevice(device)(self)
        return self.astype(device_or_dtype)

    def cpu(self) -> Tensor:
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Tensor:
        """``to("cuda")``."""
        return self.to("cuda")

    def astype(self, dtype) -> Tensor:
        """This tensor converted to ``dtype`` (itself when it already has it); differentiable
        between float dtypes; an integer result is cut off from the graph, as in PyTorch."""
        if self.dtype == dtype:
            return self
        if not backend.is_float(dtype):
            return Tensor.from_array(self.data.astype(dtype))
        return ops.Cast(dtype)(self)

    def float(self) -> Tensor:
        """``astype(float32)``, PyTorch's ``float()``."""
        return self.astype(backend.float32)

    def double(self) -> Tensor:
        """``astype(float64)``."""
        return self.astype(backend.float64)

    def long(self) -> Tensor:
        """``astype(int64)``: an integer tensor of labels or indices, outside the graph."""
        return self.astype(backend.int64)

    def clone(self) -> Tensor:
        """A copy of the values with its own array; differentiable (the gradient passes unchanged).

        Written as ``self * 1`` rather than ``self + 0``, which would turn −0.0 into 0.0.
        """
        return self * 1

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        """The values for NumPy (``numpy.asarray(t)``); on the GPU an error naming ``.numpy()``."""
        if self.device != "cpu":
            raise TypeError(
                "numpy.asarray of a tensor on the GPU would copy it silently: call .numpy() "
                "(or .cpu()) first"
            )
        if dtype is not None and dtype != self.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def _lift(self, other) -> Tensor:
        """``other`` as a Tensor: Python scalars take this tensor's dtype when it is a float one."""
        if isinstance(other, Tensor):
            return other
        # exact types: NumPy's float64 is a subclass of float but keeps its own dtype (below)
        if type(other) is float or type(other) is int or type(other) is bool:
            float_self = self.data.dtype.kind == "f"
            dtype = self.data.dtype if float_self or type(other) is not float else None
            return _scalar_tensor(other, dtype, self.data)
        if backend.is_array(other):
            return Tensor.from_array(other)
        if backend.is_numpy_scalar(other):  # e.g. numpy.float32(2): a 0-d array keeps its dtype
            return Tensor.from_array(backend.array_module(self.data).asarray(other))
        if isinstance(other, (list, tuple)):  # PyTorch accepts sequences of numbers as tensors
            dtype = self.dtype if backend.is_float(self.dtype) else None
            return Tensor(other, dtype=dtype, device=self.device)
        raise TypeError(f"cannot combine a Tensor with {type(other).__name__}")

    # ------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        Args:
            grad: the gradient flowing into this tensor; may be omitted for a scalar (1).
            retain_graph: keep the graph's saved tensors for another backward pass.
            create_graph: record the backward pass itself, so that ``.grad`` can be
                differentiated again (Hessian-vector products).
        """
        autograd.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    # ------------------------------------------------------------ gradient hooks (PyTorch's names)
    retains_grad: bool = False
    gradient_hooks: tuple = ()  # a list of this tensor's own once a hook is registered

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()`` (leaves keep theirs).

        As in PyTorch, ``.grad`` adds up over backward passes and holds the gradient after any
        hooks registered with ``register_hook``; ``autograd.grad`` leaves it alone.
        """
        self._check_hookable("retain_grad")
        if self.grad_fn is not None:
            self.retains_grad = True
            self._mark_hooked()

    def register_hook(self, hook) -> HookHandle:
        """Call ``hook(gradient)`` whenever a backward pass computes the gradient of this tensor.

        A Tensor that the hook returns replaces the gradient (in what flows on and in ``.grad``);
        None keeps it. On a leaf the hook sees this pass's gradient before it is added into ``.grad``.
        Returns a handle whose ``remove()`` takes the hook away.
        """
        self._check_hookable("register_hook")
        if "gradient_hooks" not in vars(self):
            self.gradient_hooks = []
        if self.grad_fn is not None:
            self._mark_hooked()
        self.gradient_hooks.append(hook)
        return HookHandle(self.gradient_hooks, hook)

    def _mark_hooked(self) -> None:
        """Tell the op that made this tensor to hand it its gradient during backward."""
        self.grad_fn.hooked = True
        self.grad_fn.output_ref = weakref.ref(self)

    def _check_hookable(self, method: str) -> None:
        if not self.requires_grad:
            raise RuntimeError(
                f"{method}: this tensor does not require grad, so no gradient reaches it"
            )

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other) -> Tensor:
        return ops.Add()(self, self._lift(other))

    def __radd__(self, other) -> Tensor:
        return ops.Add()(self._lift(other), self)

    def __neg__(self) -> Tensor:
        return ops.Neg()(self)

    def __sub__(self, other) -> Tensor:
        return ops.Sub()(self, self._lift(other))

    def __rsub__(self, other) -> Tensor:
        return ops.Sub()(self._lift(other), self)

    def __mul__(self, other) -> Tensor:
        return ops.Mul()(self, self._lift(other))

    def __rmul__(self, other) -> Tensor:
        return ops.Mul()(self._lift(other), self)

    def __truediv__(self, other) -> Tensor:
        return ops.Div()(self, self._lift(other))

    def __rtruediv__(self, other) -> Tensor:
        return ops.Div()(self._lift(other), self)

    def __pow__(self, exponent) -> Tensor:
        if not isinstance(exponent, (int, float)):
            raise TypeError(
                f"pow: the exponent must be a Python number, got {type(exponent).__name__}"
            )
        return ops.Pow(exponent)(self)

    def __matmul__(self, other) -> Tensor:
        other = self._lift(other)
        _check_matmul(self, other)
        return ops.MatMul()(self, other)

    def __rmatmul__(self, other) -> Tensor:
        return self._lift(other) @ self

    # ------------------------------------------------------------ in place, outside the graph
    # PyTorch's rule: values change in place under no_grad or on tensors no gradient flows
    # through, so `with no_grad(): w -= lr * w.grad` keeps w the same leaf. While recording, a
    # leaf that requires grad may not change (its gradient would belong to the old values).
    def __iadd__(self, other) -> Tensor:
        other = self._lift(other)
        return self + other if self._records_in_place("+=", other) else self._update(_add, other)

    def __isub__(self, other) -> Tensor:
        other = self._lift(other)
        return self - other if self._records_in_place("-=", other) else self._update(_sub, other)

    def __imul__(self, other) -> Tensor:
        other = self._lift(other)
        return self * other if self._records_in_place("*=", other) else self._update(_mul, other)

    def __itruediv__(self, other) -> Tensor:
        other = self._lift(other)
        return self / other if self._records_in_place("/=", other) else self._update(_div, other)

    def add_(self, other, alpha: float = 1) -> Tensor:
        """self ← self + alpha · other, in place (PyTorch's ``add_``)."""
        other = self._lift(other)
        self._refuse_recorded_in_place("add_", other)
        return self._update(_add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha: float = 1) -> Tensor:
        """self ← self − alpha · other, in place."""
        other = self._lift(other)
        self._refuse_recorded_in_place("sub_", other)
        return self._update(_sub, other if alpha == 1 else other * alpha)

    def mul_(self, other) -> Tensor:
        """self ← self · other, in place."""
        other = self._lift(other)
        self._refuse_recorded_in_place("mul_", other)
        return self._update(_mul, other)

    def div_(self, other) -> Tensor:
        """self ← self / other, in place."""
        other = self._lift(other)
        self._refuse_recorded_in_place("div_", other)
        return self._update(_div, other)

    def fill_(self, value) -> Tensor:
        """Set every element to ``value``, in place."""
        self._refuse_recorded_in_place("fill_")
        self.data[...] = value
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place (``x.grad.zero_()``)."""
        return self.fill_(0)

    def copy_(self, source) -> Tensor:
        """Copy ``source``'s values (broadcast, converted to this dtype and device) in place."""
        source = self._lift(source)
        self._refuse_recorded_in_place("copy_", source)
        self.data[...] = backend.to_device(source.data, self.device)
        return self

    def _records_in_place(self, operator: str, other: Tensor) -> bool:
        """Whether ``self <operator> other`` must go into the graph, so is computed out of place
        (the name is rebound to the result, as PyTorch's recorded in-place op would look)."""
        if not grad_mode._recording or not (self.requires_grad or other.requires_grad):
            return False
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{operator} on a leaf that requires grad while gradients are recorded: "
                f"update parameters inside `with tg.no_grad():`, or write `x = x {operator[0]} y`"
            )
        return True

    def _refuse_recorded_in_place(self, method: str, other: Tensor | None = None) -> None:
        needs_graph = self.requires_grad or (other is not None and other.requires_grad)
        if grad_mode._recording and needs_graph:
            raise RuntimeError(
                f"{method}: a tensor in the graph cannot change in place while gradients are "
                "recorded; call it inside `with tg.no_grad():`, or compute a new tensor "
                "(x = x + y) instead"
            )

    def _update(self, ufunc, other: Tensor) -> Tensor:
        """self.data ← ufunc(self.data, other.data) in place; casting a float result into an
        integer tensor is an error, as in PyTorch."""
        try:
            ufunc(backend.array_module(self.data), self.data, other.data)
        except ValueError as error:
            raise ValueError(
                f"in-place update: a value of shape {other.shape} cannot be written into shape "
                f"{self.shape}"
            ) from error
        return self

    # comparisons give boolean tensors outside the graph (masks, accuracy), element-wise as in
    # NumPy; hashing stays by identity so tensors can still key a dict
    __hash__ = object.__hash__

    def __eq__(self, other) -> Tensor:  # type: ignore[override]
        return Tensor.from_array(self.data == self._lift(other).data)

    def __ne__(self, other) -> Tensor:  # type: ignore[override]
        return Tensor.from_array(self.data != self._lift(other).data)

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous: use .any() or .all()"
            )
        return bool(self.data)

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    def __lt__(self, other) -> Tensor:
        return Tensor.from_array(self.data < self._lift(other).data)

    def __le__(self, other) -> Tensor:
        return Tensor.from_array(self.data <= self._lift(other).data)

    def __gt__(self, other) -> Tensor:
        return Tensor.from_array(self.data > self._lift(other).data)

    def __ge__(self, other) -> Tensor:
        return Tensor.from_array(self.data >= self._lift(other).data)

    # ------------------------------------------------------------ element-wise functions
    def exp(self) -> Tensor:
        return ops.Exp()(self)

    def log(self) -> Tensor:
        return ops.Log()(self)

    def sqrt(self) -> Tensor:
        return self**0.5

    def pow(self, exponent) -> Tensor:
        """``self ** exponent`` for a Python number."""
        return self**exponent

    def abs(self) -> Tensor:
        return ops.Abs()(self)

    def tanh(self) -> Tensor:
        return ops.Tanh()(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid()(self)

    def relu(self) -> Tensor:
        return ops.ReLU()(self)

    def clamp(self, min=None, max=None) -> Tensor:
        """min(max(x, min), max) element-wise; the gradient passes where min ≤ x ≤ max, as in
        PyTorch, and goes to a Tensor bound where that bound is taken."""
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both")
        result = self
        if min is not None:
            low = self._lift(min)
            result = ops.Where(result.data < low.data)(low, result)
        if max is not None:
            high = self._lift(max)
            result = ops.Where(result.data > high.data)(high, result)
        return result

    def clip(self, min=None, max=None) -> Tensor:
        """``clamp`` (NumPy's and PyTorch's other name)."""
        return self.clamp(min, max)

    # ------------------------------------------------------------ reductions
    # PyTorch spells the axis `dim` and keeping it `keepdim`; NumPy `axis`/`keepdims`. Both work.
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        axis, keepdims = _reduction_args("sum", self.ndim, axis, keepdims, dim, keepdim)
        return ops.Sum(axis, keepdims)(self)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        axis, keepdims = _reduction_args("mean", self.ndim, axis, keepdims, dim, keepdim)
        count = 1
        for a in (
            range(self.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        ):
            count *= self.shape[a]
        return self.sum(axis, keepdims) / count

    def amax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """The largest values along ``axis`` (the gradient is shared equally among ties)."""
        axis, keepdims = _reduction_args("amax", self.ndim, axis, keepdims, dim, keepdim)
        if self.numel() == 0:
            raise ValueError("amax: the tensor is empty")
        return ops.Max(axis, keepdims)(self)

    def amin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """The smallest values along ``axis``: −amax(−x)."""
        return -(-self).amax(axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """The largest values, with PyTorch's meaning for PyTorch's spelling.

        * ``x.max()`` and ``x.max(axis=a, keepdims=k)``: the values, as ``amax`` (NumPy's meaning);
        * ``x.max(d)``, ``x.max(dim=d, keepdim=k)``: PyTorch's pair ``(values, indices)``, the
          indices of the first maximum along ``d``; the gradient of ``values`` goes to those
          entries only, as in PyTorch.
        """
        return self._extreme("max", self.amax, self.data.argmax, dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """The smallest values; the same two meanings as ``max``."""
        return self._extreme("min", self.amin, self.data.argmin, dim, keepdim, axis, keepdims)

    def _extreme(self, op: str, values_only, indices_of, dim, keepdim: bool, axis, keepdims):
        """``max``/``min``: ``values_only`` (amax/amin) for NumPy's spelling and for no axis,
        PyTorch's (values, indices) for a ``dim``, the indices from ``indices_of`` (arg-max/min)."""
        if axis is not None or keepdims is not None:
            if dim is not None:
                raise TypeError(f"{op}: give dim (PyTorch) or axis (NumPy), not both")
            return values_only(_check_axis(op, axis, self.ndim), bool(keepdims))
        if dim is None:
            return values_only()
        indices = indices_of(axis=_check_dim(op, dim, self.ndim))
        return self._selected_along(op, indices, dim, keepdim)

    def _selected_along(self, op: str, indices, dim: int, keepdim: bool) -> ValuesIndices:
        """(x[…, indices, …], indices) along ``dim``: the values gathered by indexing, so the
        gradient reaches exactly the selected entries."""
        if self.numel() == 0:
            raise ValueError(f"{op}: the tensor is empty")
        dim = _check_dim(op, dim, self.ndim)
        xp = backend.array_module(self.data)
        kept = xp.expand_dims(indices, dim)
        # an open grid: axis i indexed by arange(n_i) shaped to broadcast along axis i only
        grid = [
            xp.arange(n).reshape(tuple(n if j == i else 1 for j in range(self.ndim)))
            for i, n in enumerate(kept.shape)
        ]
        grid[dim] = kept
        values = self[tuple(grid)]
        if not keepdim:
            values = values.squeeze(dim)
            return ValuesIndices(values, Tensor.from_array(indices))
        return ValuesIndices(values, Tensor.from_array(kept))

    def argmax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Indices of the (first) largest values (an integer tensor outside the graph)."""
        axis, keepdims = _reduction_args("argmax", self.ndim, axis, keepdims, dim, keepdim)
        return Tensor.from_array(_arg_reduce(self.data.argmax, axis, keepdims, self.ndim))

    def argmin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Indices of the (first) smallest values (an integer tensor outside the graph)."""
        axis, keepdims = _reduction_args("argmin", self.ndim, axis, keepdims, dim, keepdim)
        return Tensor.from_array(_arg_reduce(self.data.argmin, axis, keepdims, self.ndim))

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape) -> Tensor:
        """The values with a new shape (one entry may be −1); always a new node of the graph."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            target = self.data.reshape(shape).shape  # resolves -1 and checks the size
        except (ValueError, TypeError) as error:
            raise ValueError(f"reshape: cannot view shape {self.shape} as {shape}") from error
        # a new node even for the same shape: the gradient with respect to this result is its own
        return ops.Reshape(target)(self)

    def view(self, *shape) -> Tensor:
        """``reshape`` (PyTorch's ``view``; here the result may or may not share memory)."""
        return self.reshape(*shape)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at position ``dim`` (−1: the end)."""
        dim = _check_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None) -> Tensor:
        """Drop the axes of length 1 (all of them, or ``dim`` if it has length 1, as PyTorch)."""
        if dim is None:
            dims = range(self.ndim)
        else:
            dims = [_check_dim("squeeze", d, self.ndim) for d in _as_tuple(dim)]
        dropped = {d for d in dims if self.shape[d] == 1}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in dropped))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes ``start_dim`` … ``end_dim`` merged into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = _check_dim("flatten", start_dim, self.ndim)
        end = _check_dim("flatten", end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = 1
        for n in self.shape[start : end + 1]:
            merged *= n
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def permute(self, *dims) -> Tensor:
        """The axes in the order ``dims`` (a permutation of 0 … ndim−1; negative counts from the end)."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        resolved = [_check_dim("permute", d, self.ndim) for d in dims]
        if sorted(resolved) != list(range(self.ndim)):
            raise ValueError(
                f"permute: {tuple(dims)} is not a permutation of the axes of shape {self.shape}"
            )
        return ops.Transpose(tuple(resolved))(self)

    def transpose(self, *dims) -> Tensor:
        """Swap axes ``dim0`` and ``dim1`` (PyTorch's ``transpose(dim0, dim1)``).

        NumPy's ``transpose(axes)`` permutes all the axes at once; that is ``permute`` here,
        and a call with other than two axes raises rather than guessing which was meant.
        """
        if len(dims) != 2 or not all(isinstance(d, int) for d in dims):
            raise TypeError(
                f"transpose(dim0, dim1) swaps two axes as in PyTorch, got {dims}: use "
                "x.permute(*axes) to reorder all axes (NumPy's transpose), x.T to reverse them"
            )
        order = list(range(self.ndim))
        first, second = (_check_dim("transpose", d, self.ndim) for d in dims)
        order[first], order[second] = order[second], order[first]
        return ops.Transpose(tuple(order))(self)

    def t(self) -> Tensor:
        """The transpose of a matrix (a tensor of at most 2 axes, as PyTorch's ``t()``)."""
        if self.ndim > 2:
            raise ValueError(
                f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}: "
                "use transpose(dim0, dim1) or permute(*dims)"
            )
        return self.permute(*reversed(range(self.ndim)))

    def broadcast_to(self, shape) -> Tensor:
        """The values broadcast to ``shape``; always a new node of the graph."""
        shape = tuple(shape)
        try:
            backend.numpy.broadcast_shapes(self.shape, shape)  # shapes only: computed on the host
        except ValueError as error:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {self.shape} to {shape}"
            ) from error
        return ops.BroadcastTo(shape)(self)

    def expand(self, *shape) -> Tensor:
        """PyTorch's ``expand``: ``broadcast_to``, where −1 keeps an axis's length."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        lead = len(shape) - self.ndim
        return self.broadcast_to(
            tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        )

    def __getitem__(self, index) -> Tensor:
        return ops.GetItem(_as_index(index, self.data))(self)


class ValuesIndices(NamedTuple):
    """What ``max(dim)``/``min(dim)`` return, as PyTorch: ``values`` (in the graph) and
    ``indices`` (an integer tensor)."""

    values: Tensor
    indices: Tensor


# ---------------------------------------------------------------- in-place array updates
def _add(xp, a, b):
    xp.add(a, b, out=a)


def _sub(xp, a, b):
    xp.subtract(a, b, out=a)


def _mul(xp, a, b):
    xp.multiply(a, b, out=a)


def _div(xp, a, b):
    xp.true_divide(a, b, out=a)


# ---------------------------------------------------------------- argument checks
def _check_axis(op: str, axis, ndim: int):
    if axis is None:
        return None
    if isinstance(axis, list):
        axis = tuple(axis)
    for a in axis if isinstance(axis, tuple) else (axis,):
        if not isinstance(a, int) or not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions"
            )
    return axis


def _check_dim(op: str, dim, ndim: int) -> int:
    """``dim`` as an axis in 0 … ndim−1 (negative counts from the end), or a clear error."""
    if not isinstance(dim, int) or not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % ndim


def _as_tuple(dims) -> tuple:
    return tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)


def _reduction_args(op: str, ndim: int, axis, keepdims, dim, keepdim) -> tuple:
    """(axis, keepdims) from NumPy's or PyTorch's spelling of them; both at once is an error."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give dim (PyTorch) or axis (NumPy), not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return _check_axis(op, axis, ndim), bool(keepdims)


def _arg_reduce(arg_function, axis, keepdims: bool, ndim: int):
    """``arg_function`` (an array's argmax or argmin) along one axis or all, as an array."""
    if isinstance(axis, tuple):
        raise ValueError(f"argmax/argmin take one axis, got {axis}")
    result = arg_function(axis=axis)
    xp = backend.array_module(result)
    if keepdims:
        return (
            xp.asarray(result).reshape((1,) * ndim)
            if axis is None
            else xp.expand_dims(result, axis)
        )
    return xp.asarray(result)


def _check_matmul(a: Tensor, b: Tensor) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: operands must have at least one dimension, got shapes {a.shape} and {b.shape}"
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first ({inner_a}) "
            f"must equal the {'only' if b.ndim == 1 else 'second-to-last'} axis of the second ({inner_b})"
        )


def _scalar_tensor(value, dtype, like) -> Tensor:
    """A constant Tensor holding the Python number ``value`` (``backend.scalar_array``), cached.

    Python numbers in expressions (``1 - y``, ``x / n``) repeat, and making a tensor for each
    costs more than the arithmetic it takes part in on a small tensor; every such tensor also
    stays alive as an op's input, one more object per node for the garbage collector to walk.
    The tensors are shared, so nothing may change them: their arrays are read-only.
    """
    dtype = backend.get_default_dtype() if dtype is None else dtype  # the default may change
    if value == 0 and type(value) is float:  # 0.0 == -0.0 as keys, but the sign matters
        return Tensor.from_array(backend.scalar_array(value, dtype, like))
    key = (type(value), value, dtype, type(like))
    tensor = _scalar_tensors.get(key)
    if tensor is None:
        if len(_scalar_tensors) >= 1024:  # many distinct numbers: start again rather than grow
            _scalar_tensors.clear()
        tensor = _scalar_tensors[key] = Tensor.from_array(backend.scalar_array(value, dtype, like))
    return tensor


_scalar_tensors: dict = {}


def _as_index(index, like):
    """An index with Tensors and lists replaced by arrays on ``like``'s device."""
    if isinstance(index, tuple):
        return tuple(_as_index(part, like) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return backend.array_module(like).asarray(index)
    return index


from . import autograd, ops  # noqa: E402  (both need Tensor, defined above)
