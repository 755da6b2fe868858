"""Polyak averaging: both averages against their formulas, and the swap restoring live weights exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn, optim

finite = st.floats(-1e3, 1e3, allow_nan=False)


def visit(averaging, tensor, values):
    """Set ``tensor`` to each of ``values`` in turn (as an optimizer would) and update the average."""
    for value in values:
        tensor.data[...] = value
        averaging.update()


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 3), elements=finite))
def test_uniform_average_is_the_mean_of_the_visited_points(points):
    theta = tg.Tensor(np.zeros(3), requires_grad=True)
    averaging = optim.PolyakAveraging([theta])
    visit(averaging, theta, points)
    with averaging.swapped():
        np.testing.assert_allclose(theta.numpy(), points.mean(axis=0), rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 3), elements=finite), st.floats(0.0, 0.999))
def test_exponential_average_follows_its_recursion(points, decay):
    theta = tg.Tensor(np.zeros(3), requires_grad=True)
    averaging = optim.PolyakAveraging([theta], decay=decay)
    visit(averaging, theta, points)
    expected = points[0]
    for point in points[1:]:
        expected = decay * expected + (1 - decay) * point
    with averaging.swapped():
        np.testing.assert_allclose(theta.numpy(), expected, rtol=1e-12, atol=1e-9)


def test_swap_restores_the_live_weights_exactly_also_after_an_exception():
    theta = tg.Tensor(np.array([0.1, 0.2, 0.3]), requires_grad=True)
    storage = theta.data
    averaging = optim.PolyakAveraging([theta], decay=0.5)
    visit(averaging, theta, [np.array([1.0, 2.0, 3.0]), np.array([1 / 3, np.pi, -7.1])])
    live = theta.numpy().copy()
    with averaging.swapped():
        assert not np.array_equal(theta.numpy(), live)
    np.testing.assert_array_equal(theta.numpy(), live)
    with pytest.raises(KeyError), averaging.swapped():
        raise KeyError("evaluation failed")
    np.testing.assert_array_equal(theta.numpy(), live)
    assert theta.data is storage  # written in place: optimizers and modules keep their references


def test_averaging_never_changes_the_trajectory():
    theta = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    plain = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    averaged_opt, plain_opt = optim.SGD([theta], lr=0.3), optim.SGD([plain], lr=0.3)
    averaging = optim.PolyakAveraging([theta])
    for _ in range(5):
        for tensor, optimizer in ((theta, averaged_opt), (plain, plain_opt)):
            optimizer.zero_grad()
            (tensor**4).sum().backward()
            optimizer.step()
        averaging.update()
        with averaging.swapped():
            pass
    np.testing.assert_array_equal(theta.numpy(), plain.numpy())


def test_the_average_of_an_oscillation_sits_near_the_bottom():
    """SGD with ε = 1.98 on f = θ²/2 jumps across the valley, θ(t) = (−0.98)^t θ(0); the mean sits near 0."""
    theta = tg.Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([theta], lr=1.98)
    averaging = optim.PolyakAveraging([theta])
    for _ in range(40):
        optimizer.zero_grad()
        (0.5 * theta * theta).sum().backward()
        optimizer.step()
        averaging.update()
    visited = [(-0.98) ** t for t in range(1, 41)]
    assert theta.item() == pytest.approx(visited[-1], rel=1e-12)
    with averaging.swapped():
        assert theta.item() == pytest.approx(np.mean(visited), rel=1e-12)
        assert abs(theta.item()) < 0.02 < 0.4 < abs(visited[-1])


def test_a_module_averages_and_swaps_its_batchnorm_buffers():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    batchnorm = model.modules()[-1]
    whole_model = optim.PolyakAveraging(model)
    parameters_only = optim.PolyakAveraging(model.parameters())
    rng = np.random.default_rng(0)
    running_means = []
    for _ in range(3):
        model(
            tg.Tensor(rng.normal(size=(8, 3)) + 5.0)
        )  # training mode: the running statistics move
        running_means.append(batchnorm.running_mean.numpy().copy())
        whole_model.update()
        parameters_only.update()
    live = batchnorm.running_mean.numpy().copy()
    with whole_model.swapped():
        np.testing.assert_allclose(
            batchnorm.running_mean.numpy(), np.mean(running_means, axis=0), rtol=1e-6
        )
    np.testing.assert_array_equal(batchnorm.running_mean.numpy(), live)
    with parameters_only.swapped():
        np.testing.assert_array_equal(batchnorm.running_mean.numpy(), live)
    assert len(whole_model.tensors) == len(model.parameters()) + len(model.buffers())


def test_state_dict_round_trip():
    theta = tg.Tensor(np.zeros(2), requires_grad=True)
    averaging = optim.PolyakAveraging([theta])
    visit(averaging, theta, [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    saved = averaging.state_dict()
    theta.data[...] = 100.0
    averaging.update()
    restored = optim.PolyakAveraging([theta])
    restored.load_state_dict(saved)
    with restored.swapped():
        np.testing.assert_array_equal(theta.numpy(), [2.0, 3.0])


def test_misuse_raises():
    theta = tg.Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="decay"):
        optim.PolyakAveraging([theta], decay=1.0)
    with pytest.raises(RuntimeError, match="update"), optim.PolyakAveraging([theta]).swapped():
        pass
