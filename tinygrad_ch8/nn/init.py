"""nn: parameter initialization (the book's §8.4), also reachable as ``tinygrad_ch8.init``.

Every weight initializer has the signature ``name(shape, rng=None, dtype=None, **hparams)``
and returns a new NumPy array on the host (layers move it to their device). For a dense
layer the shape is (m, n) = (fan_in, fan_out), matching ``Linear``'s y = x W + b. ``rng`` is
None (the generator that ``tg.manual_seed`` seeds), an int seed or a NumPy Generator, so
every draw is reproducible; ``dtype`` defaults to the default dtype.

Then come the book's bias heuristics (output bias from the class frequencies, a small
positive bias for ReLU units) and LSUV, the data-driven rescaling of §8.4's last paragraph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from .. import backend
from ..grad_mode import no_grad
from ..tensor import Tensor
from .module import Module, Parameter


def _fans(shape, name: str) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(
            f"init.{name}: expects a dense weight shape (fan_in, fan_out), got {tuple(shape)}"
        )
    return int(shape[0]), int(shape[1])


def _dtype(dtype):
    return backend.get_default_dtype() if dtype is None else backend.float_dtype(dtype)


def _uniform(shape, bound: float, rng, dtype):
    return backend.rng(rng).uniform(-bound, bound, size=tuple(shape)).astype(_dtype(dtype))


def _normal(shape, std: float, rng, dtype):
    return (std * backend.rng(rng).standard_normal(tuple(shape))).astype(_dtype(dtype))


# ---------------------------------------------------------------- dense weights
def uniform_fan_in(shape, rng=None, dtype=None):
    """The book's heuristic W ~ U(−1/√m, 1/√m), m = fan_in (eq. 8.23's predecessor)."""
    fan_in, _ = _fans(shape, "uniform_fan_in")
    return _uniform(shape, 1 / math.sqrt(fan_in), rng, dtype)


def glorot_uniform(shape, rng=None, dtype=None, gain: float = 1.0):
    """Normalized initialization (Glorot & Bengio 2010; eq. 8.23): W ~ U(−a, a), a = gain·√(6/(m+n)).

    Var(W) = 2/(m+n) (times gain²): a compromise between keeping the activation variance
    (1/m) and the gradient variance (1/n) the same in every layer. Keras calls it
    ``glorot_uniform``, PyTorch ``xavier_uniform_``.
    """
    fan_in, fan_out = _fans(shape, "glorot_uniform")
    return _uniform(shape, gain * math.sqrt(6 / (fan_in + fan_out)), rng, dtype)


def glorot_normal(shape, rng=None, dtype=None, gain: float = 1.0):
    """W ~ N(0, σ²), σ = gain·√(2/(m+n)): Glorot's variance with a Gaussian (PyTorch's
    ``xavier_normal_``; Keras truncates the Gaussian, this does not)."""
    fan_in, fan_out = _fans(shape, "glorot_normal")
    return _normal(shape, gain * math.sqrt(2 / (fan_in + fan_out)), rng, dtype)


def he_uniform(shape, rng=None, dtype=None):
    """W ~ U(−√(6/m), √(6/m)): variance 2/m, which keeps the scale of ReLU layers (He et al. 2015)."""
    fan_in, _ = _fans(shape, "he_uniform")
    return _uniform(shape, math.sqrt(6 / fan_in), rng, dtype)


def he_normal(shape, rng=None, dtype=None):
    """W ~ N(0, 2/m), m = fan_in: half the units of a ReLU layer are off, so twice Glorot's 1/m."""
    fan_in, _ = _fans(shape, "he_normal")
    return _normal(shape, math.sqrt(2 / fan_in), rng, dtype)


def orthogonal(shape, rng=None, dtype=None, gain: float = 1.0):
    """A random (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013).

    A Gaussian matrix is factored A = QR and Q's columns are multiplied by the signs of
    diag(R), which makes Q uniformly (Haar) distributed. For m ≥ n the result has orthonormal
    columns, WᵀW = gain²·I; for m < n orthonormal rows, WWᵀ = gain²·I. Every singular value
    is ``gain``, so a linear layer keeps the norm of what passes through it.
    """
    fan_in, fan_out = _fans(shape, "orthogonal")
    tall = (max(fan_in, fan_out), min(fan_in, fan_out))
    gaussian = backend.rng(rng).standard_normal(tall)
    q, r = backend.numpy.linalg.qr(gaussian)
    q = q * backend.numpy.sign(backend.numpy.diag(r))
    weight = q if fan_in >= fan_out else q.T
    return (gain * weight).astype(_dtype(dtype))


