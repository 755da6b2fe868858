"""Polyak averaging on an optimizer oscillating across a valley (§8.7.3).

J(θ) = ½(θ1² + 100 θ2²) is a valley along θ1 with steep walls in θ2. SGD with ε = 0.0195
(just under the stability limit 2/100) multiplies θ2 by 1 − 100ε = −0.95 each step, so it
jumps from wall to wall; its gradients also carry noise, as minibatch gradients do, so at a
constant ε it never settles. The average of the points it visits sits near the valley
floor: the uniform θ̂ = (1/t)Σθ(i) (started after a burn-in, as the early points are far
away) and the exponential θ̂ ← αθ̂ + (1 − α)θ. The optimizer's trajectory is untouched;
the averaged weights are swapped in only to be evaluated.

This is the convex case, where the book's guarantee for the uniform average holds: on a
non-convex cost the iterates can visit several basins and their uniform average can fall
between them, which is why the book recommends the exponential average there.

What the learner should see: the live θ bouncing between the walls while both averages run
along the valley floor (left), and the cost at the averaged weights an order of magnitude
below the live one (right).

Claims (``--seed`` draws the gradient noise and the start, θ1 in [2, 3.5], θ2 in ±[0.5, 0.9]):
- ``uniform_average_lower``: over the last quarter of the steps, the mean cost at the uniform
  average is ≥ 10x below the live iterate's.
- ``exponential_average_lower``: the same for the exponential average, ≥ 3x.
- ``trajectory_untouched``: the live path is the same (to the last bit) as a run without any
  averaging, with the same noise.

    python examples/polyak_averaging.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim
from tinygrad_ch8.viz import plot_contour_paths, plot_curves

CURVATURES = np.array([1.0, 100.0])
LEARNING_RATE = 0.0195
NOISE = 2.0  # standard deviation of the gradient noise in each coordinate
EMA_DECAY = 0.95


def cost(theta) -> float:
    return float(0.5 * (CURVATURES * np.asarray(theta) ** 2).sum())


def sgd_path(start, noise):
    """The live iterates of noisy SGD from ``start``, with no averaging attached."""
    theta = tg.Tensor(start, requires_grad=True, dtype="float64")
    optimizer = optim.SGD([theta], lr=LEARNING_RATE)
    curvatures = tg.Tensor(CURVATURES)
    live = [np.array(start)]
    for step_noise in noise:
        optimizer.zero_grad()
        (0.5 * curvatures * theta * theta).sum().backward()
        theta.grad = theta.grad + tg.Tensor(step_noise)  # a noisy gradient estimate
        optimizer.step()
        live.append(theta.numpy().copy())
    return np.array(live)


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    steps = 300 if args.fast else 2000
    burn_in = steps // 4
    rng = np.random.default_rng(args.seed)
    start = [rng.uniform(2.0, 3.5), rng.choice([-1, 1]) * rng.uniform(0.5, 0.9)]
    noise = NOISE * rng.standard_normal((steps, 2))

    theta = tg.Tensor(start, requires_grad=True, dtype="float64")
    optimizer = optim.SGD([theta], lr=LEARNING_RATE)
    exponential = optim.PolyakAveraging([theta], decay=EMA_DECAY)
    uniform = None  # made after the burn-in: θ̂ averages θ(burn_in + 1), ..., θ(t)
    curvatures = tg.Tensor(CURVATURES)
    paths = {
        "SGD (live θ)": [np.array(start)],
        f"exponential average, α = {EMA_DECAY}": [np.array(start)],
    }
    uniform_path, losses = [], {name: [cost(start)] for name in paths}
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        (0.5 * curvatures * theta * theta).sum().backward()
        theta.grad = theta.grad + tg.Tensor(noise[step - 1])  # a noisy gradient estimate
        optimizer.step()
        exponential.update()
        if step == burn_in:
            uniform = optim.PolyakAveraging([theta])
        if uniform is not None:
            uniform.update()
        paths["SGD (live θ)"].append(theta.numpy().copy())
        with exponential.swapped():
            paths[f"exponential average, α = {EMA_DECAY}"].append(theta.numpy().copy())
        if uniform is not None:
            with uniform.swapped():
                uniform_path.append(theta.numpy().copy())
        for name, path in paths.items():
            losses[name].append(cost(path[-1]))
    uniform_name = f"uniform average after step {burn_in}"
    paths[uniform_name] = np.array(uniform_path)
    losses[uniform_name] = [cost(point) for point in uniform_path]

    window = slice(-steps // 4, None)  # the last quarter: past the transient
    print(
        f"SGD with ε = {LEARNING_RATE} on J = ½(θ1² + 100 θ2²), gradient noise σ = {NOISE}, {steps} steps"
    )
    print(f"{'weights evaluated':<40} {'final J':>10} {'mean J over the last quarter':>30}")
    for name in paths:
        print(f"{name:<40} {losses[name][-1]:>10.2e} {np.mean(losses[name][window]):>30.2e}")
    live = np.mean(losses["SGD (live θ)"][window])
    uniform_mean = np.mean(losses[uniform_name][window])
    exponential_mean = np.mean(losses[f"exponential average, α = {EMA_DECAY}"][window])
    claims.check(
        "uniform_average_lower",
        f"mean J over the last quarter: live {live:.2e}, uniform average {uniform_mean:.2e}, "
        f"{live / uniform_mean:.0f}x lower (need ≥ 10x)",
        live >= 10 * uniform_mean,
    )
    claims.check(
        "exponential_average_lower",
        f"mean J over the last quarter: exponential average {exponential_mean:.2e}, "
        f"{live / exponential_mean:.1f}x below the live {live:.2e} (need ≥ 3x)",
        live >= 3 * exponential_mean,
    )
    without = sgd_path(start, noise)
    difference = np.abs(without - np.array(paths["SGD (live θ)"])).max()
    claims.check(
        "trajectory_untouched",
        f"the live path differs from a run without averaging by {difference:g} (need 0)",
        difference == 0,
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    shown = slice(0, 120)
    plot_contour_paths(
        lambda X, Y: 0.5 * (X**2 + 100 * Y**2),
        {name: np.array(path)[shown] for name, path in paths.items() if len(path)},
        xlim=(-1.0, 3.5),
        ylim=(-1.0, 1.0),
        ax=left,
        title="the first 120 points: live θ and its averages",
    )
    steps_of = {
        name: np.arange(steps + 1 - len(curve), steps + 1) for name, curve in losses.items()
    }
    plot_curves(
        losses,
        x=steps_of,
        ylabel="J(θ)",
        logy=True,
        ax=right,
        title="cost at the live and at the averaged weights",
    )
    figure.suptitle(
        f"noisy SGD (ε = {LEARNING_RATE}, noise σ = {NOISE}) on J = ½(θ1² + 100 θ2²): "
        "live and averaged weights"
    )
    save_figure(figure, args, "polyak_averaging")
    claims.finish()


if __name__ == "__main__":
    main()
