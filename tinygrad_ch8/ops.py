"""Engine: the primitive differentiable ops; everything else is composed from them.

Each op is a ``Function``: ``forward`` works on backend arrays, ``backward(gy)`` returns one
gradient per input written in Tensor ops, so under ``create_graph=True`` a backward pass is
itself a graph that can be differentiated again. The first docstring line of each op is its
math. Gradients come back in the shape of the broadcast result: the engine sums them back to
each input's shape (``SumTo``) in one place, so no op here undoes broadcasting itself.

An op saves only its inputs, its settings and, where it sets ``saves_output``, its output
(``self.output``); a locally constant mask (ReLU's ``x > 0``, max's arg-max) is the one thing
read from ``.data``, and the fused cross-entropy keeps three arrays of its forward (``saved``).
One node is internal to ``hvp``: a product recorded without its value (``_product_for``).
"""

from __future__ import annotations

from . import backend, grad_mode
from .function import Function
from .tensor import Tensor


def _constant(array) -> Tensor:
    return Tensor.from_array(array)


def _times_constant(gy: Tensor, array) -> Tensor:
    """gy ⊙ ``array`` for a locally constant array (a mask, a sign): a node only when the backward
    is recorded; a first-order backward multiplies the arrays, which gives the same values
    without the cost of an op."""
    if grad_mode._recording:
        return gy * _constant(array)
    return _constant(backend.array_module(array).asarray(gy.data * array))  # 0-d: not a scalar


