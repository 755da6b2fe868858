"""Curriculum learning (§8.7.6): easy examples first, against no curriculum and the reverse, on noisy digits.

Each training digit gets a difficulty d ∈ [0, 1] and Gaussian pixel noise of standard deviation
0.8·d, so difficulty means something: a clean digit is easy, a heavily corrupted one is hard.
The test digits are corrupted the same way. One small network (64 → 64 ReLU → 10, SGD) is
trained with four samplers that give the same number of steps: no curriculum (uniform), easy
first with linear pacing ("baby steps", 20% of the data at the first stage, all of it at the
fifth), the stochastic curriculum (20% of every stage drawn from the whole set), and the
anti-curriculum (hardest first). It reports test accuracy against steps, averaged over seeds.

    python examples/curriculum_learning.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import nn, optim  # noqa: E402
from tinygrad_ch8.data import DataLoader, load_digits  # noqa: E402
from tinygrad_ch8.strategies import CurriculumSampler  # noqa: E402
from tinygrad_ch8.training import train_classifier  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402

MAX_NOISE, N_STAGES, BATCH = 0.8, 5, 32
SCHEDULES = {
    "no curriculum": "uniform",
    "easy first (baby steps)": "easy_first",
    "stochastic curriculum": "stochastic",
    "anti-curriculum": "anti",
}


def corrupt(X, rng):
    """X plus pixel noise of std MAX_NOISE·d for a difficulty d ~ U(0, 1) per digit; returns (noisy X, d)."""
    difficulty = rng.uniform(0, 1, len(X))
    noise = rng.standard_normal(X.shape) * (MAX_NOISE * difficulty)[:, None]
    return (X + noise).astype(X.dtype), difficulty


def main():
    args = parse_args(__doc__)
    epochs = N_STAGES + (1 if args.fast else 5)
    seeds = [0] if args.fast else [0, 1, 2]
    X_train, y_train = load_digits("train")
    X_test, y_test = load_digits("test")
    rng = np.random.default_rng(0)
    X_train, difficulty = corrupt(X_train, rng)
    X_test, _ = corrupt(X_test, rng)
    steps_per_epoch = -(-len(X_train) // BATCH)

    curves = {name: np.zeros(epochs) for name in SCHEDULES}
    for seed in seeds:
        for name, schedule in SCHEDULES.items():
            tg.manual_seed(seed)
            model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
            sampler = CurriculumSampler(
                difficulty,
                schedule=schedule,
                n_stages=N_STAGES,
                start_fraction=0.2,
                mix=0.2,
                rng=seed,
            )
            loader = DataLoader(X_train, y_train, batch_size=BATCH, sampler=sampler)
            history = train_classifier(
                model,
                optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                loader,
                epochs,
                test_data=(X_test, y_test),
            )
            curves[name] += np.asarray(history.test_accuracy) / len(seeds)

    steps = steps_per_epoch * np.arange(1, epochs + 1)
    print(
        f"digits with pixel noise of std {MAX_NOISE} x difficulty; {N_STAGES} curriculum stages of one "
        f"epoch ({steps_per_epoch} steps each, all of the data from stage {N_STAGES}), then "
        f"{epochs - N_STAGES} more epochs; mean test accuracy over {len(seeds)} seed(s)"
    )
    print(f"{'schedule':<26}" + "".join(f"{f'step {s}':>10}" for s in steps))
    for name, curve in curves.items():
        print(f"{name:<26}" + "".join(f"{a:>10.3f}" for a in curve))
    first, last = 0, epochs - 1
    final_spread = max(c[last] for c in curves.values()) - min(c[last] for c in curves.values())
    print(
        f"Finding: after the first stage ({steps[first]} steps) easy first has "
        f"{curves['easy first (baby steps)'][first]:.3f}, the stochastic curriculum "
        f"{curves['stochastic curriculum'][first]:.3f}, no curriculum {curves['no curriculum'][first]:.3f} "
        f"and the anti-curriculum {curves['anti-curriculum'][first]:.3f}; after {steps[last]} steps the "
        f"schedules lie within {final_spread:.3f} of each other (best: "
        f"{max(curves, key=lambda name: curves[name][last])})."
    )

    figure = plot_curves(
        curves,
        x=steps,
        xlabel="training step",
        ylabel="test accuracy (noisy digits)",
        title=f"curriculum schedules, mean of {len(seeds)} seed(s)",
    )
    figure.axes[0].axvline(
        steps[N_STAGES - 2], color="tab:gray", linewidth=0.5
    )  # last stage with a pool
    save_figure(figure, args, "curriculum_learning")


if __name__ == "__main__":
    main()
