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


def logsumexp(
    x: Tensor, axis: int = -1, keepdims: bool = False, *, dim=None, keepdim=None
) -> Tensor:
    """log Σ_axis exp(x), computed as m + log Σ exp(x − m) with m the (constant) maximum.

    A row of −∞ gives −∞ and a row holding +∞ gives +∞, as in PyTorch: m is taken as 0 where
    the maximum is not finite, so no ∞ − ∞ arises.
    """
    axis = _axis(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    m = _constant_max(x, axis, finite=True)
    result = m + (x - m).exp().sum(axis=axis, keepdims=True).log()
    return result if keepdims else result.squeeze(axis)


def log_softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """log softmax(x) = x − logsumexp(x) = (x − m) − log Σ exp(x − m) along ``axis``.

    The shifted form is logsumexp's own, written out so the shift x − m is computed once.
    A −∞ logit (a masked class) gets log-probability −∞ and probability 0; a row of −∞ or one
    holding +∞ is NaN throughout, as in PyTorch.
    """
    axis = _axis(axis, dim)
    shifted = x - _constant_max(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """exp(x_i) / Σ_j exp(x_j) along ``axis``, as exp(log_softmax(x))."""
    return log_softmax(x, _axis(axis, dim)).exp()


def cross_entropy(
    logits: Tensor, target, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """−log softmax(logits)[target] for each row, reduced over the batch.

    Args:
        logits: (N, C) unnormalized scores.
        target: N class indices (an integer array or Tensor), or an (N, C) Tensor of
            probabilities (soft targets, as in distillation): then −Σ_c p_c log softmax_c.
        reduction: ``"mean"`` (over the N rows), ``"sum"`` or ``"none"`` (the N losses).
        label_smoothing: ε; the target becomes (1 − ε) · target + ε / C for every class
            (Szegedy et al. 2016), as in PyTorch.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}"
        )
    _check_reduction("cross_entropy", reduction)
    n, classes = logits.shape
    soft_targets = isinstance(target, Tensor) and backend.is_float(target.dtype)
    if not soft_targets and reduction != "none" and not label_smoothing:
        # the common case in one node; it computes what the lines below would, to the last bit
        return ops.CrossEntropy(_class_indices(target, n, classes, logits.device), reduction)(
            logits
        )
    log_probs = log_softmax(logits, axis=1)
    if soft_targets:
        if target.shape != logits.shape:
            raise ValueError(
                f"cross_entropy: soft targets must have the logits' shape {logits.shape}, got {target.shape}"
            )
        log_likelihood = target * log_probs  # (N, C); the reduction sums over the classes
    else:
        labels = _class_indices(target, n, classes, logits.device)
        log_likelihood = log_probs[backend.array_module(labels).arange(n), labels]  # (N,)
    if reduction == "none" or label_smoothing:
        if log_likelihood.ndim == 2:
            log_likelihood = log_likelihood.sum(axis=1)
        if label_smoothing:  # (1 − ε) · the target's term + ε · the uniform target's
            uniform = log_probs.sum(axis=1) / classes
            log_likelihood = (1 - label_smoothing) * log_likelihood + label_smoothing * uniform
    if reduction == "none":
        return -log_likelihood
    total = log_likelihood.sum()
    return total / -n if reduction == "mean" else -total


def _class_indices(target, n: int, classes: int, device: str):
    """``target`` as an integer array of ``n`` class indices in [0, classes), or a clear error."""
    labels = target.data if isinstance(target, Tensor) else target
    if not (backend.is_array(labels) and backend.device_of(labels) == device):
        labels = backend.as_array(labels, device=device, copy=False)
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
    return labels


def mse_loss(prediction: Tensor, target, reduction: str = "mean") -> Tensor:
    """Squared error (prediction − target)² element-wise, reduced: ``"mean"``, ``"sum"``, ``"none"``."""
    target = prediction._lift(target)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction has shape {prediction.shape} but target has shape {target.shape}"
        )
    _check_reduction("mse_loss", reduction)
    difference = prediction - target
    squared = difference * difference
    if reduction == "none":
        return squared
    return squared.mean() if reduction == "mean" else squared.sum()


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Inverted dropout (Srivastava et al. 2014): each unit is kept with probability 1 − p and
    scaled by 1 / (1 − p), so the expected output is x and nothing changes at test time.

    The mask is drawn on the host from ``rng`` (None: the ``tg.manual_seed`` generator), so a
    seed gives the same masks on both devices. ``training=False`` returns x itself.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0
    keep = backend.rng(rng).random(x.shape) >= p
    mask = backend.as_array(keep.astype(x.dtype) / (1 - p), dtype=x.dtype, device=x.device)
    return x * Tensor.from_array(mask)


def concatenate(tensors, axis: int = 0, *, dim=None) -> Tensor:
    """Join tensors along an existing axis (``numpy.concatenate``)."""
    axis = _axis(axis, dim)
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


def cat(tensors, dim: int = 0) -> Tensor:
    """PyTorch's name for ``concatenate``."""
    return concatenate(tensors, dim)


def stack(tensors, axis: int = 0, *, dim=None) -> Tensor:
    """Join same-shaped tensors along a new axis (``numpy.stack``)."""
    axis = _axis(axis, dim)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack: all tensors must have one shape, got {shape} and {t.shape}")
    if not -len(shape) - 1 <= axis <= len(shape):
        raise ValueError(f"stack: axis {axis} is out of range for a new axis of shape {shape}")
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


def _axis(axis, dim):
    """The axis from NumPy's ``axis`` or PyTorch's ``dim`` (which wins when given)."""
    return axis if dim is None else dim


def _constant_max(x: Tensor, axis: int, finite: bool = False) -> Tensor:
    """max(x) along ``axis`` (kept) as a constant: no node in the graph, no derivative of any
    order. With ``finite``, ±∞ is replaced by 0, so x − m never computes ∞ − ∞ (logsumexp)."""
    m = x.data.max(axis=axis, keepdims=True)
    if not finite:
        return Tensor.from_array(m)
    xp = backend.array_module(m)
    return Tensor.from_array(xp.where(xp.isfinite(m), m, xp.zeros_like(m)))