def sparse(shape, rng=None, dtype=None, k: int = 15, std: float = 1.0):
    """Sparse initialization (Martens 2010): each output unit gets exactly ``k`` non-zero
    incoming weights, drawn from N(0, std²), at positions chosen at random.

    A unit's total input then does not shrink as the fan-in m grows, unlike the 1/√m rules,
    while the units still differ from each other. (PyTorch's ``sparse_`` zeroes a fraction of
    each column instead of keeping k.) Martens used k = 15.
    """
    fan_in, fan_out = _fans(shape, "sparse")
    if not 1 <= k <= fan_in:
        raise ValueError(f"init.sparse: k must lie in [1, fan_in={fan_in}], got {k}")
    generator = backend.rng(rng)
    weight = backend.numpy.zeros((fan_in, fan_out), dtype=_dtype(dtype))
    for unit in range(fan_out):
        rows = generator.choice(fan_in, size=k, replace=False)
        weight[rows, unit] = std * generator.standard_normal(k)
    return weight


def zeros(shape, rng=None, dtype=None):
    """All zeros: right for biases, wrong for weights (every unit would stay identical, §8.4)."""
    return backend.numpy.zeros(tuple(shape), dtype=_dtype(dtype))


def constant(shape, rng=None, dtype=None, *, value: float):
    """Every entry ``value``. For weights it shows the symmetry problem: units that start
    equal get equal updates and never differ (see examples/symmetry_breaking.py)."""
    return backend.numpy.full(tuple(shape), value, dtype=_dtype(dtype))


INITIALIZERS: dict[str, Callable] = {
    "uniform_fan_in": uniform_fan_in,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
    "sparse": sparse,
    "zeros": zeros,
}


def get(initializer: str | Callable) -> Callable:
    """The initializer named ``initializer`` (a key of ``INITIALIZERS``), or the callable itself."""
    if callable(initializer):
        return initializer
    if initializer not in INITIALIZERS:
        names = ", ".join(INITIALIZERS)
        raise ValueError(
            f"unknown initializer {initializer!r}: expected one of {names} or a callable"
        )
    return INITIALIZERS[initializer]


# ---------------------------------------------------------------- in place, in PyTorch's style
# ``init.xavier_uniform_(layer.weight)`` fills an existing tensor and returns it. The fans come
# from this project's (in, out) = (fan_in, fan_out) weight layout, the transpose of PyTorch's
# (out, in), so fan_in is shape[0] here where PyTorch reads shape[1]: the same layer gets the
# same distribution. Each draws exactly the numbers of the array initializer above.
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain g that keeps the activation variance through ``nonlinearity`` (PyTorch's table):
    1 for linear and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + a²)) for leaky_relu (a = param,
    default 0.01)."""
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}: expected linear, identity, "
        "sigmoid, tanh, relu or leaky_relu"
    )


def _fill(tensor: Tensor, array) -> Tensor:
    with no_grad():
        tensor.data[...] = backend.to_device(array, tensor.device)
    return tensor


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, name: str) -> float:
    fan_in, fan_out = _fans(tensor.shape, name)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng=None) -> Tensor:
    """Fill ``tensor`` (shape (fan_in, fan_out)) from U(−a, a), a = gain·√(6/(m+n)): ``glorot_uniform``."""
    return _fill(tensor, glorot_uniform(tensor.shape, rng, tensor.dtype, gain))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng=None) -> Tensor:
    """Fill ``tensor`` from N(0, σ²), σ = gain·√(2/(m+n)): ``glorot_normal``."""
    return _fill(tensor, glorot_normal(tensor.shape, rng, tensor.dtype, gain))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng=None
) -> Tensor:
    """Fill ``tensor`` from U(−√3·σ, √3·σ), σ = gain / √fan (He et al. 2015); the defaults give
    σ = √(2/m), ``he_uniform``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(tensor, _uniform(tensor.shape, math.sqrt(3.0) * std, rng, tensor.dtype))


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng=None
) -> Tensor:
    """Fill ``tensor`` from N(0, σ²), σ = gain / √fan; the defaults give σ = √(2/m), ``he_normal``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return _fill(tensor, _normal(tensor.shape, std, rng, tensor.dtype))


def orthogonal_(tensor: Tensor, gain: float = 1.0, rng=None) -> Tensor:
    """Fill ``tensor`` with a random (semi-)orthogonal matrix times ``gain``: ``orthogonal``."""
    return _fill(tensor, orthogonal(tensor.shape, rng, tensor.dtype, gain))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng=None) -> Tensor:
    """Fill ``tensor`` (any shape) from U(a, b)."""
    values = backend.rng(rng).uniform(a, b, size=tensor.shape)
    return _fill(tensor, values.astype(tensor.dtype))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng=None) -> Tensor:
    """Fill ``tensor`` (any shape) from N(mean, std²)."""
    values = mean + std * backend.rng(rng).standard_normal(tensor.shape)
    return _fill(tensor, values.astype(tensor.dtype))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 1."""
    return constant_(tensor, 1.0)