# ---------------------------------------------------------------- arithmetic
class Add(Function):
    """y = a + b;  ga = gy, gb = gy"""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """y = a - b;  ga = gy, gb = -gy

    A primitive, not a + (-b): subtraction is among the most frequent ops (every centring,
    every log-softmax), and one node instead of two is measurable in a small network's step.
    """

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b;  ga = gy * b, gb = gy * a"""

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (gy * b if need_a else None), (gy * a if need_b else None)


class Div(Function):
    """y = a / b;  ga = gy / b, gb = -gy * a / b²

    A primitive rather than a * b⁻¹ because division must round like NumPy's: x / 3 and
    x * (1/3) differ in the last bit.
    """

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = gy / b if need_a else None
        gb = -gy * a / (b * b) if need_b else None
        return ga, gb


class Neg(Function):
    """y = -x;  gx = -gy"""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return (-gy,)


class Pow(Function):
    """y = x ** c for a constant c;  gx = gy * c * x ** (c - 1)  (0 for c = 0, gy for c = 1)

    The cases c = 0 and c = 1 are written out because c · x^(c−1) would evaluate 0 · ∞ = NaN
    at x = 0 (for c = 0 directly, for c = 1 in the second derivative), where the derivative is 0.
    """

    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, x):
        return x**self.exponent

    def backward(self, gy):
        (x,) = self.inputs
        c = self.exponent
        if c == 0:
            return (_constant(backend.array_module(gy.data).zeros_like(gy.data)),)
        if c == 1:
            return (gy,)
        return (gy * c * (x if c == 2 else x ** (c - 1)),)  # x ** 1 would add a needless node


# ---------------------------------------------------------------- element-wise functions
class Exp(Function):
    """y = exp(x);  gx = gy * y"""

    saves_output = True

    def forward(self, x):
        return backend.array_module(x).exp(x)

    def backward(self, gy):
        return (gy * self.output,)


class Log(Function):
    """y = log(x);  gx = gy / x"""

    def forward(self, x):
        return backend.array_module(x).log(x)

    def backward(self, gy):
        return (gy / self.inputs[0],)


class Abs(Function):
    """y = |x|;  gx = gy * sign(x)  (sign is locally constant; 0 at x = 0)"""

    def forward(self, x):
        return backend.array_module(x).abs(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return (_times_constant(gy, backend.array_module(x).sign(x)),)


class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y²)"""

    saves_output = True

    def forward(self, x):
        return backend.array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output
        return (gy * (1 - y * y),)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + exp(-x));  gx = gy * y * (1 - y)

    Evaluated as 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 with e = exp(-|x|), so exp never
    overflows and σ(±1000) is exactly 1 or 0 without warnings.
    """

    saves_output = True

    def forward(self, x):
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output
        return (gy * y * (1 - y),)


class ReLU(Function):
    """y = max(x, 0);  gx = gy * [x > 0]  (the mask is locally constant; the gradient at 0 is 0)"""

    def forward(self, x):
        return backend.array_module(x).maximum(x, 0)

    def backward(self, gy):
        # a boolean mask: the product casts it inside NumPy's loop, with no float copy of it
        return (_times_constant(gy, self.inputs[0].data > 0),)


# ---------------------------------------------------------------- reductions and broadcasting
def _keepdims_shape(shape, axis) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ_axis x;  gx = gy broadcast back over the summed axes"""

    def __init__(self, axis=None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return backend.array_module(x).asarray(x.sum(axis=self.axis, keepdims=self.keepdims))

    def backward(self, gy):
        x = self.inputs[0]
        if not self.keepdims and self.axis is not None:  # a 0-d gy broadcasts as it is
            gy = gy.reshape(*_keepdims_shape(x.shape, self.axis))
        return (BroadcastTo(x.shape)(gy),)


class Max(Function):
    """y = max_axis x;  gx = gy shared equally among the arg-max entries (a locally constant mask)"""

    def __init__(self, axis=None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return backend.array_module(x).asarray(x.max(axis=self.axis, keepdims=self.keepdims))

    def backward(self, gy):
        x = self.inputs[0]
        kept = _keepdims_shape(x.shape, self.axis)
        is_max = x.data == x.data.max(axis=self.axis, keepdims=True)
        share = is_max / is_max.sum(axis=self.axis, keepdims=True)
        return (BroadcastTo(x.shape)(gy.reshape(*kept)) * _constant(share.astype(x.dtype)),)


class BroadcastTo(Function):
    """y = x broadcast to ``shape``;  gx = gy summed back to x's shape"""

    def __init__(self, shape: tuple):
        self.shape = tuple(shape)

    def forward(self, x):
        return backend.broadcast(x, self.shape)

    def backward(self, gy):
        return (SumTo(self.inputs[0].shape)(gy),)


class SumTo(Function):
    """y = x summed over its broadcast axes down to ``shape``;  gx = gy broadcast back"""

    def __init__(self, shape: tuple):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)  # the axes broadcasting added in front
        if 1 in self.shape:  # the length-1 axes it stretched, summed where they are
            stretched = tuple(
                lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1
            )
            if stretched:
                x = x.sum(axis=stretched, keepdims=True)
        if not lead:
            return x
        # summing the leading axes away gives a new array of the target shape, not a view
        # (a leaf's .grad that is a view would have to be copied); a 0-d result stays an array
        return x.sum(axis=tuple(range(lead))) if self.shape else x.sum(keepdims=True).reshape(())

    def backward(self, gy):
        return (BroadcastTo(self.inputs[0].shape)(gy),)


# ---------------------------------------------------------------- shapes
class Reshape(Function):
    """y = x viewed with ``shape``;  gx = gy viewed with x's shape"""

    def __init__(self, shape: tuple):
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return (gy.reshape(*self.inputs[0].shape),)


class Transpose(Function):
    """y = x with axes permuted;  gx = gy with the inverse permutation"""

    def __init__(self, axes: tuple):
        self.axes = tuple(axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return (gy.permute(*inverse),)


class GetItem(Function):
    """y = x[index];  gx = zeros like x with gy added at index (repeated indices accumulate)"""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        return (IndexAdd(self.index, self.inputs[0].shape)(gy),)


class IndexAdd(Function):
    """y = zeros(shape) with x added at index;  gx = gy[index]  (GetItem's backward)"""

    def __init__(self, index, shape: tuple):
        self.index, self.shape = index, tuple(shape)

    def forward(self, x):
        y = backend.array_module(x).zeros(self.shape, dtype=x.dtype)
        if backend.has_repeats_possible(self.index):
            backend.scatter_add(y, self.index, x)
        else:
            y[self.index] = x
        return y

    def backward(self, gy):
        return (gy[self.index],)


class Concatenate(Function):
    """y = [x_1, …, x_n] joined along ``axis``;  gx_i = the slice of gy that x_i became"""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *xs):
        return backend.array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[axis]
            grads.append(gy[(slice(None),) * axis + (slice(start, stop),)])
            start = stop
        return tuple(grads)


# ---------------------------------------------------------------- linear algebra
class MatMul(Function):
    """y = op(a) @ op(b), op transposing the last two axes where asked;  ga = gy @ op(b)ᵀ, gb = op(a)ᵀ @ gy

    With both flags off this is NumPy's matmul (1-D, 2-D and batched). The flags exist for the
    backward pass: gy @ bᵀ is ``MatMul(transpose_b=True)(gy, b)``, one node instead of a
    Transpose and a MatMul, and the backward of a transposed product is again a MatMul with
    other flags, so gradients of every order stay in this one op. A 1-D operand is treated as
    a row (a) or a column (b) matrix, as matmul does, and its gradient is folded back to 1-D;
    batch axes that were broadcast are summed by the engine, as for every op.
    """

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False):
        self.transpose_a, self.transpose_b = transpose_a, transpose_b

    def forward(self, a, b):
        a, b = self._operands(a, b)
        return backend.array_module(a).asarray(a @ b)

    def _operands(self, a, b) -> tuple:
        """op(a) and op(b): views with the last two axes swapped where the flags ask."""
        if self.transpose_a:
            a = a.swapaxes(-1, -2)
        if self.transpose_b:
            b = b.swapaxes(-1, -2)
        return a, b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ta, tb = self.transpose_a, self.transpose_b
        if a.ndim == 1 or b.ndim == 1:  # only plain products have 1-D operands
            return _matmul_vector_backward(a, b, gy, need_a, need_b)
        # (gy op(b)ᵀ) is a's gradient, or its transpose when a entered transposed; likewise for b
        ga = gb = None
        if need_a:
            ga = _product_for(a, tb, True, b, gy) if ta else _product_for(a, False, not tb, gy, b)
        if need_b:
            gb = _product_for(b, True, ta, gy, a) if tb else _product_for(b, not ta, False, a, gy)
        return ga, gb


