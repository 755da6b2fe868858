"""Coordinate descent on the book's bad case f(x) = (x1 − x2)² + α(x1² + x2²) (§8.7.2).

Minimizing over x1 with x2 fixed gives x1 = x2 / (1 + α): when α is small each variable's best
value is pinned to the other's, so exact coordinate steps creep down the valley x1 ≈ x2 in a
staircase, each sweep shrinking x by only (1 + α)⁻², and the number of steps grows like 1/α.
Gradient descent crawls too, since the Hessian's condition number is κ = (2 + α)/α: with its
best constant step 2/(λ_min + λ_max) it shrinks the error by (κ − 1)/(κ + 1) ≈ 1 − α per step,
about as fast as a coordinate step, and with the common 1/L step about 1.6x as slowly. So on
this problem coordinate descent is not worse than gradient descent: both crawl. Block
coordinate descent with both coordinates in one block is a Newton step on the whole
quadratic and lands on the minimum at once. (f is quadratic, so gradient descent here uses
∇f = Hx with H from ``tg.autograd.hessian``: exact, and fast enough to tune.)

What the learner should see: on the left the coordinate staircase and the gradient zig-zag
both creeping along the valley x1 = x2, the one-block step jumping to 0; on the right straight
lines on a log scale whose slope shrinks with α.

Claims (``--seed`` draws the start, 15° to 30° off the valley x1 = x2 on either side):
- ``gd_lr_alpha_A_tuned`` (A = α with _ for the point): for each α, the gradient descent step with the fewest steps to
  f < 1e-6 lies strictly inside a log grid around 2/(λ_min + λ_max).
- ``cd_steps_grow_like_inverse_alpha``: steps × α changes by less than 1.6x from the largest α to
  the smallest.
- ``cd_matches_tuned_gd``: for each α, coordinate steps / tuned gradient steps is in [0.67, 1.5].
- ``gd_1_over_L_slower``: for each α, steps with lr 1/L / steps with the tuned lr is in
  [1.4, 2.2] (the book's "1/L" baseline makes coordinate descent look better than it is).
- ``one_block_one_step``: one block over both coordinates reaches f < 1e-12 in one step.

    python examples/coordinate_descent.py [--fast] [--seed N] [--out DIR]
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8.strategies import coordinate_descent
from tinygrad_ch8.viz import plot_contour_paths, plot_curves

RADIUS = 2.0
TARGET = 1e-6  # "solved": f below this (f(x0) is about 1)
LR_FACTORS = [2.0**k for k in (-1, -0.5, -0.25, 0, 0.25)]  # × 2/(λ_min + λ_max); the top diverges


def coupled_quadratic(alpha: float):
    return lambda x: (x[0] - x[1]) ** 2 + alpha * (x[0] ** 2 + x[1] ** 2)


def gradient_descent(hessian, x0, lr: float, n_steps: int):
    """x ← x − lr ∇f with ∇f = Hx (f = ½xᵀHx exactly); stops once f < TARGET or f blows up."""
    x, path, values = x0.copy(), [x0.copy()], [0.5 * x0 @ hessian @ x0]
    while len(values) <= n_steps and TARGET <= values[-1] < 1e6:
        x = x - lr * (hessian @ x)
        path.append(x.copy())
        values.append(0.5 * x @ hessian @ x)
    return np.array(path), values


def steps_to_target(values) -> float:
    below = np.flatnonzero(np.asarray(values) < TARGET)
    return int(below[0]) if below.size else math.inf


def main():
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")
    claims = Claims(args.fast)
    alphas = [0.1, 0.03] if args.fast else [0.1, 0.03, 0.01]
    max_steps = 3000
    rng = np.random.default_rng(args.seed)
    # the eigenvectors of H are along 45° and 135°
    # 15° to 30° off the valley x1 = x2, so also ≥ 15° off the coordinate axes: a start on an
    # axis would let the first coordinate step jump almost to the minimum
    offset = rng.choice([-1, 1]) * np.radians(rng.uniform(15, 30))
    angle = np.pi / 4 + offset + rng.integers(2) * np.pi
    start = RADIUS * np.array([np.cos(angle), np.sin(angle)])
    print(
        f"f(x) = (x1 - x2)^2 + α (x1^2 + x2^2) from x0 = {np.round(start, 3).tolist()}; "
        f"steps until f < {TARGET:g}"
    )
    print(
        f"{'α':>7} {'coordinate steps':>17} {'GD tuned lr':>12} {'GD steps':>9} "
        f"{'GD 1/L steps':>13} {'one-block steps':>16}"
    )
    curves, runs, table = {}, {}, {}
    for alpha in alphas:
        f = coupled_quadratic(alpha)
        hessian = tg.autograd.hessian(f, tg.Tensor(start))
        low, high = np.linalg.eigvalsh(hessian)[[0, -1]]
        cyclic = coordinate_descent(f, start, max_sweeps=max_steps // 2, tol=TARGET * 1e-3)
        grid = [factor * 2 / (low + high) for factor in LR_FACTORS]
        gd_runs = [gradient_descent(hessian, start, lr, max_steps) for lr in grid]
        gd_steps = [steps_to_target(values) for _, values in gd_runs]
        best_lr = best_on_grid(
            claims,
            f"gd_lr_alpha_{alpha:g}".replace(".", "_"),
            grid,
            gd_steps,
            what="lr (steps to f < 1e-6)",
        )
        gd_path, gd_values = gd_runs[grid.index(best_lr)]
        _, lipschitz_values = gradient_descent(hessian, start, 1 / high, max_steps)
        block = coordinate_descent(f, start, blocks=[[0, 1]], max_sweeps=5, tol=0.0)
        table[alpha] = (
            steps_to_target(cyclic.values),
            steps_to_target(gd_values),
            steps_to_target(lipschitz_values),
            block.values[1],
        )
        print(
            f"{alpha:>7g} {table[alpha][0]:>17} {best_lr:>12.4f} {table[alpha][1]:>9} "
            f"{table[alpha][2]:>13} {steps_to_target(block.values):>16}"
        )
        curves[f"coordinate descent, α={alpha:g}"] = np.maximum(cyclic.values, 1e-300)
        curves[f"gradient descent (tuned lr), α={alpha:g}"] = gd_values
        runs[alpha] = (cyclic.path, gd_path, block.path)

    scaled = [table[alpha][0] * alpha for alpha in alphas]
    claims.check(
        "cd_steps_grow_like_inverse_alpha",
        "coordinate steps × α: "
        + ", ".join(f"{s:.1f} (α={a:g})" for s, a in zip(scaled, alphas, strict=True))
        + f"; largest/smallest {max(scaled) / min(scaled):.2f} (need < 1.6)",
        max(scaled) / min(scaled) < 1.6,
    )
    cd_ratios = [table[alpha][0] / table[alpha][1] for alpha in alphas]
    claims.check(
        "cd_matches_tuned_gd",
        "coordinate steps / tuned gradient steps: "
        + ", ".join(f"{r:.2f}" for r in cd_ratios)
        + " (need each in [0.67, 1.5])",
        all(0.67 <= r <= 1.5 for r in cd_ratios),
    )
    lipschitz_ratios = [table[alpha][2] / table[alpha][1] for alpha in alphas]
    claims.check(
        "gd_1_over_L_slower",
        "gradient steps with lr 1/L / with the tuned lr: "
        + ", ".join(f"{r:.2f}" for r in lipschitz_ratios)
        + " (need each in [1.4, 2.2])",
        all(1.4 <= r <= 2.2 for r in lipschitz_ratios),
    )
    after_block = [table[alpha][3] for alpha in alphas]
    claims.check(
        "one_block_one_step",
        "f after one step of the block {x1, x2}: "
        + ", ".join(f"{v:.1e}" for v in after_block)
        + " (need each < 1e-12)",
        all(v < 1e-12 for v in after_block),
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    # the largest alpha has the widest stairs: small enough to crawl, large enough to see each step
    shown = alphas[0]
    cyclic_path, gd_path, block_path = runs[shown]
    plot_contour_paths(
        lambda X, Y: (X - Y) ** 2 + shown * (X**2 + Y**2),
        {
            "cyclic coordinate descent": cyclic_path[:61],
            "gradient descent (tuned lr)": gd_path[:61],
            "one block {x1, x2}": block_path[:2],
        },
        xlim=(-RADIUS - 0.3, RADIUS + 0.3),
        ylim=(-RADIUS - 0.3, RADIUS + 0.3),
        ax=left,
        title=f"first 60 steps on (x1 − x2)² + {shown:g}(x1² + x2²)",
    )
    plot_curves(
        curves,
        xlabel="step (one coordinate or one gradient)",
        ylabel="f(x)",
        logy=True,
        ax=right,
        title="f against steps, for each α",
    )
    right.set_ylim(1e-12, 10)
    save_figure(figure, args, "coordinate_descent")
    claims.finish()


if __name__ == "__main__":
    main()
