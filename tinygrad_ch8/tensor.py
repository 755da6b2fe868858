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

from . import backend
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
    def size(self) -> int:
        return self.data.size

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
        return self.transpose()

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
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values (shared, not copied) cut off from the graph."""
        return Tensor.from_array(self.data)

    def to(self, device: str) -> Tensor:
        """This tensor on ``device`` (itself when already there); differentiable."""
        device = backend.check_device(device)
        return self if device == self.device else ops.ToDevice(device)(self)

    def astype(self, dtype) -> Tensor:
        """This tensor converted to ``dtype`` (itself when it already has it); differentiable."""
        return self if self.dtype == dtype else ops.Cast(dtype)(self)

    def _lift(self, other) -> Tensor:
        """``other`` as a Tensor: Python scalars take this tensor's dtype when it is a float one."""
        if isinstance(other, Tensor):
            return other
        # exact types: NumPy's float64 is a subclass of float but keeps its own dtype (below)
        if type(other) is float or type(other) is int or type(other) is bool:
            float_self = self.data.dtype.kind == "f"
            dtype = self.data.dtype if float_self or type(other) is not float else None
            return Tensor.from_array(backend.scalar_array(other, dtype, self.data))
        if backend.is_array(other):
            return Tensor.from_array(other)
        if backend.is_numpy_scalar(other):  # e.g. numpy.float32(2): a 0-d array keeps its dtype
            return Tensor.from_array(backend.array_module(self.data).asarray(other))
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
            self.grad_fn.hooked = True

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
            self.grad_fn.hooked = True
        self.gradient_hooks.append(hook)
        return HookHandle(self.gradient_hooks, hook)

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

    # comparisons give boolean tensors outside the graph (masks, accuracy), element-wise as in
    # NumPy; hashing stays by identity so tensors can still key a dict
    __hash__ = object.__hash__

    def __eq__(self, other) -> Tensor:  # type: ignore[override]
        return Tensor.from_array(self.data == self._lift(other).data)

    def __ne__(self, other) -> Tensor:  # type: ignore[override]
        return Tensor.from_array(self.data != self._lift(other).data)

    def __bool__(self) -> bool:
        if self.size != 1:
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

    def abs(self) -> Tensor:
        return ops.Abs()(self)

    def tanh(self) -> Tensor:
        return ops.Tanh()(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid()(self)

    def relu(self) -> Tensor:
        return ops.ReLU()(self)

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        return ops.Sum(_check_axis("sum", axis, self.ndim), keepdims)(self)

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        axis = _check_axis("mean", axis, self.ndim)
        count = 1
        for a in (
            range(self.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        ):
            count *= self.shape[a]
        return self.sum(axis, keepdims) / count

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        """The largest values along ``axis`` (values only; the gradient is shared among ties)."""
        if self.size == 0:
            raise ValueError("max: the tensor is empty")
        return ops.Max(_check_axis("max", axis, self.ndim), keepdims)(self)

    def argmax(self, axis=None) -> Tensor:
        """Indices of the largest values (an integer tensor outside the graph)."""
        return Tensor.from_array(self.data.argmax(axis=axis))

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            target = self.data.reshape(shape).shape  # resolves -1 and checks the size
        except ValueError as error:
            raise ValueError(f"reshape: cannot view shape {self.shape} as {shape}") from error
        return self if target == self.shape else ops.Reshape(target)(self)

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (reverse them when none are given), like ``numpy.transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or tuple(reversed(range(self.ndim)))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: {axes} is not a permutation of the axes of shape {self.shape}"
            )
        return ops.Transpose(tuple(a % self.ndim for a in axes))(self)

    def broadcast_to(self, shape) -> Tensor:
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            backend.numpy.broadcast_shapes(self.shape, shape)  # shapes only: computed on the host
        except ValueError as error:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {self.shape} to {shape}"
            ) from error
        return ops.BroadcastTo(shape)(self)

    def __getitem__(self, index) -> Tensor:
        return ops.GetItem(_as_index(index, self.data))(self)


# ---------------------------------------------------------------- argument checks
def _check_axis(op: str, axis, ndim: int):
    if axis is None:
        return None
    for a in axis if isinstance(axis, tuple) else (axis,):
        if not isinstance(a, int) or not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions"
            )
    return axis


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
