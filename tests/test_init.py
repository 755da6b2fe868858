"""init: each initializer's bounds, variance and structure; bias heuristics; LSUV."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
from tinygrad_ch8 import init, nn

FAN_IN, FAN_OUT = 300, 200  # 60,000 draws: sample variances within ~1.5% of the truth


@pytest.mark.parametrize(
    "initializer, bound",
    [
        (init.uniform_fan_in, 1 / math.sqrt(FAN_IN)),
        (init.glorot_uniform, math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (init.he_uniform, math.sqrt(6 / FAN_IN)),
    ],
)
def test_uniform_initializers_respect_their_bound_and_variance(initializer, bound):
    weight = initializer((FAN_IN, FAN_OUT), rng=0)
    assert weight.shape == (FAN_IN, FAN_OUT) and weight.dtype == np.float32
    assert np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound  # the whole interval is used
    assert weight.var() == pytest.approx(bound**2 / 3, rel=0.03)  # Var U(−a, a) = a²/3
    assert abs(weight.mean()) < 0.01 * bound


@pytest.mark.parametrize(
    "initializer, std",
    [
        (init.glorot_normal, math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.he_normal, math.sqrt(2 / FAN_IN)),
    ],
)
def test_normal_initializers_have_their_standard_deviation(initializer, std):
    weight = initializer((FAN_IN, FAN_OUT), rng=1)
    assert weight.std() == pytest.approx(std, rel=0.015)
    assert abs(weight.mean()) < 0.02 * std


def test_glorot_gain_scales_the_bound():
    weight = init.glorot_uniform((10, 6), rng=0, gain=2.0)
    np.testing.assert_allclose(weight, 2 * init.glorot_uniform((10, 6), rng=0), rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.5, 3.0))
def test_orthogonal_has_orthonormal_columns_or_rows_times_the_gain(fan_in, fan_out, gain):
    tg.set_default_dtype("float64")
    weight = init.orthogonal((fan_in, fan_out), rng=fan_in * 100 + fan_out, gain=gain)
    assert weight.shape == (fan_in, fan_out)
    if fan_in >= fan_out:
        np.testing.assert_allclose(weight.T @ weight, gain**2 * np.eye(fan_out), atol=1e-10)
    else:
        np.testing.assert_allclose(weight @ weight.T, gain**2 * np.eye(fan_in), atol=1e-10)


def test_orthogonal_matrices_are_not_biased_towards_positive_diagonals():
    """Without the sign correction, Q from QR has a systematically signed diagonal."""
    tg.set_default_dtype("float64")
    diagonals = np.array([np.diag(init.orthogonal((3, 3), rng=seed)) for seed in range(400)])
    assert np.abs((diagonals > 0).mean(axis=0) - 0.5).max() < 0.1


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.data())
def test_sparse_gives_each_output_unit_exactly_k_nonzero_incoming_weights(fan_in, fan_out, data):
    k = data.draw(st.integers(1, fan_in))
    weight = init.sparse((fan_in, fan_out), rng=fan_in + fan_out, k=k)
    np.testing.assert_array_equal((weight != 0).sum(axis=0), np.full(fan_out, k))


def test_sparse_draws_vary_between_units_and_reject_impossible_k():
    weight = init.sparse((50, 20), rng=0, k=5)
    assert len({tuple(np.flatnonzero(weight[:, j])) for j in range(20)}) > 1
    with pytest.raises(ValueError, match="k must lie in"):
        init.sparse((4, 3), k=5)


def test_zeros_and_constant():
    np.testing.assert_array_equal(init.zeros((2, 3)), np.zeros((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(init.constant((2,), value=0.5, dtype="float64"), [0.5, 0.5])


def test_initializers_follow_the_default_dtype_and_reject_bad_shapes():
    tg.set_default_dtype("float64")
    assert init.he_normal((3, 2)).dtype == np.float64
    assert init.he_normal((3, 2), dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match=r"expects a dense weight shape \(fan_in, fan_out\)"):
        init.glorot_uniform((3,))


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_every_named_initializer_is_reproducible_from_a_seed(name):
    initializer = init.get(name)
    tg.manual_seed(5)
    first = initializer((20, 10))
    tg.manual_seed(5)
    np.testing.assert_array_equal(first, initializer((20, 10)))
    np.testing.assert_array_equal(initializer((20, 10), rng=7), initializer((20, 10), rng=7))


def test_output_bias_makes_softmax_predict_the_class_frequencies():
    labels = np.array([0, 0, 0, 1, 2, 2])
    bias = init.output_bias_from_frequencies(labels, 3, dtype="float64")
    probabilities = np.exp(bias) / np.exp(bias).sum()
    np.testing.assert_allclose(probabilities, [3 / 6, 1 / 6, 2 / 6], rtol=1e-12)
    with pytest.raises(ValueError, match=r"classes \[3\] never occur"):
        init.output_bias_from_frequencies(labels, 4)
    smoothed = init.output_bias_from_frequencies(labels, 4, dtype="float64", pseudo_count=1.0)
    np.testing.assert_allclose(
        np.exp(smoothed) / np.exp(smoothed).sum(), [4 / 10, 2 / 10, 3 / 10, 1 / 10]
    )


def test_relu_bias_is_a_small_positive_constant():
    np.testing.assert_array_equal(init.relu_bias((4,)), np.full(4, 0.1, dtype=np.float32))


def deep_tanh_net(depth, scale):
    def scaled_glorot(shape, rng=None, dtype=None):
        return scale * init.glorot_uniform(shape, rng, dtype)

    layers = [(nn.Linear(32, 32, init=scaled_glorot), nn.Tanh()) for _ in range(depth)]
    return nn.Sequential(*[module for pair in layers for module in pair])


@pytest.mark.parametrize("scale", [0.2, 5.0])
def test_lsuv_brings_a_badly_scaled_deep_net_to_unit_output_scale(scale):
    tg.manual_seed(0)
    model = deep_tanh_net(8, scale)
    batch = tg.randn(256, 32)
    report = init.lsuv(model, batch, target_std=1.0, tol=0.05, max_iter=20)
    assert [entry.name for entry in report] == [f"layers.{2 * i}" for i in range(8)]
    assert abs(report[-1].initial_std - 1.0) > 0.2  # the deep layers started far from unit scale
    outputs = []
    for layer in model.layers[::2]:
        layer.register_forward_hook(
            lambda module, inputs, output: outputs.append(output.numpy().std())
        )
    model(batch)
    np.testing.assert_allclose(outputs, 1.0, atol=0.05)
    np.testing.assert_allclose([entry.final_std for entry in report], outputs, rtol=1e-5)


def test_lsuv_leaves_batch_norm_running_statistics_untouched():
    model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Linear(8, 4))
    before = {name: array.copy() for name, array in model.state_dict().items() if "running" in name}
    init.lsuv(model, tg.randn(64, 8))
    for name, array in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], array)
