"""Engine: functions on Tensors composed from the primitive ops (``import tinygrad_ch8.functional as F``).

Everything here is a composite, so its gradient and its second derivative come from the
primitives' backward passes with no extra code. The numerically delicate ones (softmax,
log-softmax, cross-entropy) subtract the row maximum first: log Σ exp(x) = m + log Σ exp(x − m)
holds for any constant m, so treating m as a constant changes no derivative of any order.
"""

from __future__ import annotations

from . import backend, ops
from .tensor import Tensor


def affine(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W + b for x of shape (..., m), W of shape (m, n) and b of shape (n,): a dense layer.

    One node of the graph (``ops.Affine``) when x has a batch axis and there is a bias;
    otherwise ``x @ W (+ b)``. (PyTorch's ``F.linear`` takes W as (n, m) and computes x Wᵀ + b;
    this project keeps the book's (in, out) layout, so the function has another name.)
    """
    if bias is None or x.ndim < 2:
        y = x @ weight
        return y if bias is None else y + bias
    if weight.ndim != 2 or x.shape[-1] != weight.shape[0] or bias.shape != weight.shape[1:]:
        raise ValueError(
            f"affine: x {x.shape} @ W {weight.shape} + b {bias.shape} do not fit: need x (..., m), "
            "W (m, n) and b (n,)"
        )
    return ops.Affine()(x, weight, bias)


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + exp(−x)), stable for large |x|."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def logsumexp(x: Tensor, axis: int = -1, keepdims: bool = False) -> Tensor:
    """log Σ_axis exp(x), computed as m + log Σ exp(x − m) with m the (constant) maximum."""
    m = _constant_max(x, axis)
    result = m + (x - m).exp().sum(axis=axis, keepdims=True).log()
    return result if keepdims else result.reshape(*_drop_axis(x.shape, axis))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax(x) = x − logsumexp(x) = (x − m) − log Σ exp(x − m) along ``axis``.

    The shifted form is logsumexp's own, written out so the shift x − m is computed once.
    """
    shifted = x - _constant_max(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x_i) / Σ_j exp(x_j) along ``axis``, as exp(log_softmax(x))."""
    return log_softmax(x, axis).exp()


def cross_entropy(logits: Tensor, target) -> Tensor:
    """Mean over the batch of −log softmax(logits)[target].

    Args:
        logits: (N, C) unnormalized scores.
        target: N class indices (an integer array or Tensor), or an (N, C) Tensor of
            probabilities (soft targets, as in distillation): then −Σ_c p_c log softmax_c.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    log_probs = log_softmax(logits, axis=1)
    n, classes = logits.shape
    if isinstance(target, Tensor) and backend.is_float(target.dtype):
        if target.shape != logits.shape:
            raise ValueError(
                f"cross_entropy: soft targets must have the logits' shape {logits.shape}, got {target.shape}"
            )
        return (target * log_probs).sum() / -n
    labels = (
        target.data
        if isinstance(target, Tensor)
        else backend.as_array(target, device=logits.device, copy=False)
    )
    if labels.shape != (n,) or backend.is_float(labels.dtype):
        raise ValueError(
            f"cross_entropy: target must be {n} integer class indices (shape ({n},)), "
            f"got shape {labels.shape} and dtype {labels.dtype}"
        )
    # one device-to-host copy per call (CuPy would wrap an out-of-range label silently)
    if n and bool(((labels < 0) | (labels >= classes)).any()):
        raise ValueError(
            f"cross_entropy: class indices must lie in [0, {classes}), got {int(labels.min())}..{int(labels.max())}"
        )
    rows = backend.array_module(labels).arange(n)
    return log_probs[rows, labels].sum() / -n


def mse_loss(prediction: Tensor, target) -> Tensor:
    """Mean squared error: mean((prediction − target)²) over every element."""
    target = prediction._lift(target)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction has shape {prediction.shape} but target has shape {target.shape}"
        )
    difference = prediction - target
    return (difference * difference).mean()


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``numpy.concatenate``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    first = tensors[0]
    ndim = first.ndim
    if ndim == 0 or not -ndim <= axis < ndim:
        raise ValueError(
            f"concatenate: axis {axis} is out of range for tensors with {ndim} dimensions"
        )
    for t in tensors[1:]:
        if t.ndim != ndim or any(
            a != b
            for i, (a, b) in enumerate(zip(t.shape, first.shape, strict=False))
            if i != axis % ndim
        ):
            raise ValueError(
                f"concatenate: shapes {first.shape} and {t.shape} must agree except along axis {axis}"
            )
    return ops.Concatenate(axis)(*tensors)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (``numpy.stack``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack: all tensors must have one shape, got {shape} and {t.shape}")
    axis = axis % (len(shape) + 1)
    expanded = shape[:axis] + (1,) + shape[axis:]
    return ops.Concatenate(axis)(*[t.reshape(*expanded) for t in tensors])


def where(condition, a, b) -> Tensor:
    """Element-wise ``a`` where ``condition`` holds, else ``b``; differentiable in ``a`` and ``b``."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        like = Tensor(a)
    a, b = like._lift(a), like._lift(b)
    condition = condition.data if isinstance(condition, Tensor) else condition
    condition = backend.as_array(condition, dtype=bool, device=like.device, copy=False)
    return ops.Where(condition)(a, b)


def _constant_max(x: Tensor, axis: int) -> Tensor:
    """max(x) along ``axis`` (kept) as a constant: no node in the graph, no derivative of any order."""
    return Tensor.from_array(x.data.max(axis=axis, keepdims=True))


def _drop_axis(shape: tuple, axis: int) -> tuple:
    axis %= len(shape)
    return shape[:axis] + shape[axis + 1 :]
