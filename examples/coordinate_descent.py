"""Coordinate descent on the book's bad case f(x) = (x1 − x2)² + α(x1² + x2²) (§8.7.2).

Minimizing over x1 with x2 fixed gives x1 = x2 / (1 + α): when α is small each variable's best
value is pinned to the other's, so exact coordinate steps creep down the valley x1 ≈ x2 in a
staircase, each sweep shrinking x by only (1 + α)⁻². Gradient descent (step 1/L) crawls too,
since the Hessian's condition number is (2 + α)/α. Block coordinate descent with both
coordinates in one block is a Newton step on the whole quadratic and lands on the minimum at once.

    python examples/coordinate_descent.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8.strategies import coordinate_descent  # noqa: E402
from tinygrad_ch8.viz import plot_contour_paths, plot_curves  # noqa: E402

START = np.array([2.0, 1.0])
TARGET = 1e-6  # "solved": f below this (f(START) is about 1)


def coupled_quadratic(alpha: float):
    return lambda x: (x[0] - x[1]) ** 2 + alpha * (x[0] ** 2 + x[1] ** 2)


def gradient_descent(f, x0, n_steps: int):
    """x ← x − (1/L)∇f with L the largest eigenvalue of the (constant) Hessian; returns (path, values)."""
    lipschitz = float(np.linalg.eigvalsh(tg.autograd.hessian(f, x0)).max())
    x, path, values = x0.copy(), [x0.copy()], [f(tg.Tensor(x0)).item()]
    for _ in range(n_steps):
        leaf = tg.Tensor(x, requires_grad=True)
        value = f(leaf)
        (g,) = tg.grad(value, leaf)
        x = x - g.numpy() / lipschitz
        path.append(x.copy())
        values.append(f(tg.Tensor(x)).item())
        if values[-1] < TARGET:
            break
    return np.array(path), values


def steps_to_target(values) -> str:
    below = np.flatnonzero(np.asarray(values) < TARGET)
    return str(below[0]) if below.size else f">{len(values) - 1}"


def main():
    args = parse_args(__doc__)
    alphas = [0.1, 0.01] if args.fast else [0.1, 0.01, 0.002]
    max_sweeps = 300 if args.fast else 3000
    print(
        f"f(x) = (x1 - x2)^2 + alpha (x1^2 + x2^2) from x0 = {START.tolist()}; steps until f < {TARGET:g}"
    )
    print(
        f"{'alpha':>7} {'coordinate steps':>17} {'(sweeps)':>9} {'gradient steps':>15} "
        f"{'one-block steps':>16}"
    )
    curves, runs = {}, {}
    for alpha in alphas:
        f = coupled_quadratic(alpha)
        cyclic = coordinate_descent(f, START, max_sweeps=max_sweeps, tol=TARGET * 1e-3)
        gd_path, gd_values = gradient_descent(f, START, n_steps=2 * max_sweeps)
        block = coordinate_descent(f, START, blocks=[[0, 1]], max_sweeps=5, tol=0.0)
        coordinate_steps = steps_to_target(cyclic.values)
        sweeps = f"{int(coordinate_steps) / 2:g}" if coordinate_steps.isdigit() else "-"
        print(
            f"{alpha:>7g} {coordinate_steps:>17} {sweeps:>9} {steps_to_target(gd_values):>15} "
            f"{steps_to_target(block.values):>16}"
        )
        curves[f"coordinate descent, α={alpha:g}"] = np.maximum(cyclic.values, 1e-300)
        curves[f"gradient descent, α={alpha:g}"] = gd_values
        runs[alpha] = (cyclic.path, gd_path, block.path)
    print(
        "Each coordinate step moves x1 only to x2/(1 + alpha): the path is a staircase along x1 = x2 "
        "and the step count grows like 1/alpha (gradient descent's too, about twice as many); one "
        "block over both coordinates (a Newton step on the quadratic) solves it in 1 step for every alpha."
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    # the largest alpha has the widest stairs: small enough to crawl, large enough to see each step
    shown = alphas[0]
    cyclic_path, gd_path, block_path = runs[shown]
    plot_contour_paths(
        lambda X, Y: (X - Y) ** 2 + shown * (X**2 + Y**2),
        {
            "cyclic coordinate descent": cyclic_path[:61],
            "gradient descent (step 1/L)": gd_path[:61],
            "one block {x1, x2}": block_path[:2],
        },
        xlim=(-0.2, 2.2),
        ylim=(-0.2, 1.6),
        ax=left,
        title=f"first 60 steps on (x1 − x2)² + {shown:g}(x1² + x2²)",
    )
    plot_curves(
        curves,
        xlabel="step (one coordinate or one gradient)",
        ylabel="f(x)",
        logy=True,
        ax=right,
        title="f against steps: both crawl when α is small",
    )
    right.set_ylim(1e-12, 10)
    save_figure(figure, args, "coordinate_descent")


if __name__ == "__main__":
    main()