def _product_for(x: Tensor, transpose_a: bool, transpose_b: bool, a: Tensor, b: Tensor) -> Tensor:
    """``MatMul(transpose_a, transpose_b)(a, b)``, a term of x's gradient; only its graph when x is
    a leaf whose gradient the pass never reads (``hvp``'s first pass).

    ``hvp`` differentiates the gradient g(x) again and returns only Hv. The second pass goes
    through each product's inputs and never reads its value, so for a weight W = x the pass's
    largest products, W's own gradient aᵀ gy, need not be computed: on an MLP that is a fifth of
    the multiply-adds of an hvp. The value stays a read-only array of zeros of the right
    shape, which is all that the rest of that pass sees (its shape, to fit and add it)."""
    if id(x) in grad_mode._graph_only_leaves:
        return _GraphOnlyMatMul(transpose_a, transpose_b)(a, b)
    return MatMul(transpose_a, transpose_b)(a, b)


class _GraphOnlyMatMul(MatMul):
    """A MatMul node whose forward leaves the product uncomputed: read-only zeros of its shape.
    Its backward is MatMul's, which reads only the inputs."""

    def forward(self, a, b):
        a, b = self._operands(a, b)
        host = backend.numpy  # shapes and dtypes are worked out on the host
        shape = (*host.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
        xp = backend.array_module(a)
        return xp.broadcast_to(xp.zeros((), host.result_type(a.dtype, b.dtype)), shape)


def _matmul_vector_backward(a: Tensor, b: Tensor, gy: Tensor, need_a: bool, need_b: bool):
    """MatMul's gradients when an operand is 1-D: as a (1, n) row or an (n, 1) column matrix."""
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    batch = backend.numpy.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    gy = gy.reshape(*batch, a2.shape[-2], b2.shape[-1])  # the axes that matmul dropped
    ga = MatMul(False, True)(gy, b2) if need_a else None
    gb = MatMul(True, False)(a2, gy) if need_b else None
    if ga is not None and a.ndim == 1:
        ga = ga.reshape(*ga.shape[:-2], a.shape[0])
    if gb is not None and b.ndim == 1:
        gb = gb.reshape(*gb.shape[:-2], b.shape[0])
    return ga, gb


class Affine(Function):
    """y = x @ W + b;  gx = gy @ Wᵀ, gW = xᵀ @ gy, gb = gy (summed over the rows by the engine)

    A dense layer in one node instead of a MatMul and an Add (and their gradients in three
    nodes instead of five): in a small network the Python cost per node is most of a step.
    ``x`` is (..., in), ``W`` (in, out), ``b`` (out,).
    """

    def forward(self, x, weight, bias):
        return x @ weight + bias

    def backward(self, gy):
        x, weight, _ = self.inputs
        need_x, need_weight, need_bias = self.needs_input_grad
        gx = _product_for(x, False, True, gy, weight) if need_x else None
        gweight = _product_for(weight, True, False, x, gy) if need_weight else None
        return gx, gweight, (gy if need_bias else None)


# ---------------------------------------------------------------- a fused loss
class CrossEntropy(Function):
    """y = −(1/N) Σ_i log softmax(x)_{i,t_i} for logits x (N, C) and class indices t (``"sum"``
    drops the 1/N);  gx = Y c + (−c / S) E = (softmax(x) − Y) gy / N, where c = gy / (−N) (or
    −gy), E = exp(x − m) with m the row maximum, S = Σ_j E_ij and Y the one-hot matrix of t.

    ``F.cross_entropy`` with class indices, in one node instead of eight forward and nine
    backward: in a small network those nodes cost more than all its layers. The forward runs
    the composite's array operations (log-softmax, pick, sum, divide) and the gradient is the
    one the composite's backward computes, in the same order, so both agree to the last bit.
    A first-order backward computes it on arrays the forward kept (m, E, S); a recorded one
    (``create_graph``) runs the same expression on Tensors with E and S rebuilt from x, so it
    can be differentiated again.
    """

    def __init__(self, labels, reduction: str):
        self.labels, self.reduction = labels, reduction

    def forward(self, x):
        xp = backend.array_module(x)
        n = x.shape[0]
        m = x.max(axis=1, keepdims=True)
        shifted = x - m
        e = xp.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        # (shifted − log s) at the picked entries only: the same subtractions, so the same bits
        total = (shifted[xp.arange(n), self.labels] - xp.log(s)[:, 0]).sum()
        self.saved = (m, e, s)
        return total / -n if self.reduction == "mean" else -total

    def backward(self, gy):
        m, e, s = self.saved
        n = e.shape[0]
        recorded = grad_mode._recording
        if recorded:
            e = (self.inputs[0] - _constant(m)).exp()
            s = e.sum(axis=1, keepdims=True)
        else:
            gy = gy.data
        c = gy / -n if self.reduction == "mean" else -gy
        xp = backend.array_module(m)
        one_hot = xp.zeros(e.shape, dtype=m.dtype)
        one_hot[xp.arange(n), self.labels] = 1
        gx = one_hot * c + (-c / s) * e
        return (gx if recorded else _constant(gx),)

    def release(self) -> None:
        super().release()
        self.saved = None  # the forward's arrays go with the inputs


# ---------------------------------------------------------------- selection, dtype and device
class Where(Function):
    """y = cond ? a : b for a constant boolean ``cond``;  ga = cond ? gy : 0, gb = cond ? 0 : gy"""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return backend.array_module(a).where(self.condition, a, b)

    def backward(self, gy):
        zero = gy._lift(0)
        need_a, need_b = self.needs_input_grad
        ga = Where(self.condition)(gy, zero) if need_a else None
        gb = Where(self.condition)(zero, gy) if need_b else None
        return ga, gb


class Cast(Function):
    """y = x converted to ``dtype``;  gx = gy converted back to x's dtype"""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return (Cast(self.inputs[0].dtype)(gy),)


class ToDevice(Function):
    """y = x copied to ``device``;  gx = gy copied back to x's device"""

    def __init__(self, device: str):
        self.device = device

    def forward(self, x):
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return (ToDevice(self.inputs[0].device)(gy),)
