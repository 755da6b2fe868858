"""Reproduces Smith (2017), §3.3 and Fig. 3: one run with a growing learning rate finds a good ε.

Paper: L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017. Its
"LR range test" trains once while the learning rate grows, and reads off the plot of
accuracy against ε where training starts to work and where it breaks down (Fig. 3, CIFAR-10).
The book's advice (§8.3.1, §11.4.1) is to tune ε first, on a grid if need be; the range test
gets there for the price of one run.

What differs here: the bundled digits (1,438 standardized training images) and a 64-64-10
ReLU network trained by plain SGD with minibatches of 16, instead of CIFAR-10 and a CNN; the
rate grows exponentially from 1e-4 to 10 over one pass through the data (90 steps; Smith grew
it linearly over a few epochs; the exponential sweep is the common practice since); the curve
read is the training loss, smoothed by a moving average of its logarithm, not the accuracy;
and the suggestion is computed (``optim.lr_range_test``: the steepest relative drop of the
smoothed loss) instead of read by eye. The reference is a 9-point logarithmic grid of fixed
rates from 0.003 to 3, each trained for 3 epochs (270 steps) and scored by the mean training
loss of its last epoch, each run from the same initialization and minibatch order: the range
test costs 1/27 of the grid search.

Claims (full run): the grid's best rate lies strictly inside the grid, and the range test's
suggestion lies within a factor 3 of it. ``--fast`` runs the range test alone and decides
that the sweep found a falling stretch and stopped at divergence before ``max_lr``.

    python examples/reproduce_smith_lr_range.py [--fast] [--seed N] [--out DIR]
"""

import math
import time

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import Diverged, train_classifier

HIDDEN, BATCH = [64], 16
SWEEP_EPOCHS, GRID_EPOCHS = 1, 3
MIN_LR, MAX_LR = 1e-4, 10.0
GRID = np.geomspace(0.003, 3.0, 9).tolist()
WITHIN_FACTOR = 3.0
DROP_FACTOR = 0.5  # the smoothed loss at the suggestion is at most half of where the sweep began


def network(seed: int) -> nn.Module:
    return nn.mlp(64, HIDDEN, 10, activation="relu", rng=seed)


def minibatches(X, y, epochs: int, seed: int) -> list:
    """The minibatches of ``epochs`` passes, in the order a fixed-rate run with ``seed`` sees them."""
    loader = data.DataLoader(X, y, BATCH, rng=seed)
    return [batch for _ in range(epochs) for batch in loader]


def range_test(X, y, seed: int):
    model = network(seed)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    return optim.lr_range_test(
        optimizer,
        lambda batch: F.cross_entropy(model(batch[0]), batch[1]),
        minibatches(X, y, SWEEP_EPOCHS, seed),
        min_lr=MIN_LR,
        max_lr=MAX_LR,
    )


def final_loss(X, y, lr: float, seed: int) -> float:
    """Mean training loss of the last epoch of a fixed-rate SGD run (inf when it diverges)."""
    model = network(seed)
    try:  # past the stability limit the loss overflows float32 on its way to inf: expected here
        with np.errstate(over="ignore", invalid="ignore"):
            history = train_classifier(
                model,
                optim.SGD(model.parameters(), lr=lr),
                data.DataLoader(X, y, BATCH, rng=seed),
                GRID_EPOCHS,
            )
    except Diverged:
        return math.inf
    return history.epoch_loss[-1]


