"""optim.lr_range_test (Smith 2017): on a quadratic its suggestion is the best fixed step 1/λ."""

import math

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim

CURVATURE = 4.0  # J(θ) = ½λθ²: gradient descent's best fixed step is 1/λ = 0.25 (one step to 0)


def quadratic_sweep(smoothing, momentum=0.0, batches=200):
    tg.set_default_dtype("float64")
    theta = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    optimizer = optim.SGD([theta], lr=0.5, momentum=momentum)
    result = optim.lr_range_test(
        optimizer,
        lambda batch: (theta * theta).sum() * (CURVATURE / 2),
        range(batches),
        min_lr=1e-3,
        max_lr=10.0,
        smoothing=smoothing,
    )
    return result, theta, optimizer


def test_without_smoothing_the_suggestion_is_the_best_step_to_grid_resolution():
    result, _, _ = quadratic_sweep(smoothing=0.0)
    growth = (10.0 / 1e-3) ** (1 / 199)  # the ratio between neighbouring swept rates
    assert abs(math.log(result.suggestion * CURVATURE)) <= math.log(growth)


def test_with_smoothing_the_suggestion_stays_near_the_best_step():
    result, _, _ = quadratic_sweep(smoothing=0.9)
    assert 1 / CURVATURE <= result.suggestion <= 1.25 / CURVATURE  # the average lags a little


def test_sweep_is_exponential_stops_at_divergence_and_restores_everything():
    result, theta, optimizer = quadratic_sweep(smoothing=0.9, momentum=0.9)
    rates = np.array(result.learning_rates)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (1e4) ** (1 / 199))
    assert rates[0] == 1e-3 and rates[-1] < 10.0  # stopped when the loss blew up
    assert result.smoothed_losses[-1] > 4 * min(result.smoothed_losses)
    assert result.losses[0] == pytest.approx(0.5 * CURVATURE * 5.0)
    np.testing.assert_array_equal(theta.numpy(), [1.0, -2.0])
    assert optimizer.param_groups[0]["lr"] == 0.5 and optimizer.state == {}


def test_bad_arguments_are_refused():
    theta = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="min_lr"):
        optim.lr_range_test(optim.SGD([theta], lr=0.1), lambda b: theta.sum(), range(5), 1.0, 0.1)
    with pytest.raises(ValueError, match="start lower"):  # a loss of 0 ends the sweep at once
        optim.lr_range_test(optim.SGD([theta], lr=0.1), lambda b: theta.sum() * 0, range(5))
