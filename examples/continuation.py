"""Continuation by Gaussian blurring (§8.7.6): from a smooth objective to a bumpy one, one stage at a time.

J(θ) = θ²/5 − Σ_c exp(−(θ − c)²/0.1), c = −5 … 5, has a well at every integer and its global
minimum at 0. Gradient descent stops in the well it starts in. Continuation minimizes the
blurred objectives J_σ(θ) = E[J(θ + σε)] for σ = 2, 1, 0.5, 0.25, 0.1 and then J itself, each
stage starting where the last one ended: with σ wider than the spacing of the wells they melt
into the bowl θ²/5, whose bottom sits in the global basin; as σ shrinks the wells come back
around the point already found. The blur is estimated by sampling (64 common random numbers
per stage); the closed form is used only to draw the curves.

    python examples/continuation.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

from tinygrad_ch8.strategies import continuation, geometric_sigmas  # noqa: E402

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
    n_steps = 100 if args.fast else 200
    lr = 0.05
    sigmas = geometric_sigmas(2.0, 0.1, 6 if not args.fast else 4)
    starts = [4.7, -3.4] if args.fast else list(np.linspace(-5.5, 5.5, 12))
    print(
        f"J has {len(CENTRES)} wells (global minimum at 0); sigma schedule: "
        + ", ".join(f"{s:.3g}" for s in sigmas)
    )
    print(f"{'start':>7} {'gradient descent ends at':>25} {'continuation ends at':>21}")
    runs = {}
    for start in starts:
        blurred = continuation(many_wells, np.array([start]), sigmas, n_steps=n_steps, lr=lr, rng=0)
        plain = continuation(
            many_wells, np.array([start]), [0.0], n_steps=n_steps * len(sigmas), lr=lr
        )
        runs[start] = (blurred, plain)
        print(f"{start:>7.2f} {plain.x[0]:>25.3f} {blurred.x[0]:>21.3f}")
    in_global_basin = lambda result: abs(result.x[0]) < 0.5
    share_blurred = np.mean([in_global_basin(blurred) for blurred, _ in runs.values()])
    share_plain = np.mean([in_global_basin(plain) for _, plain in runs.values()])
    print(
        f"Ends in the global basin |theta| < 0.5: continuation {share_blurred:.0%} of {len(starts)} "
        f"starts, plain gradient descent {share_plain:.0%} (the same number of gradient steps)."
    )

    shown_start = starts[0]
    blurred, plain = runs[shown_start]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    theta = np.linspace(-6, 6, 2000)
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


if __name__ == "__main__":
    main()