def plot_results(result, grid_losses, best) -> plt.Figure:
    figure, (sweep_axes, grid_axes) = plt.subplots(1, 2, figsize=(12, 4.4))
    sweep_axes.plot(result.learning_rates, result.losses, alpha=0.4, label="minibatch loss")
    sweep_axes.plot(result.learning_rates, result.smoothed_losses, label="smoothed")
    sweep_axes.axvline(result.suggestion, color="tab:green", linestyle="--", label="suggestion")
    if best is not None:
        sweep_axes.axvline(best, color="black", linestyle=":", label="best fixed rate (grid)")
    sweep_axes.set_xscale("log")
    sweep_axes.set_yscale("log")
    sweep_axes.set_xlabel("learning rate ε (grows each step)")
    sweep_axes.set_ylabel("training cross-entropy")
    sweep_axes.set_title("LR range test: one run")
    if grid_losses is not None:
        finite = [loss if math.isfinite(loss) else np.nan for loss in grid_losses]
        grid_axes.plot(GRID, finite, marker="o", label=f"fixed ε, {GRID_EPOCHS} epochs")
        grid_axes.axvline(result.suggestion, color="tab:green", linestyle="--", label="suggestion")
        grid_axes.set_xscale("log")
        grid_axes.set_yscale("log")
        grid_axes.legend(fontsize="small")
    else:
        grid_axes.text(0.5, 0.5, "grid search: full run only", ha="center", va="center")
    grid_axes.set_xlabel("learning rate ε")
    grid_axes.set_ylabel("mean training loss, last epoch")
    grid_axes.set_title("9 fixed rates: nine runs")
    for ax in (sweep_axes, grid_axes):
        ax.grid(alpha=0.3, which="both")
    sweep_axes.legend(fontsize="small")
    figure.suptitle("Smith (2017), LR range test, on the digits (64-64-10 ReLU, SGD, batch 16)")
    figure.tight_layout()
    return figure


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.manual_seed(args.seed)
    X, y = data.load_digits("train")
    (X,) = data.standardize(X)

    start = time.perf_counter()
    result = range_test(X, y, args.seed)
    sweep_seconds = time.perf_counter() - start
    steps_planned = len(minibatches(X, y, SWEEP_EPOCHS, args.seed))
    print(
        f"range test: {len(result.learning_rates)} of {steps_planned} steps in "
        f"{sweep_seconds:.1f} s, "
        f"ε from {result.learning_rates[0]:.1e} to {result.learning_rates[-1]:.2f}; "
        f"suggestion ε = {result.suggestion:.3g}"
    )
    at_suggestion = result.smoothed_losses[result.learning_rates.index(result.suggestion)]
    claims.check(
        "sweep_falls_then_diverges",
        f"smoothed loss {result.smoothed_losses[0]:.3f} at the start -> {at_suggestion:.3f} at the "
        f"suggestion (need ≤ {DROP_FACTOR} ×), and the sweep stopped at divergence at ε = "
        f"{result.learning_rates[-1]:.2f} < max_lr {MAX_LR:g}",
        at_suggestion <= DROP_FACTOR * result.smoothed_losses[0]
        and len(result.learning_rates) < steps_planned,
    )

    grid_losses, best = None, None
    if not claims.needs_full_run(
        "suggestion_near_best", f"suggestion within {WITHIN_FACTOR:g}× of the grid's best rate"
    ):
        start = time.perf_counter()
        grid_losses = [final_loss(X, y, lr, args.seed) for lr in GRID]
        print(
            f"grid: {len(GRID)} runs of {GRID_EPOCHS * steps_planned} steps in "
            f"{time.perf_counter() - start:.1f} s; "
            "final losses "
            + ", ".join(f"{lr:.3g}: {loss:.3g}" for lr, loss in zip(GRID, grid_losses, strict=True))
        )
        best = best_on_grid(claims, "fixed_rate", GRID, grid_losses)
        ratio = result.suggestion / best
        claims.check(
            "suggestion_near_best",
            f"suggestion {result.suggestion:.3g} vs best fixed rate {best:.3g}: ratio {ratio:.2f} "
            f"(need within [1/{WITHIN_FACTOR:g}, {WITHIN_FACTOR:g}]), for "
            f"1/{len(GRID) * GRID_EPOCHS // SWEEP_EPOCHS} of the grid's steps",
            1 / WITHIN_FACTOR <= ratio <= WITHIN_FACTOR,
        )
    save_figure(plot_results(result, grid_losses, best), args, "smith_lr_range")
    claims.finish()


if __name__ == "__main__":
    main()
