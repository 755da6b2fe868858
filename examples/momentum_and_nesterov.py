"""Momentum and Nesterov momentum against plain gradient descent (§8.3.2-8.3.3, Algorithms 8.1-8.3).

On an ill-conditioned quadratic J(θ) = ½ θᵀHθ with curvatures 1 and 50 (condition number
50), gradient descent must take ε < 2/50 for the steep direction and then crawls along the
shallow one: its error shrinks by about 1 − ε·1 per step. Momentum (v ← αv − εg, θ ← θ + v)
accumulates the consistent shallow-direction gradient and damps the oscillation across the
valley; Nesterov's look-ahead gradient at θ + αv corrects the velocity a step earlier.
With the optimal settings of the theory, momentum's rate is (√κ − 1)/(√κ + 1) against
(κ − 1)/(κ + 1) for gradient descent. The example also checks that ``optim.SGD``, which
writes momentum in PyTorch's form, follows the book's Algorithm 8.2 exactly.

    python examples/momentum_and_nesterov.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim  # noqa: E402
from tinygrad_ch8.viz import plot_contour_paths, plot_curves  # noqa: E402

CURVATURES = np.array([1.0, 50.0])
CONDITION = CURVATURES.max() / CURVATURES.min()
START = [-4.0, 1.0]
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


def steps_to(values: np.ndarray) -> str:
    below = np.flatnonzero(values < TOLERANCE)
    return str(below[0]) if below.size else f">{len(values) - 1}"


def main():
    args = parse_args(__doc__)
    steps = 150 if args.fast else 600
    # the theory's best settings for a quadratic with curvatures in [μ, L] (Polyak's heavy ball)
    mu, lipschitz = CURVATURES.min(), CURVATURES.max()
    gd_lr = 2 / (mu + lipschitz)
    heavy_ball_lr = 4 / (np.sqrt(mu) + np.sqrt(lipschitz)) ** 2
    heavy_ball_momentum = ((np.sqrt(CONDITION) - 1) / (np.sqrt(CONDITION) + 1)) ** 2
    runs = {
        f"gradient descent, ε = {gd_lr:.3g}": run(steps, lr=gd_lr),
        f"momentum α = 0.9, ε = {1 / lipschitz:.3g}": run(steps, lr=1 / lipschitz, momentum=0.9),
        f"Nesterov α = 0.9, ε = {1 / lipschitz:.3g}": run(
            steps, lr=1 / lipschitz, momentum=0.9, nesterov=True
        ),
        f"momentum α = {heavy_ball_momentum:.3f}, ε = {heavy_ball_lr:.3g} (tuned)": run(
            steps, lr=heavy_ball_lr, momentum=heavy_ball_momentum
        ),
    }
    print(f"J = ½(θ1² + 50 θ2²) from {START}; steps until J < {TOLERANCE:g}")
    for name, (_, values) in runs.items():
        print(f"  {name:<45} {steps_to(values):>6} steps, final J = {values[-1]:.2e}")
    rate_gd = (CONDITION - 1) / (CONDITION + 1)
    rate_momentum = (np.sqrt(CONDITION) - 1) / (np.sqrt(CONDITION) + 1)
    print(
        f"Theory: gradient descent's error shrinks by {rate_gd:.3f} per step, tuned momentum's by "
        f"{rate_momentum:.3f}: about {np.log(rate_momentum) / np.log(rate_gd):.1f} times fewer steps."
    )

    ours, _ = run(steps, lr=1 / lipschitz, momentum=0.9)
    book = book_momentum(steps, 1 / lipschitz, 0.9)
    print(
        f"optim.SGD (b ← μb + g, θ ← θ − εb) against Algorithm 8.2 (v ← αv − εg, θ ← θ + v): largest "
        f"difference over {steps} steps {np.abs(ours - book).max():.1e}: same path at constant ε."
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    shown = 60
    plot_contour_paths(
        lambda X, Y: 0.5 * (X**2 + 50 * Y**2),
        {name: path[: shown + 1] for name, (path, _) in runs.items()},
        xlim=(-4.5, 1.5),
        ylim=(-1.2, 1.2),
        ax=left,
        title=f"the first {shown} steps",
    )
    plot_curves(
        {name: np.maximum(values, 1e-30) for name, (_, values) in runs.items()},
        ylabel="J(θ)",
        logy=True,
        ax=right,
        title="cost against steps",
    )
    figure.suptitle("momentum on an ill-conditioned quadratic (condition number 50)")
    save_figure(figure, args, "momentum_and_nesterov")


if __name__ == "__main__":
    main()
