"""Momentum and Nesterov momentum against plain gradient descent (§8.3.2-8.3.3, Algorithms 8.1-8.3).

On an ill-conditioned quadratic J(θ) = ½ θᵀHθ with curvatures 1 and 50 (condition number
50), gradient descent must take ε < 2/50 for the steep direction and then crawls along the
shallow one: its error shrinks by about 1 − ε·1 per step. Momentum (v ← αv − εg, θ ← θ + v)
accumulates the consistent shallow-direction gradient and damps the oscillation across the
valley; Nesterov's look-ahead gradient at θ + αv corrects the velocity a step earlier.
With the optimal settings of the theory, momentum's rate is (√κ − 1)/(√κ + 1) against
(κ − 1)/(κ + 1) for gradient descent. The example also checks that ``optim.SGD``, which
writes momentum in PyTorch's form, follows the book's Algorithm 8.2 exactly.

Every method's ε is tuned on a log grid (fewest steps to J < 1e-8), so each is at its best.

What the learner should see: gradient descent creeping along the valley floor, momentum
overshooting and spiralling in, and the theory's heavy ball reaching 1e-8 several times
sooner; the right panel's straight lines on a log scale are the rates.

Claims (``--seed`` draws the start, θ1 in −[3, 4.5], θ2 in ±[0.5, 1]):
- ``gd_lr_tuned``, ``momentum_lr_tuned``, ``nesterov_lr_tuned``, ``heavy_ball_lr_tuned``: each
  best ε lies strictly inside its grid.
- ``heavy_ball_beats_gd``: gradient descent needs ≥ half the theory's ratio
  ln((√κ−1)/(√κ+1)) / ln((κ−1)/(κ+1)) as many steps as the heavy ball.
- ``momentum_09_beats_gd``: with α = 0.9, momentum and Nesterov both need fewer steps than
  gradient descent.
- ``sgd_is_algorithm_8_2``: optim.SGD's path equals Algorithm 8.2's to ≤ 1e-12.

    python examples/momentum_and_nesterov.py [--fast] [--seed N] [--out DIR]
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim
from tinygrad_ch8.viz import plot_contour_paths, plot_curves

CURVATURES = np.array([1.0, 50.0])
CONDITION = CURVATURES.max() / CURVATURES.min()
START = [-4.0, 1.0]  # replaced by a start drawn from --seed
TOLERANCE = 1e-8


def run(steps: int, **settings) -> tuple[np.ndarray, np.ndarray]:
    """``optim.SGD`` on J from START; the path and J at every step."""
    theta = tg.Tensor(START, requires_grad=True, dtype="float64")
    optimizer = optim.SGD([theta], **settings)
    curvatures = tg.Tensor(CURVATURES)
    path = [theta.numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * curvatures * theta * theta).sum().backward()
        optimizer.step()
        path.append(theta.numpy().copy())
        if np.abs(path[-1]).max() > 1e6:  # diverged: an ε above the grid's stable range
            break
    path = np.array(path)
    return path, 0.5 * (CURVATURES * path**2).sum(axis=1)


def book_momentum(steps: int, eps: float, alpha: float) -> np.ndarray:
    """Algorithm 8.2 as printed: v ← αv − εg; θ ← θ + v."""
    theta, velocity, path = np.array(START), np.zeros(2), [np.array(START)]
    for _ in range(steps):
        velocity = alpha * velocity - eps * CURVATURES * theta
        theta = theta + velocity
        path.append(theta)
    return np.array(path)


def steps_to(values: np.ndarray) -> float:
    below = np.flatnonzero(values < TOLERANCE)
    return int(below[0]) if below.size else math.inf


def tuned(claims, name: str, centre: float, steps: int, **settings):
    """The run with the fewest steps to J < TOLERANCE over a log grid of lr around ``centre``."""
    grid = [centre * 2.0**k for k in (-1, -0.5, 0, 0.5, 1)]
    runs = [run(steps, lr=lr, **settings) for lr in grid]
    best = best_on_grid(claims, name, grid, [steps_to(values) for _, values in runs])
    return best, runs[grid.index(best)]


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    steps = 300 if args.fast else 400
    rng = np.random.default_rng(args.seed)
    START[:] = [-rng.uniform(3.0, 4.5), rng.choice([-1, 1]) * rng.uniform(0.5, 1.0)]
    # the theory's best settings for a quadratic with curvatures in [μ, L] (Polyak's heavy ball)
    mu, lipschitz = CURVATURES.min(), CURVATURES.max()
    heavy_ball_lr = 4 / (np.sqrt(mu) + np.sqrt(lipschitz)) ** 2
    heavy_ball_momentum = ((np.sqrt(CONDITION) - 1) / (np.sqrt(CONDITION) + 1)) ** 2
    print(f"J = ½(θ1² + 50 θ2²) from {np.round(START, 3)}; steps until J < {TOLERANCE:g}")
    gd_lr, gd = tuned(claims, "gd_lr", 2 / (mu + lipschitz), steps)
    momentum_lr, momentum = tuned(claims, "momentum_lr", 1 / lipschitz, steps, momentum=0.9)
    nesterov_lr, nesterov = tuned(
        claims, "nesterov_lr", 1 / lipschitz, steps, momentum=0.9, nesterov=True
    )
    ball_lr, ball = tuned(
        claims, "heavy_ball_lr", heavy_ball_lr, steps, momentum=heavy_ball_momentum
    )
    runs = {
        f"gradient descent, ε = {gd_lr:.3g}": gd,
        f"momentum α = 0.9, ε = {momentum_lr:.3g}": momentum,
        f"Nesterov α = 0.9, ε = {nesterov_lr:.3g}": nesterov,
        f"momentum α = {heavy_ball_momentum:.3f}, ε = {ball_lr:.3g} (theory's)": ball,
    }
    counts = {name: steps_to(values) for name, (_, values) in runs.items()}
    for name, count in counts.items():
        print(f"  {name:<45} {count:>6} steps (each lr tuned on a log grid)")
    rate_gd = (CONDITION - 1) / (CONDITION + 1)
    rate_momentum = (np.sqrt(CONDITION) - 1) / (np.sqrt(CONDITION) + 1)
    predicted = np.log(rate_momentum) / np.log(rate_gd)
    gd_steps, ball_steps = steps_to(gd[1]), steps_to(ball[1])
    claims.check(
        "heavy_ball_beats_gd",
        f"tuned gradient descent took {gd_steps} steps, momentum with the theory's α "
        f"{ball_steps}: {gd_steps / ball_steps:.1f}x fewer; theory (ln {rate_momentum:.3f} / "
        f"ln {rate_gd:.3f}) {predicted:.1f}x (need ≥ half of it)",
        gd_steps / ball_steps >= predicted / 2,
    )
    slowest = max(steps_to(momentum[1]), steps_to(nesterov[1]))
    claims.check(
        "momentum_09_beats_gd",
        f"with α = 0.9 and a tuned ε, momentum took {steps_to(momentum[1])} steps and Nesterov "
        f"{steps_to(nesterov[1])}, gradient descent {gd_steps} (need both fewer)",
        slowest < gd_steps,
    )

    ours, _ = run(steps, lr=1 / lipschitz, momentum=0.9)
    book = book_momentum(steps, 1 / lipschitz, 0.9)
    difference = np.abs(ours - book).max()
    claims.check(
        "sgd_is_algorithm_8_2",
        f"optim.SGD (b ← μb + g, θ ← θ − εb) against Algorithm 8.2 (v ← αv − εg, θ ← θ + v): "
        f"largest difference over {steps} steps {difference:.1e} (need ≤ 1e-12)",
        difference <= 1e-12,
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), layout="constrained")
    shown = 60
    shown_paths = {name: path[: shown + 1] for name, (path, _) in runs.items()}
    points = np.concatenate(list(shown_paths.values()))
    margin = 0.1 * (points.max(axis=0) - points.min(axis=0))
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    plot_contour_paths(
        lambda X, Y: 0.5 * (X**2 + 50 * Y**2),
        shown_paths,
        xlim=(low[0], high[0]),
        ylim=(low[1], high[1]),
        ax=left,
        title=f"the first {shown} steps (window holds every path)",
    )
    left.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12))
    plot_curves(
        {name: np.maximum(values, 1e-30) for name, (_, values) in runs.items()},
        ylabel="J(θ)",
        logy=True,
        ax=right,
        title="cost against steps (each ε tuned)",
    )
    right.set_ylim(1e-20, None)  # the theory's heavy ball reaches round-off far below
    right.axhline(TOLERANCE, color="tab:gray", linewidth=0.8, linestyle="--")
    right.legend(loc="lower left", fontsize="small")
    figure.suptitle("momentum on an ill-conditioned quadratic (condition number 50)")
    save_figure(figure, args, "momentum_and_nesterov")
    claims.finish()


if __name__ == "__main__":
    main()
