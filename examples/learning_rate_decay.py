"""Learning-rate decay for minibatch SGD (§8.3.1, Algorithm 8.1 with ε_k).

A minibatch gradient is noisy and does not vanish at the minimum, so SGD at a constant ε
stops improving at a noise floor whose height grows with ε. Decaying ε lets it go on: the
book's linear schedule ε_k = (1 − k/τ) ε_0 + (k/τ) ε_τ, and the step, exponential and cosine
schedules. The problem is least squares, J(w) = (1/2N) ‖Xw − y‖², with batches of 10, so
the least-squares optimum J* is known exactly and every curve is the excess J(w) − J*.

    python examples/learning_rate_decay.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim  # noqa: E402
from tinygrad_ch8.optim import lr_scheduler  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402

SAMPLES, FEATURES, BATCH, NOISE = 1000, 10, 10, 0.5
INITIAL_LR = 0.05


def make_problem(rng):
    X = rng.standard_normal((SAMPLES, FEATURES))
    y = X @ rng.standard_normal(FEATURES) + NOISE * rng.standard_normal(SAMPLES)
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, y, 0.5 * np.mean((X @ best - y) ** 2)


def train(X, y, initial_lr: float, make_schedule, steps: int, seed: int = 1):
    """Minibatch SGD from w = 0 with the same batches for every schedule; the cost and ε at each step."""
    w = tg.Tensor(np.zeros(FEATURES), requires_grad=True)
    optimizer = optim.SGD([w], lr=initial_lr)
    schedule = make_schedule(optimizer)
    batches = np.random.default_rng(seed).integers(0, SAMPLES, size=(steps, BATCH))
    costs, rates = [], []
    for rows in batches:
        optimizer.zero_grad()
        residual = tg.Tensor(X[rows]) @ w - tg.Tensor(y[rows])
        (0.5 * (residual * residual).mean()).backward()
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if schedule is not None:
            schedule.step()
        costs.append(0.5 * np.mean((X @ w.numpy() - y) ** 2))
    return np.array(costs), rates


def main():
    args = parse_args(__doc__)
    steps = 400 if args.fast else 4000
    X, y, optimum = make_problem(np.random.default_rng(0))
    schedules = {  # name -> (ε_0, the schedule on the optimizer or None for a constant ε)
        f"constant ε = {INITIAL_LR}": (INITIAL_LR, lambda opt: None),
        f"constant ε = {INITIAL_LR / 10:g}": (INITIAL_LR / 10, lambda opt: None),
        "linear decay to ε_0/100 at τ = steps/2 (the book's)": (
            INITIAL_LR,
            lambda opt: lr_scheduler.LinearDecay(opt, tau=steps // 2, final_lr=INITIAL_LR / 100),
        ),
        "step: ×0.3 every steps/6": (
            INITIAL_LR,
            lambda opt: lr_scheduler.StepLR(opt, step_size=steps // 6, gamma=0.3),
        ),
        "exponential to ε_0/100": (
            INITIAL_LR,
            lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1 / steps)),
        ),
        "cosine to 0": (INITIAL_LR, lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=steps)),
    }
    excess, rates = {}, {}
    for name, (initial_lr, make_schedule) in schedules.items():
        costs, rates[name] = train(X, y, initial_lr, make_schedule, steps)
        excess[name] = np.maximum(costs - optimum, 1e-16)

    last = slice(-steps // 10, None)
    print(
        f"least squares, N = {SAMPLES}, {FEATURES} features, batches of {BATCH}, {steps} SGD steps "
        "from w = 0"
    )
    print(f"{'schedule':<55} {'excess J - J* (mean of last 10%)':>33} {'after 10% of steps':>19}")
    for name, values in excess.items():
        print(f"{name:<55} {values[last].mean():>33.2e} {values[steps // 10]:>19.2e}")
    constant = excess[f"constant ε = {INITIAL_LR}"][last].mean()
    small = excess[f"constant ε = {INITIAL_LR / 10:g}"]
    linear = excess["linear decay to ε_0/100 at τ = steps/2 (the book's)"]
    large_early = excess[f"constant ε = {INITIAL_LR}"][steps // 10]
    print(
        f"At constant ε = {INITIAL_LR} SGD hovers at an excess of {constant:.1e}. A 10x smaller constant "
        f"ε ends at {small[last].mean():.1e} and starts slowly ({small[steps // 10]:.1e} "
        f"after 10% of the steps, against {large_early:.1e}); the book's linear "
        f"decay starts as fast and ends at {linear[last].mean():.1e}, "
        f"{constant / linear[last].mean():.0f} times below the constant ε."
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    plot_curves(rates, ylabel="learning rate ε_k", logy=True, ax=left, title="the schedules")
    smoothed = {
        name: np.convolve(values, np.ones(20) / 20, mode="valid") for name, values in excess.items()
    }
    plot_curves(
        smoothed,
        ylabel="J(w) − J* (moving average of 20 steps)",
        logy=True,
        ax=right,
        title="excess cost on the full data",
    )
    figure.suptitle("minibatch SGD needs a decaying learning rate to get below its noise floor")
    save_figure(figure, args, "learning_rate_decay")


if __name__ == "__main__":
    main()
