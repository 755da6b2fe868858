"""Polyak averaging on an optimizer oscillating across a valley (§8.7.3).

J(θ) = ½(θ1² + 100 θ2²) is a valley along θ1 with steep walls in θ2. SGD with ε = 0.0195
(just under the stability limit 2/100) multiplies θ2 by 1 − 100ε = −0.95 each step, so it
jumps from wall to wall; its gradients also carry noise, as minibatch gradients do, so at a
constant ε it never settles. The average of the points it visits sits near the valley
floor: the uniform θ̂ = (1/t)Σθ(i) (started after a burn-in, as the early points are far
away) and the exponential θ̂ ← αθ̂ + (1 − α)θ. The optimizer's trajectory is untouched;
the averaged weights are swapped in only to be evaluated.

    python examples/polyak_averaging.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim  # noqa: E402
from tinygrad_ch8.viz import plot_contour_paths, plot_curves  # noqa: E402

CURVATURES = np.array([1.0, 100.0])
START = [3.0, 0.8]
LEARNING_RATE = 0.0195
NOISE = 2.0  # standard deviation of the gradient noise in each coordinate
EMA_DECAY = 0.95


def cost(theta) -> float:
    return float(0.5 * (CURVATURES * np.asarray(theta) ** 2).sum())


def main():
    args = parse_args(__doc__)
    steps = 300 if args.fast else 2000
    burn_in = steps // 4
    rng = np.random.default_rng(0)

    theta = tg.Tensor(START, requires_grad=True, dtype="float64")
    optimizer = optim.SGD([theta], lr=LEARNING_RATE)
    exponential = optim.PolyakAveraging([theta], decay=EMA_DECAY)
    uniform = None  # made after the burn-in: θ̂ averages θ(burn_in + 1), ..., θ(t)
    curvatures = tg.Tensor(CURVATURES)
    paths = {
        "SGD (live θ)": [np.array(START)],
        f"exponential average, α = {EMA_DECAY}": [np.array(START)],
    }
    uniform_path, losses = [], {name: [cost(START)] for name in paths}
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        (0.5 * curvatures * theta * theta).sum().backward()
        theta.grad = theta.grad + tg.Tensor(
            NOISE * rng.standard_normal(2)
        )  # a noisy gradient estimate
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
    live, averaged = np.mean(losses["SGD (live θ)"][window]), np.mean(losses[uniform_name][window])
    widest = np.abs(np.array(paths["SGD (live θ)"])[window, 1]).max()
    print(
        f"The live iterate keeps jumping across the valley (|θ2| up to {widest:.2f}); evaluated at the "
        f"uniform average the cost is {live / averaged:.0f} times lower, and the optimizer's own path "
        "did not change."
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
        "Polyak averaging: the average of an oscillating, noisy SGD sits near the valley floor"
    )
    save_figure(figure, args, "polyak_averaging")


if __name__ == "__main__":
    main()
