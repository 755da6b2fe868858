"""Sparse initialization (Martens 2010; §8.4): k non-zero incoming weights per unit, whatever the fan-in.

Part 1 feeds unit-variance inputs to one layer of fan-in m = 16 ... 4096 and measures a
unit's total input z = Σ_i w_i x_i under three rules:

* dense N(0, 1) weights: Var z = m, so the total input grows like √m;
* the heuristic U(−1/√m, 1/√m): Var z = 1/3 for every m, but only because every single
  weight shrinks like 1/√m;
* sparse, k = 15 non-zero N(0, 1) weights per unit: Var z = k for every m, and the weights
  that exist keep their size.

Part 2 trains a 64-256-256-256-10 tanh network on the bundled digits from Glorot's rule and
from Martens's sparse rule (k = 15, N(0, 1)), with the same SGD, and prints the training loss
and test accuracy of both: sparse initialization is a strong prior (few, large weights).

    python examples/sparse_initialization.py [--fast] [--out DIR]
"""

import functools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import data, init, nn, optim  # noqa: E402
from tinygrad_ch8.training import train_classifier  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402

K = 15
UNITS = 64


def dense_normal(shape, rng=None, dtype=None):
    """Unscaled N(0, 1) weights: what sparse initialization keeps, but for every input."""
    return tg.randn(*shape, rng=rng, dtype=dtype).numpy()


RULES = {
    "dense N(0, 1)": dense_normal,
    "U(−1/√m, 1/√m)": init.uniform_fan_in,
    f"sparse, k = {K}": functools.partial(init.sparse, k=K),
}


def total_input_statistics(fan_ins, batch: int):
    """For each rule and fan-in: the std of z = x W over a batch, and the mean |w| of the non-zero weights."""
    generator = np.random.default_rng(0)
    input_std = {name: [] for name in RULES}
    weight_size = {name: [] for name in RULES}
    for m in fan_ins:
        x = generator.standard_normal((batch, m)).astype(np.float32)
        for name, rule in RULES.items():
            weight = rule((m, UNITS), rng=1)
            input_std[name].append((x @ weight).std())
            weight_size[name].append(np.abs(weight[weight != 0]).mean())
    return input_std, weight_size


def train_deep_tanh(initializer, epochs: int, train_data, test_data):
    tg.manual_seed(0)
    model = nn.mlp(64, [256, 256, 256], 10, activation="tanh", init=initializer)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = data.DataLoader(*train_data, batch_size=32, rng=0)
    return train_classifier(model, optimizer, loader, epochs, test_data=test_data)


def main():
    args = parse_args(__doc__)
    fan_ins = [16, 64, 256, 1024] if args.fast else [16, 64, 256, 1024, 4096]
    epochs = 1 if args.fast else 8

    input_std, weight_size = total_input_statistics(fan_ins, batch=256)
    for name in RULES:
        stds = ", ".join(f"{s:.2f}" for s in input_std[name])
        sizes = ", ".join(f"{s:.3f}" for s in weight_size[name])
        print(
            f"{name:16s}: std of total input for m = {fan_ins}: {stds}; "
            f"mean |w| of non-zero weights: {sizes}"
        )

    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X_train, X_test = data.standardize(X_train, X_test)
    starts = {
        "Glorot uniform": "glorot_uniform",
        f"sparse, k = {K}, N(0, 1)": RULES[f"sparse, k = {K}"],
    }
    losses, results = {}, {}
    for name, initializer in starts.items():
        history = train_deep_tanh(initializer, epochs, (X_train, y_train), (X_test, y_test))
        losses[name] = history.step_loss
        results[name] = (history.epoch_loss[-1], history.test_accuracy[-1])
        print(
            f"{name:24s}: deep tanh net after {epochs} epoch(s): training loss "
            f"{history.epoch_loss[-1]:.3f}, test accuracy {100 * history.test_accuracy[-1]:.1f}%"
        )
    print(
        f"finding: only the sparse rule keeps both the total input (std ≈ √{K} = {np.sqrt(K):.2f}) and "
        "the size of the individual weights independent of the fan-in m; the dense rules trade one for "
        "the other."
    )
    lower_loss = min(results, key=lambda name: results[name][0])
    more_accurate = max(results, key=lambda name: results[name][1])
    print(
        f"on the digits: the lower training loss came from {lower_loss}, the higher test accuracy from "
        f"{more_accurate}."
    )

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    plot_curves(
        input_std,
        x=fan_ins,
        xlabel="fan-in m",
        ylabel="std of a unit's total input z",
        title="total input against fan-in",
        logy=True,
        ax=axes[0],
    )
    plot_curves(
        weight_size,
        x=fan_ins,
        xlabel="fan-in m",
        ylabel="mean |w| of the non-zero weights",
        title="size of the individual weights",
        logy=True,
        ax=axes[1],
    )
    for ax in axes[:2]:
        ax.set_xscale("log")
    plot_curves(
        losses,
        xlabel="minibatch step",
        ylabel="training loss (log scale)",
        logy=True,
        title="deep tanh network on the digits",
        ax=axes[2],
    )
    save_figure(figure, args, "sparse_initialization")


if __name__ == "__main__":
    main()
