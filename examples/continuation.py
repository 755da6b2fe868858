"""Continuation by Gaussian blurring (§8.7.6): from a smooth objective to a bumpy one, one stage at a time.

J(θ) = θ²/5 − Σ_c exp(−(θ − c)²/0.1), c = −5 … 5, has a well at every integer and its global
minimum at 0. Gradient descent stops in the well it starts in. Continuation minimizes the
blurred objectives J_σ(θ) = E[J(θ + σε)] for the geometric schedule σ = 2, 1.1, 0.60, 0.33,
0.18, 0.1 (``geometric_sigmas(2.0, 0.1, 6)``) and then J itself (σ = 0), each stage starting
where the last one ended: with σ wider than the spacing of the wells they melt into the bowl
θ²/5, whose bottom sits in the global basin; as σ shrinks the wells come back around the
point already found. Each stage runs 200 steps of ε = 0.05, enough to reach the bottom of
the first bowl from |θ0| = 5.5 (it shrinks θ by 1 − 0.4ε per step). The blur is estimated
by sampling, 256 common random numbers per stage (with 64, the noise of the estimate left
about one start in ten a well short); the closed form is used only to draw the curves and
to locate the minimum of J_σ.

This is the case continuation is made for: the minimum of the most blurred J_σ lies in the
global basin (a claim below checks it). When the global minimum is a narrow well that the
blur erases, the blurred minimum lies elsewhere and continuation misses it: it is a
heuristic, not a guarantee.

What the learner should see: on the left, the blurred curves sharpening from a bowl into the
wells, with each stage's end point moving towards 0; on the right, continuation's J falling
stage by stage below the level where plain gradient descent stays stuck.

Claims (``--seed`` draws the starts, 1 ≤ |θ0| ≤ 5.5, outside the global basin, and the noise):
- ``blurred_minimum_is_global``: the minimum of J_σ for the largest σ lies in |θ| < 0.5.
- ``continuation_finds_global``: continuation ends in the global basin |θ| < 0.5 from every start.
- ``gradient_descent_stays_near_start``: plain gradient descent, with as many steps, ends within
  one well spacing of its start, outside the global basin, from every start.

    python examples/continuation.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

from tinygrad_ch8.strategies import continuation, geometric_sigmas

CENTRES = np.arange(-5.0, 6.0)
WELL_WIDTH = 0.1  # exp(−(θ − c)²/w): a Gaussian well of variance s² = w/2
BOWL = 0.2


def many_wells(points):
    """J at each row of ``points`` (a Tensor (m, 1)): θ²/5 − Σ_c exp(−(θ − c)²/0.1)."""
    offsets = points - CENTRES.astype(
        points.dtype
    )  # (m, 1) − (wells,): every point against every well
    return BOWL * (points * points).sum(axis=1) - (-(offsets * offsets) / WELL_WIDTH).exp().sum(
        axis=1
    )


def blurred_closed_form(theta, sigma: float):
    """J_σ(θ) exactly: θ² → θ² + σ², and a well of variance s² → s/√(s² + σ²) × a well of variance s² + σ²."""
    well_variance = WELL_WIDTH / 2
    spread = well_variance + sigma**2
    wells = np.sqrt(well_variance / spread) * np.exp(
        -((theta[:, None] - CENTRES) ** 2) / (2 * spread)
    )
    return BOWL * (theta**2 + sigma**2) - wells.sum(axis=1)


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    n_steps = 100 if args.fast else 200
    lr = 0.05
    sigmas = geometric_sigmas(2.0, 0.1, 6 if not args.fast else 4)
    rng = np.random.default_rng(args.seed)
    count = 2 if args.fast else 6
    starts = list(rng.choice([-1, 1], count) * rng.uniform(1.0, 5.5, count))
    print(
        f"J has {len(CENTRES)} wells (global minimum at 0); sigma schedule: "
        + ", ".join(f"{s:.3g}" for s in sigmas)
    )
    theta = np.linspace(-6, 6, 2001)
    blurred_minimum = theta[blurred_closed_form(theta, sigmas[0]).argmin()]
    claims.check(
        "blurred_minimum_is_global",
        f"J_σ for σ = {sigmas[0]:g} has its minimum at θ = {blurred_minimum:.3f} (need |θ| < 0.5)",
        abs(blurred_minimum) < 0.5,
    )
    print(f"{'start':>7} {'gradient descent ends at':>25} {'continuation ends at':>21}")
    runs = {}
    for start in starts:
        blurred = continuation(
            many_wells, np.array([start]), sigmas, n_steps=n_steps, lr=lr, n_samples=256, rng=rng
        )
        plain = continuation(
            many_wells, np.array([start]), [0.0], n_steps=n_steps * len(sigmas), lr=lr
        )
        runs[start] = (blurred, plain)
        print(f"{start:>7.2f} {plain.x[0]:>25.3f} {blurred.x[0]:>21.3f}")
    found = sum(abs(blurred.x[0]) < 0.5 for blurred, _ in runs.values())
    claims.check(
        "continuation_finds_global",
        f"continuation ends in the global basin |θ| < 0.5 from {found} of {count} starts (need all)",
        found == count,
    )
    stuck = sum(
        abs(plain.x[0] - start) < 1 and abs(plain.x[0]) >= 0.5 for start, (_, plain) in runs.items()
    )
    claims.check(
        "gradient_descent_stays_near_start",
        f"plain gradient descent ({n_steps * len(sigmas)} steps, as many) ends within 1 of its "
        f"start and outside the global basin from {stuck} of {count} starts (need all)",
        stuck == count,
    )

    shown_start = starts[0]
    blurred, plain = runs[shown_start]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(sigmas)))
    for sigma, end, colour in zip(sigmas, blurred.stage_ends, colours, strict=True):
        left.plot(
            theta,
            blurred_closed_form(theta, sigma),
            color=colour,
            linewidth=1.2 if sigma else 2,
            label=f"J_σ, σ = {sigma:.3g}" if sigma else "J itself (σ = 0)",
        )
        left.plot(end, blurred_closed_form(end, sigma), "o", color=colour, markeredgecolor="black")
    left.plot(
        [shown_start],
        blurred_closed_form(np.array([shown_start]), 0.0),
        "s",
        color="tab:red",
        markersize=9,
        label=f"start θ = {shown_start:g}",
    )
    left.set_xlabel("θ")
    left.set_ylabel("J_σ(θ)")
    left.set_title("blurred objectives and where each stage ended (dots)")
    left.legend(fontsize="small")
    steps = np.arange(len(blurred.values))
    right.plot(steps, blurred.values, label="continuation (J at each iterate)")
    right.plot(np.arange(len(plain.values)), plain.values, label="plain gradient descent")
    for stage in range(1, len(sigmas)):
        right.axvline(stage * n_steps, color="tab:gray", linewidth=0.5)
    right.set_xlabel("gradient step (grey lines: next σ)")
    right.set_ylabel("J(θ)")
    right.set_title(
        f"from θ = {shown_start:g}: continuation ends at J = {blurred.values[-1]:.3f}, "
        f"plain descent at {plain.values[-1]:.3f}"
    )
    right.legend()
    save_figure(figure, args, "continuation")
    claims.finish()


if __name__ == "__main__":
    main()