# ---------------------------------------------------------------- biases
def output_bias_from_frequencies(labels, n_classes: int, dtype=None, pseudo_count: float = 0.0):
    """The softmax output bias whose prediction is the marginal class distribution (§8.4).

    softmax(b) = p with p_c the frequency of class c in ``labels`` is solved by b_c = log p_c
    (up to a constant, which softmax ignores). ``pseudo_count`` is added to every count
    (Laplace smoothing); without it a class that never occurs would need b_c = −∞, which is an
    error here.
    """
    host_labels = backend.to_numpy(labels.data if isinstance(labels, Tensor) else labels).reshape(
        -1
    )
    counts = backend.numpy.bincount(host_labels.astype("int64"), minlength=n_classes)[:n_classes]
    counts = counts + pseudo_count
    if (counts <= 0).any():
        absent = [int(c) for c in backend.numpy.flatnonzero(counts <= 0)]
        raise ValueError(
            f"output_bias_from_frequencies: classes {absent} never occur; pass pseudo_count > 0"
        )
    return backend.numpy.log(counts / counts.sum()).astype(_dtype(dtype))


def relu_bias(shape, rng=None, dtype=None, value: float = 0.1):
    """A small positive bias (0.1) for ReLU hidden units, so most start active (§8.4)."""
    return constant(shape, dtype=dtype, value=value)


# ---------------------------------------------------------------- data-driven scaling
class LSUVLayerReport(NamedTuple):
    """What LSUV did to one layer: its name, the passes it took and its output std before and after."""

    name: str
    iterations: int
    initial_std: float
    final_std: float


def lsuv(
    model: Module, batch, target_std: float = 1.0, tol: float = 0.1, max_iter: int = 10
) -> list[LSUVLayerReport]:
    """Layer-sequential unit-variance scaling (Mishkin & Matas 2015), the book's §8.4 recipe
    made precise: go through the dense layers in order; for each, run the minibatch through
    the model, measure the standard deviation s of the layer's output and multiply the
    layer's weights by ``target_std / s``; repeat until |s − target_std| ≤ ``tol`` (at most
    ``max_iter`` passes), then move to the next layer, which now sees well-scaled inputs.

    A dense layer is any module with a 2-D ``weight`` Parameter (``Linear``). The paper starts
    from orthogonal weights (``Linear(..., init="orthogonal")``); any start works here. Buffers
    such as batch norm's running averages are restored afterwards, so only weights change.

    Args:
        model: the network; it is called as ``model(batch)``.
        batch: a minibatch (Tensor or array) of inputs.
    Returns:
        One ``LSUVLayerReport`` per dense layer, in order.
    """
    inputs = batch if isinstance(batch, Tensor) else Tensor(batch)
    saved_buffers = [(buffer, buffer.data.copy()) for buffer in model.buffers()]
    report = []
    for name, layer in model.named_modules():
        weight = getattr(layer, "weight", None)
        if not (isinstance(weight, Parameter) and weight.ndim == 2):
            continue
        outputs: list[Tensor] = []
        handle = layer.register_forward_hook(
            lambda module, args, output, store=outputs: store.append(output)
        )
        try:
            initial_std = std = _output_std(model, inputs, outputs)
            iterations = 0
            while abs(std - target_std) > tol and iterations < max_iter:
                if std == 0:
                    raise ValueError(
                        f"lsuv: layer {name!r} outputs a constant; it cannot be rescaled"
                    )
                with no_grad():
                    weight.data *= target_std / std
                std = _output_std(model, inputs, outputs)
                iterations += 1
        finally:
            handle.remove()
        report.append(LSUVLayerReport(name, iterations, initial_std, std))
    for buffer, data in saved_buffers:
        buffer.data[...] = data
    return report


def _output_std(model: Module, inputs: Tensor, outputs: list) -> float:
    """The std (over every element of the batch) of the hooked layer's output after one forward pass."""
    outputs.clear()
    with no_grad():
        model(inputs)
    return float(outputs[-1].data.std())
