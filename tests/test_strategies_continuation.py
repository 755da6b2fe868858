"""Continuation: the σ schedule, the sampled blur against hand computations, and the basin it ends in."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8.strategies import blurred_objective, continuation, geometric_sigmas


def two_wells(points):
    """J(θ) = θ²/20 − exp(−(θ − 3)²/0.1) − exp(−θ²/0.5): a narrow local well at 3, a wider global one at 0."""
    well = lambda centre, width: (-((points - centre) ** 2) / width).exp()
    return (0.05 * points * points - well(3.0, 0.1) - well(0.0, 0.5)).sum(axis=1)


def test_geometric_sigmas_shrink_by_a_constant_ratio_and_end_at_zero():
    sigmas = geometric_sigmas(2.0, 0.125, 5)
    np.testing.assert_allclose(sigmas, [2.0, 1.0, 0.5, 0.25, 0.125, 0.0])
    assert geometric_sigmas(1.0, 0.5, 2, final_zero=False) == [1.0, 0.5]
    with pytest.raises(ValueError):
        geometric_sigmas(0.1, 1.0, 3)


def test_the_sampled_blur_of_a_square_matches_its_hand_expansion(device):
    # (1/m) Σ (θ + σε_j)² = θ² + 2θσ mean(ε) + σ² mean(ε²), and its derivative 2θ + 2σ mean(ε)
    noise = np.random.default_rng(0).standard_normal((7, 1))
    theta = tg.Tensor([1.5], dtype="float64", device=device, requires_grad=True)
    sigma = 0.3
    square = lambda p: (p * p).sum(axis=1)
    value = blurred_objective(square, theta, sigma, tg.Tensor(noise, device=device).data)
    (g,) = tg.grad(value, theta)
    mean, mean_square = noise.mean(), (noise**2).mean()
    assert value.item() == pytest.approx(
        1.5**2 + 2 * 1.5 * sigma * mean + sigma**2 * mean_square, rel=1e-12
    )
    assert g.item() == pytest.approx(2 * 1.5 + 2 * sigma * mean, rel=1e-12)


def test_sigma_zero_is_the_objective_itself():
    theta = tg.Tensor([2.5], dtype="float64")
    expected = two_wells(theta.reshape(1, 1)).item()
    assert blurred_objective(two_wells, theta, 0.0, None).item() == pytest.approx(expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_stages_chain_and_continuation_reaches_the_global_basin_where_gradient_descent_does_not(
    seed,
):
    grid = np.linspace(-6, 6, 12001)
    values = two_wells(tg.Tensor(grid[:, None])).numpy()
    global_minimizer = grid[values.argmin()]
    assert abs(global_minimizer) < 0.5  # the deeper well is the one at 0 (checked, not assumed)

    sigmas = geometric_sigmas(2.0, 0.1, 5)
    start = np.array([3.0])
    result = continuation(two_wells, start, sigmas, n_steps=200, lr=0.05, rng=seed)
    assert result.sigmas == sigmas
    np.testing.assert_array_equal(result.stage_starts[0], start)
    for previous_end, next_start in zip(
        result.stage_ends[:-1], result.stage_starts[1:], strict=True
    ):
        np.testing.assert_array_equal(previous_end, next_start)
    assert result.path.shape == (1 + len(sigmas) * 200, 1)
    assert result.x[0] == pytest.approx(global_minimizer, abs=1e-3)

    plain = continuation(two_wells, start, [0.0], n_steps=len(sigmas) * 200, lr=0.05)
    assert (
        abs(plain.x[0] - 3.0) < 0.1
    )  # plain gradient descent stays in the local well it started in
    assert result.values[-1] < plain.values[-1] - 0.4
