"""Where continuation fails: a narrow, deep global well that the blur erases (§8.7.6).

Continuation minimizes a sequence of blurred costs J_σ(θ) = E_{ε ~ N(0, σ²)} J(θ + ε), from a
wide blur to none, each from where the last ended (``strategies.continuation``). The book warns
that it is not guaranteed to find the global minimum: the blur favours minima that are wide,
not deep. Blurring a well of depth d and width w with σ ≫ w leaves a dip of depth only about
d · w / σ, so a narrow well, however deep, disappears from the first costs in the sequence and
the path settles in a wide basin instead.

The cost (1-D):  J(θ) = θ²/50 − exp(−θ²/2) − 2 exp(−(θ − 3)²/(2 · 0.05²)),
a wide well at 0 (J ≈ −1) and a narrow well at 3, twice as deep (the global minimum,
J* ≈ −1.82). Continuation runs with σ = 2 → 0.05 (5 geometric stages, then σ = 0), 200
gradient steps of size 0.05 each, from 5 starts drawn uniformly from [−4, 4] with ``--seed``
(the blur's noise too).

What the learner should see: on the left, J and its blurred versions: at σ = 2 the narrow
well is gone and the only minimum is near 0; on the right, every continuation path ends in the
wide well at 0, above the global minimum at 3, while gradient descent on J started inside the
narrow well stays there.

    python examples/continuation_failure.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

from tinygrad_ch8 import strategies

NARROW_CENTRE, NARROW_WIDTH, NARROW_DEPTH = 3.0, 0.05, 2.0
SIGMA_MAX, SIGMA_MIN = 2.0, 0.05


def cost(theta):
    """J at each row of ``theta``, an (m, 1) Tensor (for continuation) or NumPy array; shape (m,)."""
    x = theta[:, 0]
    exp = np.exp if isinstance(x, np.ndarray) else (lambda value: value.exp())
    narrow = exp(-((x - NARROW_CENTRE) ** 2) / (2 * NARROW_WIDTH**2))
    return x * x / 50 - exp(-0.5 * x * x) - NARROW_DEPTH * narrow


def blurred(grid: np.ndarray, sigma: float) -> np.ndarray:
    """J_σ on ``grid`` by quadrature: Σ_k J(θ + ε_k) w_k over 801 points ε_k in ±6σ."""
    if sigma == 0:
        return cost(grid[:, None])
    offsets = np.linspace(-6 * sigma, 6 * sigma, 801)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    weights /= weights.sum()
    points = (grid[:, None] + offsets[None, :]).reshape(-1, 1)
    return cost(points).reshape(len(grid), -1) @ weights


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    rng = np.random.default_rng(args.seed)
    grid = np.linspace(-5.0, 5.0, 20001)
    values = cost(grid[:, None])
    theta_star, j_star = grid[np.argmin(values)], float(values.min())
    coarse = grid[::10]  # the blurred costs are smooth: every 0.005 is enough
    wide_blur = blurred(coarse, SIGMA_MAX)
    blurred_minimum = coarse[np.argmin(wide_blur)]
    local_minimum_near_narrow = bool(
        np.any(
            (np.abs(coarse[1:-1] - NARROW_CENTRE) < 1.0)
            & (wide_blur[1:-1] < wide_blur[:-2])
            & (wide_blur[1:-1] < wide_blur[2:])
        )
    )
    claims.check(
        "global_minimum_is_the_narrow_well",
        f"on a grid of 20001 points J* = {j_star:.3f} at θ = {theta_star:.3f}; wide well "
        f"J(0) = {float(cost(np.zeros((1, 1)))[0]):.3f} (need θ* within 0.05 of {NARROW_CENTRE:g})",
        abs(theta_star - NARROW_CENTRE) < 0.05,
    )
    claims.check(
        "blur_erases_the_narrow_well",
        f"J_σ at σ = {SIGMA_MAX:g} has its minimum at θ = {blurred_minimum:.2f} (need |θ| < 0.5) and "
        f"{'a' if local_minimum_near_narrow else 'no'} local minimum within 1 of the narrow well "
        f"(need none)",
        abs(blurred_minimum) < 0.5 and not local_minimum_near_narrow,
    )

    steps = 40 if args.fast else 200
    starts = rng.uniform(-4.0, 4.0, 2 if args.fast else 5)
    sigmas = strategies.geometric_sigmas(SIGMA_MAX, SIGMA_MIN, 5)
    results = [
        strategies.continuation(cost, [start], sigmas, n_steps=steps, lr=0.05, rng=rng)
        for start in starts
    ]
    ends = np.array([float(result.x[0]) for result in results])
    end_values = cost(ends[:, None])
    claims.check(
        "continuation_misses_the_global_minimum",
        f"from {len(starts)} starts ({', '.join(f'{s:.2f}' for s in starts)}) continuation ends at "
        f"θ = {', '.join(f'{e:.3f}' for e in ends)}, J − J* ≥ {float(end_values.min()) - j_star:.3f} "
        f"(need every end within 0.1 of 0 and J − J* > 0.5)",
        bool(np.all(np.abs(ends) < 0.1) and end_values.min() - j_star > 0.5),
    )
    inside = strategies.continuation(
        cost, [NARROW_CENTRE + rng.uniform(-0.02, 0.02)], [0.0], n_steps=steps, lr=1e-3
    )
    claims.check(
        "descent_inside_the_well_finds_it",
        f"plain gradient descent on J from inside the narrow well ends at θ = "
        f"{float(inside.x[0]):.4f}, J − J* = {float(cost(inside.x[None, :])[0]) - j_star:.1e} "
        f"(need |J − J*| < 1e-3)",
        abs(float(cost(inside.x[None, :])[0]) - j_star) < 1e-3,
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    colours = plt.cm.plasma(np.linspace(0, 0.8, 4))
    for colour, sigma in zip(colours, (SIGMA_MAX, 0.5, 0.1, 0.0), strict=True):
        left.plot(coarse, blurred(coarse, sigma), color=colour, lw=1.2, label=f"J_σ, σ = {sigma:g}")
    left.plot(
        [theta_star], [j_star], "*", ms=12, color="k", label=f"global minimum J* = {j_star:.2f}"
    )
    left.set(title="The cost and its blurred versions", xlabel="θ", ylabel="J_σ(θ)")
    left.legend(loc="lower left", fontsize=8)
    right.plot(grid, values, color="grey", lw=1, label="J")
    for index, result in enumerate(results):
        path = np.asarray(result.path)[:, 0]
        right.plot(
            path,
            cost(path[:, None]),
            ".",
            ms=2,
            color=plt.cm.tab10(index),
            label=f"continuation from {starts[index]:.2f}",
        )
        right.plot([path[-1]], [cost(path[-1:, None])[0]], "o", color=plt.cm.tab10(index))
    right.plot([theta_star], [j_star], "*", ms=12, color="k", label="global minimum")
    right.set(
        title="Continuation paths (σ = 2 → 0) end in the wide well",
        xlabel="θ",
        ylabel="J(θ)",
        ylim=(-2.0, 0.6),
    )
    right.legend(loc="lower left", fontsize=8)
    save_figure(figure, args, "continuation_failure")
    claims.finish()


if __name__ == "__main__":
    main()
