"""Engine tests: the op table. Every op and composite, its value and its first and second derivatives.

Each row of ``CASES`` names an op, the same computation in NumPy, and how to draw its inputs
(shapes from hypothesis, chosen to exercise broadcasting; values from a seeded generator, kept
away from kinks: |x| ≥ 0.3 for abs/relu, positive arguments for log/sqrt/fractional powers,
distinct values for max). For every row, on every device:

- the forward value equals NumPy's in float64;
- the gradient of a random projection L(x) = Σ u ⊙ f(x) equals central finite differences
  (L(x + ε e_j) − L(x − ε e_j)) / 2ε;
- the double-backward product H w = ∇_x (∇_x L · w) for a random w equals central finite
  differences of the (first-order) gradient along each coordinate;
- in float32 the output has NumPy's result dtype, every gradient has its input's dtype, and
  the values agree with float64 to single precision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import ops

EPS = 1e-6  # central differences in float64: truncation ~ε², round-off ~1e-16/ε
ATOL, RTOL = 1e-6, 1e-5
# the device fixture is function-scoped on purpose: each hypothesis example runs on that one device
EXAMPLES = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
QUICK = settings(EXAMPLES, max_examples=3)


# ---------------------------------------------------------------- input samplers (values)
def real(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    """Values with |x| in [0.3, 1.5]: abs, relu and division stay away from their kink or pole."""
    return np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.5, shape))


def wide(rng, shape):
    return np.asarray(rng.uniform(-4.5, 4.5, shape))


def distinct(rng, shape):
    """Values at least 0.25 apart, so an ε-step never changes which entry is the maximum."""
    count = int(np.prod(shape))
    values = rng.permutation(count) * 0.3 - 0.15 * count + rng.uniform(0.0, 0.05, count)
    return values.reshape(shape)


def dyadic(rng, shape):
    """Multiples of 1/64 in [-2, 2]: x and (x ± 2⁻¹⁰)² are exact in float32, so a round trip
    through float32 loses nothing and finite differences stay exact."""
    return np.asarray(rng.integers(-128, 129, shape) / 64.0)


def away_from_bounds(rng, shape):
    """Values with ||x| − 0.5| ≥ 0.05: clamp(−0.5, 0.5) stays away from its kinks."""
    x = rng.uniform(-1.5, 1.5, shape)
    near = np.abs(np.abs(x) - 0.5) < 0.05
    return np.asarray(np.where(near, x * 1.3, x))


def dyadic_offset(rng, shape):
    """Multiples of 1/64 shifted by 1/128: at least 1/128 from every value ``dyadic`` draws."""
    return np.asarray(dyadic(rng, shape) + 1 / 128)


def random_vector(rng, shape):
    """Standard normal values rounded to float32: a projection that passes a float32 cast unchanged."""
    return rng.standard_normal(shape).astype(np.float32).astype(np.float64)


def probabilities(rng, shape):
    weights = rng.uniform(0.1, 1.0, shape)
    return np.asarray(weights / weights.sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------- input samplers (shapes)
ANY_SHAPE = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
THREE_D = array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=3)
BROADCAST_PAIR = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
BROADCAST_TRIPLE = mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)
SIDE = st.integers(1, 3)


def unary(sample, shapes=ANY_SHAPE):
    def draw(data, rng):
        return [sample(rng, data.draw(shapes))], {}

    return draw


def binary(sample_a, sample_b=None):
    """Two inputs whose shapes broadcast against each other (either may be 0-d)."""

    def draw(data, rng):
        shape_a, shape_b = data.draw(BROADCAST_PAIR).input_shapes
        return [sample_a(rng, shape_a), (sample_b or sample_a)(rng, shape_b)], {}

    return draw


def reduction(axis, sample=real):
    def draw(data, rng):
        return [sample(rng, data.draw(THREE_D))], {
            "axis": axis,
            "keepdims": data.draw(st.booleans()),
        }

    return draw


def with_exponent(sample, exponents):
    def draw(data, rng):
        return [sample(rng, data.draw(ANY_SHAPE))], {
            "exponent": data.draw(st.sampled_from(exponents))
        }

    return draw


def draw_reshape(data, rng):
    shape = data.draw(THREE_D)
    targets = [(-1,), (shape[0], -1), tuple(reversed(shape)), (1, -1, 1)]
    return [real(rng, shape)], {"shape": data.draw(st.sampled_from(targets))}


def draw_transpose(data, rng):
    return [real(rng, data.draw(THREE_D))], {"axes": tuple(data.draw(st.permutations(range(3))))}


def draw_swap(data, rng):
    dims = st.integers(-3, 2)
    return [real(rng, data.draw(THREE_D))], {"dim0": data.draw(dims), "dim1": data.draw(dims)}


def draw_new_axis(data, rng):
    return [real(rng, data.draw(ANY_SHAPE))], {"dim": data.draw(st.integers(-1, 0))}


def draw_squeeze(data, rng):
    return [real(rng, data.draw(THREE_D))], {"dim": data.draw(st.sampled_from([None, 0, -1, 1]))}


def draw_flatten(data, rng):
    start = data.draw(st.integers(0, 2))
    return [real(rng, data.draw(THREE_D))], {
        "start_dim": start,
        "end_dim": data.draw(st.sampled_from([d for d in (start, 2, -1) if d % 3 >= start])),
    }


def draw_matrix(data, rng):
    return [real(rng, data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)))], {}


def draw_max_along(data, rng):
    shape = data.draw(THREE_D)
    return [distinct(rng, shape)], {
        "dim": data.draw(st.integers(-3, 2)),
        "keepdim": data.draw(st.booleans()),
    }


def draw_clamp_tensor_bound(data, rng):
    shape_x, shape_low = data.draw(BROADCAST_PAIR).input_shapes
    return [dyadic_offset(rng, shape_x), dyadic(rng, shape_low)], {}


def draw_dropout(data, rng):
    return [real(rng, data.draw(THREE_D))], {
        "p": data.draw(st.sampled_from([0.2, 0.5])),
        "seed": data.draw(st.integers(0, 1000)),
    }


def np_dropout(x, p, seed):
    keep = np.random.default_rng(seed).random(x.shape) >= p
    return x * (keep.astype(x.dtype) / (1 - p))


def np_squeeze(x, dim):
    if dim is None:
        return np.squeeze(x)
    return np.squeeze(x, dim) if x.shape[dim] == 1 else x


def np_flatten(x, start_dim, end_dim):
    end = end_dim % x.ndim
    return x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end + 1 :])


def draw_broadcast_to(data, rng):
    shape = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    lead = tuple(data.draw(st.lists(SIDE, max_size=2)))
    target = lead + tuple(data.draw(SIDE) if n == 1 else n for n in shape)
    return [real(rng, shape)], {"shape": target}


BASIC_INDICES = [
    (1,),
    (slice(1, 3),),
    (slice(None), slice(None, None, 2)),
    (Ellipsis, 1),
    (slice(None, None, -1), 2, slice(0, 2)),
    (None, -1, slice(1, None)),
]


def draw_basic_index(data, rng):
    return [real(rng, (4, 5, 3))], {"index": data.draw(st.sampled_from(BASIC_INDICES))}


def draw_repeated_rows(data, rng):
    """7 row indices into 5 rows: some row is taken twice, so its gradient must accumulate."""
    return [real(rng, (5, 3))], {
        "index": rng.integers(0, 5, size=data.draw(st.sampled_from([(7,), (2, 4)])))
    }


def draw_index_pairs(data, rng):
    return [real(rng, (4, 3))], {
        "rows": rng.integers(0, 4, size=6),
        "columns": rng.integers(0, 3, size=6),
    }


MATMUL_LAYOUTS = {
    "1d @ 1d": lambda b, n, k, m: ((k,), (k,)),
    "1d @ 2d": lambda b, n, k, m: ((k,), (k, m)),
    "2d @ 1d": lambda b, n, k, m: ((n, k), (k,)),
    "2d @ 2d": lambda b, n, k, m: ((n, k), (k, m)),
    "batched": lambda b, n, k, m: ((b, n, k), (b, k, m)),
    "broadcast batched": lambda b, n, k, m: ((b, 1, n, k), (2, k, m)),
    "2d @ batched": lambda b, n, k, m: ((n, k), (b, k, m)),
    "1d @ batched": lambda b, n, k, m: ((k,), (b, k, m)),
    "batched @ 1d": lambda b, n, k, m: ((b, n, k), (k,)),
}


def matmul_draw(layout):
    def draw(data, rng):
        shape_a, shape_b = layout(*(data.draw(SIDE) for _ in range(4)))
        return [real(rng, shape_a), real(rng, shape_b)], {}

    return draw


TRANSPOSED_MATMULS = {  # (transpose_a, transpose_b): the operands' shapes for op(a) (n, k) @ op(b) (k, m)
    (True, False): lambda b, n, k, m: ((b, k, n), (k, m)),
    (False, True): lambda b, n, k, m: ((n, k), (b, m, k)),
    (True, True): lambda b, n, k, m: ((b, 1, k, n), (2, m, k)),
}


def draw_affine(data, rng):
    """x (..., m) with zero to two batch axes, W (m, n), b (n,)."""
    batch = data.draw(array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))
    m, n = data.draw(SIDE), data.draw(SIDE)
    return [real(rng, batch + (m,)), real(rng, (m, n)), real(rng, (n,))], {}


def draw_concatenate(data, rng):
    axis = data.draw(st.sampled_from([0, 1, -1]))
    base = [data.draw(SIDE), data.draw(SIDE)]
    arrays = []
    for _ in range(data.draw(st.integers(2, 3))):
        shape = list(base)
        shape[axis] = data.draw(SIDE)
        arrays.append(real(rng, tuple(shape)))
    return arrays, {"axis": axis}


def draw_stack(data, rng):
    shape = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return [real(rng, shape) for _ in range(data.draw(st.integers(2, 3)))], {"axis": axis}


def draw_where(data, rng):
    shape_condition, shape_a, shape_b = data.draw(BROADCAST_TRIPLE).input_shapes
    return [real(rng, shape_a), real(rng, shape_b)], {
        "condition": rng.random(shape_condition) < 0.5
    }


def draw_where_scalar(data, rng):
    shape = data.draw(ANY_SHAPE)
    return [real(rng, shape)], {"condition": rng.random(shape) < 0.5}


def draw_along_axis(data, rng, keepdims=False):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    settings_ = {"axis": data.draw(st.integers(-len(shape), len(shape) - 1))}
    if keepdims:
        settings_["keepdims"] = data.draw(st.booleans())
    return [wide(rng, shape)], settings_


def draw_logits_and_labels(data, rng):
    n, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    return [wide(rng, (n, classes))], {"target": rng.integers(0, classes, size=n)}


def draw_logits_and_soft_targets(data, rng):
    shape = (data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4)))
    return [wide(rng, shape), probabilities(rng, shape)], {}


def draw_same_shape_pair(data, rng):
    shape = data.draw(ANY_SHAPE)
    return [real(rng, shape), real(rng, shape)], {}


# ---------------------------------------------------------------- NumPy references
def np_logsumexp(x, axis=-1, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    result = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return result if keepdims else np.squeeze(result, axis=axis)


def np_log_softmax(x, axis=-1):
    return x - np_logsumexp(x, axis, keepdims=True)


def np_cross_entropy(logits, target):
    return -np_log_softmax(logits, 1)[np.arange(len(target)), target].mean()


def np_cross_entropy_each(logits, target):
    return -np_log_softmax(logits, 1)[np.arange(len(target)), target]


def np_smoothed_cross_entropy(logits, target, smoothing=0.1):
    uniform = -np_log_softmax(logits, 1).mean(axis=1)
    return ((1 - smoothing) * np_cross_entropy_each(logits, target) + smoothing * uniform).mean()


def np_soft_cross_entropy(logits, target):
    return -(target * np_log_softmax(logits, 1)).sum() / logits.shape[0]


def on_device_of(x: tg.Tensor, array) -> tg.Tensor:
    return tg.Tensor(array, device=x.device)


# ---------------------------------------------------------------- the table
@dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable  # fn(*tensors, **settings) -> Tensor
    reference: Callable  # reference(*arrays, **settings) -> array, the same computation in NumPy
    draw: Callable  # draw(hypothesis data, numpy rng) -> (arrays, settings)
    eps: float = field(default=EPS)


CASES = [
    OpCase("add", lambda a, b: a + b, lambda a, b: a + b, binary(real)),
    OpCase("sub", lambda a, b: a - b, lambda a, b: a - b, binary(real)),
    OpCase("mul", lambda a, b: a * b, lambda a, b: a * b, binary(real)),
    OpCase("div", lambda a, b: a / b, lambda a, b: a / b, binary(real, away_from_zero)),
    OpCase("neg", lambda x: -x, lambda x: -x, unary(real)),
    OpCase("scalar + x", lambda x: 2.5 + x, lambda x: 2.5 + x, unary(real)),
    OpCase("scalar - x", lambda x: 2.5 - x, lambda x: 2.5 - x, unary(real)),
    OpCase("scalar * x", lambda x: 2.5 * x, lambda x: 2.5 * x, unary(real)),
    OpCase("scalar / x", lambda x: 2.5 / x, lambda x: 2.5 / x, unary(away_from_zero)),
    OpCase(
        "x - scalar, x / scalar", lambda x: (x - 0.5) / 3.0, lambda x: (x - 0.5) / 3.0, unary(real)
    ),
    OpCase(
        "pow (any base)",
        lambda x, exponent: x**exponent,
        lambda x, exponent: x**exponent,
        with_exponent(real, [2, 3]),
    ),
    OpCase(
        "pow (positive base)",
        lambda x, exponent: x**exponent,
        lambda x, exponent: x**exponent,
        with_exponent(positive, [-1.5, -1, 0.5, 2.5]),
    ),
    OpCase("exp", lambda x: x.exp(), np.exp, unary(real)),
    OpCase("log", lambda x: x.log(), np.log, unary(positive)),
    OpCase("sqrt", lambda x: x.sqrt(), np.sqrt, unary(positive)),
    OpCase("abs", lambda x: x.abs(), np.abs, unary(away_from_zero)),
    OpCase("tanh", lambda x: x.tanh(), np.tanh, unary(real)),
    OpCase("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), unary(wide)),
    OpCase("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), unary(away_from_zero)),
    OpCase(
        "F.relu, F.sigmoid, F.tanh",
        lambda x: F.relu(x) + F.sigmoid(x) * F.tanh(x),
        lambda x: np.maximum(x, 0) + np.tanh(x) / (1 + np.exp(-x)),
        unary(away_from_zero),
    ),
    *[
        OpCase(f"{op} axis={axis}", fn, reference, reduction(axis, sample))
        for axis in (None, 0, -1, (0, 2))
        for op, fn, reference, sample in [
            ("sum", lambda x, axis, keepdims: x.sum(axis, keepdims), np.sum, real),
            ("mean", lambda x, axis, keepdims: x.mean(axis, keepdims), np.mean, real),
            (
                "max",
                lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
                np.max,
                distinct,
            ),
        ]
    ],
    *[
        OpCase(f"{op} dim={axis} (PyTorch's names)", fn, reference, reduction(axis, sample))
        for axis in (None, 1, (0, 2))
        for op, fn, reference, sample in [
            ("sum", lambda x, axis, keepdims: x.sum(dim=axis, keepdim=keepdims), np.sum, real),
            ("mean", lambda x, axis, keepdims: x.mean(dim=axis, keepdim=keepdims), np.mean, real),
            (
                "amax",
                lambda x, axis, keepdims: x.amax(dim=axis, keepdim=keepdims),
                np.max,
                distinct,
            ),
            ("amin", lambda x, axis, keepdims: x.amin(axis, keepdims), np.min, distinct),
        ]
    ],
    OpCase(
        "max(dim).values",
        lambda x, dim, keepdim: x.max(dim, keepdim).values,
        lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
        draw_max_along,
    ),
    OpCase(
        "min(dim=).values",
        lambda x, dim, keepdim: x.min(dim=dim, keepdim=keepdim)[0],
        lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim),
        draw_max_along,
    ),
    OpCase(
        "clamp",
        lambda x: x.clamp(-0.5, 0.5),
        lambda x: np.clip(x, -0.5, 0.5),
        unary(away_from_bounds),
    ),
    OpCase(
        "clip (max only)",
        lambda x: x.clip(max=0.5),
        lambda x: np.minimum(x, 0.5),
        unary(away_from_bounds),
    ),
    OpCase(
        "clamp (tensor bound)",
        lambda x, low: x.clamp(min=low),
        lambda x, low: np.maximum(x, low),
        draw_clamp_tensor_bound,
    ),
    OpCase(
        "pow method",
        lambda x, exponent: x.pow(exponent),
        lambda x, exponent: x**exponent,
        with_exponent(positive, [-1, 0, 1, 1.5]),
    ),
    OpCase("clone", lambda x: x.clone() * 2, lambda x: x.copy() * 2, unary(real)),
    OpCase(
        "double, float",
        lambda x: (x * x).double().float().double(),
        lambda x: (x * x).astype(np.float64).astype(np.float32).astype(np.float64),
        unary(dyadic),
        eps=2.0**-10,
    ),
    OpCase(
        "transpose(dim0, dim1)",
        lambda x, dim0, dim1: x.transpose(dim0, dim1),
        lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
        draw_swap,
    ),
    OpCase("t()", lambda x: x.t(), lambda x: x.T, draw_matrix),
    OpCase("view", lambda x, shape: x.view(*shape), np.reshape, draw_reshape),
    OpCase(
        "unsqueeze",
        lambda x, dim: x.unsqueeze(dim),
        lambda x, dim: np.expand_dims(x, dim),
        draw_new_axis,
    ),
    OpCase("squeeze", lambda x, dim: x.squeeze(dim), np_squeeze, draw_squeeze),
    OpCase(
        "flatten",
        lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim),
        np_flatten,
        draw_flatten,
    ),
    OpCase(
        "expand",
        lambda x: x.expand(2, -1, 3),
        lambda x: np.broadcast_to(x, (2, x.shape[-2], 3)),
        unary(real, st.sampled_from([(3, 1), (1, 3, 3), (1, 1)])),
    ),
    OpCase("reshape", lambda x, shape: x.reshape(*shape), np.reshape, draw_reshape),
    OpCase("reshape (tuple)", lambda x, shape: x.reshape(shape), np.reshape, draw_reshape),
    OpCase("permute", lambda x, axes: x.permute(*axes), np.transpose, draw_transpose),
    OpCase(".T", lambda x: x.T, lambda x: x.T, unary(real)),
    OpCase(
        "broadcast_to", lambda x, shape: x.broadcast_to(shape), np.broadcast_to, draw_broadcast_to
    ),
    OpCase("getitem basic", lambda x, index: x[index], lambda x, index: x[index], draw_basic_index),
    OpCase(
        "getitem integer array (repeats)",
        lambda x, index: x[on_device_of(x, index)],
        lambda x, index: x[index],
        draw_repeated_rows,
    ),
    OpCase(
        "getitem list (repeats)",
        lambda x: x[[0, 2, 2, -1]],
        lambda x: x[[0, 2, 2, -1]],
        unary(real, st.just((4, 3))),
    ),
    OpCase(
        "getitem row and column arrays",
        lambda x, rows, columns: x[on_device_of(x, rows), on_device_of(x, columns)],
        lambda x, rows, columns: x[rows, columns],
        draw_index_pairs,
    ),
    OpCase(
        "getitem slice and list",
        lambda x: x[1:, [2, 0, 2]],
        lambda x: x[1:, [2, 0, 2]],
        unary(real, st.just((3, 4))),
    ),
    *[
        OpCase(f"matmul {name}", lambda a, b: a @ b, np.matmul, matmul_draw(layout))
        for name, layout in MATMUL_LAYOUTS.items()
    ],
    *[
        OpCase(
            f"matmul transpose_a={ta} transpose_b={tb}",
            lambda a, b, ta=ta, tb=tb: ops.MatMul(ta, tb)(a, b),
            lambda a, b, ta=ta, tb=tb: np.matmul(
                a.swapaxes(-1, -2) if ta else a, b.swapaxes(-1, -2) if tb else b
            ),
            matmul_draw(layout),
        )
        for (ta, tb), layout in TRANSPOSED_MATMULS.items()
    ],
    OpCase("affine", lambda x, w, b: F.affine(x, w, b), lambda x, w, b: x @ w + b, draw_affine),
    OpCase(
        "concatenate",
        lambda *xs, axis: tg.concatenate(xs, axis=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        draw_concatenate,
    ),
    OpCase(
        "stack",
        lambda *xs, axis: tg.stack(xs, axis=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        draw_stack,
    ),
    OpCase(
        "cat(dim=)",
        lambda *xs, axis: tg.cat(xs, dim=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        draw_concatenate,
    ),
    OpCase(
        "stack(dim=)",
        lambda *xs, axis: tg.stack(xs, dim=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        draw_stack,
    ),
    OpCase(
        "where",
        lambda a, b, condition: tg.where(on_device_of(a, condition), a, b),
        lambda a, b, condition: np.where(condition, a, b),
        draw_where,
    ),
    OpCase(
        "where (scalar branch)",
        lambda a, condition: tg.where(on_device_of(a, condition), a, 0.0),
        lambda a, condition: np.where(condition, a, a.dtype.type(0)),
        draw_where_scalar,
    ),
    OpCase(
        "astype float32 and back",
        lambda x: (x**2).astype("float32").astype("float64"),
        lambda x: (x**2).astype(np.float32).astype(np.float64),
        unary(dyadic),
        eps=2.0**-10,
    ),
    OpCase(
        "softmax",
        lambda x, axis: F.softmax(x, axis=axis),
        lambda x, axis: np.exp(np_log_softmax(x, axis)),
        draw_along_axis,
    ),
    OpCase(
        "log_softmax", lambda x, axis: F.log_softmax(x, axis=axis), np_log_softmax, draw_along_axis
    ),
    OpCase(
        "logsumexp",
        lambda x, axis, keepdims: F.logsumexp(x, axis=axis, keepdims=keepdims),
        np_logsumexp,
        lambda data, rng: draw_along_axis(data, rng, keepdims=True),
    ),
    OpCase(
        "cross_entropy (class indices)",
        lambda logits, target: F.cross_entropy(logits, target),
        np_cross_entropy,
        draw_logits_and_labels,
    ),
    OpCase(
        "softmax(dim=), log_softmax(dim=)",
        lambda x, axis: F.softmax(x, dim=axis) * F.log_softmax(x, dim=axis),
        lambda x, axis: np.exp(np_log_softmax(x, axis)) * np_log_softmax(x, axis),
        draw_along_axis,
    ),
    OpCase(
        "cross_entropy reduction=sum",
        lambda logits, target: F.cross_entropy(logits, target, reduction="sum"),
        lambda logits, target: np_cross_entropy_each(logits, target).sum(),
        draw_logits_and_labels,
    ),
    OpCase(
        "cross_entropy reduction=none",
        lambda logits, target: F.cross_entropy(logits, target, reduction="none"),
        np_cross_entropy_each,
        draw_logits_and_labels,
    ),
    OpCase(
        "cross_entropy label_smoothing",
        lambda logits, target: F.cross_entropy(logits, target, label_smoothing=0.1),
        np_smoothed_cross_entropy,
        draw_logits_and_labels,
    ),
    OpCase(
        "nn.CrossEntropyLoss, nn.MSELoss",
        lambda logits, target: (
            tg.nn.CrossEntropyLoss()(logits, target)
            + tg.nn.MSELoss(reduction="sum")(logits, logits * 0 + 0.25)
        ),
        lambda logits, target: np_cross_entropy(logits, target) + ((logits - 0.25) ** 2).sum(),
        draw_logits_and_labels,
    ),
    OpCase(
        "mse_loss reduction=none",
        lambda a, b: F.mse_loss(a, b, reduction="none"),
        lambda a, b: (a - b) ** 2,
        draw_same_shape_pair,
    ),
    OpCase(
        "dropout (seeded mask)",
        lambda x, p, seed: F.dropout(x, p, rng=seed),
        np_dropout,
        draw_dropout,
    ),
    OpCase(
        "cross_entropy (soft targets)",
        lambda logits, target: F.cross_entropy(logits, target),
        np_soft_cross_entropy,
        draw_logits_and_soft_targets,
    ),
    OpCase(
        "mse_loss",
        lambda a, b: F.mse_loss(a, b),
        lambda a, b: ((a - b) ** 2).mean(),
        draw_same_shape_pair,
    ),
]


# ---------------------------------------------------------------- numerical differentiation
def central_differences(scalar_of, arrays, eps):
    """∂ scalar_of(arrays) / ∂ arrays[i][j] for every i, j, by (s(x + ε e_j) − s(x − ε e_j)) / 2ε."""
    arrays = [a.copy() for a in arrays]
    gradients = []
    for a in arrays:
        gradient = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            saved = a[j]
            a[j] = saved + eps
            up = scalar_of(arrays)
            a[j] = saved - eps
            down = scalar_of(arrays)
            a[j] = saved
            gradient[j] = (up - down) / (2 * eps)
        gradients.append(gradient)
    return gradients


def projected_loss(case, tensors, settings_, projection):
    """L = Σ u ⊙ f(x): a scalar whose gradient is the vector-Jacobian product uᵀJ."""
    y = case.fn(*tensors, **settings_)
    return (y * on_device_of(y, projection)).sum()


def leaves(arrays, device):
    return [tg.Tensor(a, requires_grad=True, device=device) for a in arrays]


def analytic_gradient(case, arrays, settings_, projection, device):
    xs = leaves(arrays, device)
    return [g.numpy() for g in tg.grad(projected_loss(case, xs, settings_, projection), xs)]


def analytic_hessian_times(case, arrays, settings_, projection, directions, device):
    """H w by double backward: ∇_x (∇_x L · w), zero where ∇_x L does not depend on x."""
    xs = leaves(arrays, device)
    gradients = tg.grad(projected_loss(case, xs, settings_, projection), xs, create_graph=True)
    directional = sum(
        (g * on_device_of(g, w)).sum() for g, w in zip(gradients, directions, strict=True)
    )
    if not directional.requires_grad:  # f is linear in x: its gradient is a constant
        return [np.zeros_like(a) for a in arrays]
    products = tg.grad(directional, xs, allow_unused=True)
    return [
        np.zeros_like(a) if p is None else p.numpy() for p, a in zip(products, arrays, strict=True)
    ]


def draw_example(case, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    arrays, settings_ = case.draw(data, rng)
    expected = np.asarray(case.reference(*arrays, **settings_))
    return rng, arrays, settings_, expected


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@EXAMPLES
@given(data=st.data())
def test_value_and_first_derivatives(case, device, data):
    rng, arrays, settings_, expected = draw_example(case, data)
    y = case.fn(*[tg.Tensor(a, device=device) for a in arrays], **settings_)
    assert y.device == device
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)

    projection = random_vector(rng, expected.shape)

    def loss_value(perturbed) -> float:
        with tg.no_grad():
            tensors = [tg.Tensor(a, device=device) for a in perturbed]
            return projected_loss(case, tensors, settings_, projection).item()

    numeric = central_differences(loss_value, arrays, case.eps)
    exact = analytic_gradient(case, arrays, settings_, projection, device)
    for i, (e, n) in enumerate(zip(exact, numeric, strict=True)):
        assert e.shape == arrays[i].shape
        np.testing.assert_allclose(e, n, rtol=RTOL, atol=ATOL, err_msg=f"{case.name}: input {i}")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@EXAMPLES
@given(data=st.data())
def test_second_derivatives(case, device, data):
    rng, arrays, settings_, expected = draw_example(case, data)
    projection = random_vector(rng, expected.shape)
    directions = [random_vector(rng, a.shape) for a in arrays]

    def gradient_along_directions(perturbed):
        gradients = analytic_gradient(case, perturbed, settings_, projection, device)
        return sum(float((g * w).sum()) for g, w in zip(gradients, directions, strict=True))

    numeric = central_differences(gradient_along_directions, arrays, case.eps)
    exact = analytic_hessian_times(case, arrays, settings_, projection, directions, device)
    for i, (e, n) in enumerate(zip(exact, numeric, strict=True)):
        np.testing.assert_allclose(e, n, rtol=RTOL, atol=ATOL, err_msg=f"{case.name}: input {i}")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@QUICK
@given(data=st.data())
def test_float32_keeps_dtypes(case, device, data):
    rng, arrays, settings_, expected64 = draw_example(case, data)
    singles = [a.astype(np.float32) for a in arrays]
    expected_dtype = np.asarray(case.reference(*singles, **settings_)).dtype
    xs = leaves(singles, device)
    y = case.fn(*xs, **settings_)
    assert y.dtype == expected_dtype
    np.testing.assert_allclose(y.numpy(), expected64, rtol=1e-5, atol=1e-5)

    projection = random_vector(rng, expected64.shape)
    gradients = tg.grad((y * on_device_of(y, projection.astype(y.dtype))).sum(), xs)
    exact64 = analytic_gradient(case, arrays, settings_, projection, device)
    for g, exact in zip(gradients, exact64, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g.numpy(), exact, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- fused ops against their composition
def _value_and_gradients(fn, arrays, dtype):
    """fn's value and the gradients of Σ u ⊙ fn(inputs) for a fixed projection u."""
    inputs = [tg.Tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    u = tg.Tensor(np.random.default_rng(7).standard_normal(out.shape).astype(dtype))
    (out * u).sum().backward()
    return [out.numpy()] + [x.grad.numpy() for x in inputs]


@pytest.mark.parametrize(
    "fused, composed, shapes",
    [
        (F.affine, lambda x, w, b: x @ w + b, [(5, 3), (3, 4), (4,)]),
        (F.affine, lambda x, w, b: x @ w + b, [(2, 5, 3), (3, 4), (4,)]),
        (lambda a, b: ops.MatMul(True, False)(a, b), lambda a, b: a.T @ b, [(3, 5), (3, 4)]),
        (lambda a, b: ops.MatMul(False, True)(a, b), lambda a, b: a @ b.T, [(5, 3), (4, 3)]),
    ],
    ids=["affine", "affine batched", "matmul transpose_a", "matmul transpose_b"],
)
def test_fused_ops_equal_their_composition_to_the_last_bit(fused, composed, shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    for want, got in zip(
        _value_and_gradients(composed, arrays, np.float64),
        _value_and_gradients(fused, arrays, np.float64),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    for want, got in zip(
        _value_and_gradients(composed, arrays, np.float32),
        _value_and_gradients(fused, arrays, np.float32),
        strict=True,
    ):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def _composite_cross_entropy(logits, labels, reduction="mean"):
    """What ``F.cross_entropy`` computed before ``ops.CrossEntropy``: log-softmax, pick, sum, divide."""
    picked = F.log_softmax(logits, axis=1)[np.arange(logits.shape[0]), labels].sum()
    return picked / -logits.shape[0] if reduction == "mean" else -picked


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_cross_entropy_equals_its_composite_to_the_last_bit(reduction):
    """Value, gradient and Hessian-vector product, in float64 bit for bit, with a masked (−∞)
    logit among them; in float32 within round-off."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((6, 4)) * 3
    logits[2, 1] = -np.inf  # a masked class: probability 0, gradient 0
    labels = np.array([0, 3, 2, 1, 1, 0])
    direction = rng.standard_normal(logits.shape)
    direction[2, 1] = 0.0
    for dtype in (np.float64, np.float32):
        results = []
        for loss in (F.cross_entropy, _composite_cross_entropy):
            x = tg.Tensor(logits.astype(dtype), requires_grad=True)
            value = loss(x, labels, reduction=reduction)
            value.backward()
            _, product = tg.autograd.hvp(
                lambda z, loss=loss: loss(z, labels, reduction=reduction),
                logits.astype(dtype),
                direction.astype(dtype),
            )
            results.append([value.numpy(), x.grad.numpy(), product.numpy()])
        fused, composite = results
        assert F.cross_entropy(tg.Tensor(logits), labels).grad_fn is None  # no input requires grad
        for got, want in zip(fused, composite, strict=True):
            assert np.all(np.isfinite(got)) and got.dtype == dtype
            if dtype == np.float64:
                np.testing.assert_array_equal(got, want)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_cross_entropy_with_class_indices_is_one_node_that_releases_its_arrays():
    x = tg.Tensor(np.zeros((3, 2)), requires_grad=True)
    loss = F.cross_entropy(x, [0, 1, 1])
    assert isinstance(loss.grad_fn, ops.CrossEntropy)
    assert loss.grad_fn.inputs == (x,)
    loss.backward()
    assert loss.grad_fn.released and loss.grad_fn.saved is None
