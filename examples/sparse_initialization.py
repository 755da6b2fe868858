"""Sparse initialization (Martens 2010; §8.4): k non-zero incoming weights per unit, whatever the fan-in.

Part 1 feeds unit-variance inputs to one layer of fan-in m = 16 ... 4096 and measures a
unit's total input z = Σ_i w_i x_i under three rules:

* dense N(0, 1) weights: Var z = m, so the total input grows like √m;
* the heuristic U(−1/√m, 1/√m): Var z = 1/3 for every m, but only because every single
  weight shrinks like 1/√m;
* sparse, k = 15 non-zero N(0, 1) weights per unit: Var z = k for every m, and the weights
  that exist keep their size.

Part 2 trains a 64-64-64-64-10 tanh network on the bundled digits from Glorot's rule and
from Martens's sparse rule (k = 15, N(0, 1)), with the same SGD, and prints the training loss
and test accuracy of both: sparse initialization is a strong prior (few, large weights).

What the learner should see: in the first panel the dense line rising with slope ½ on the
log-log axes while the other two stay flat; in the second the heuristic's line falling with
slope −½ while dense and sparse coincide (both keep N(0, 1) weights: a wide line under a
dotted one with other markers, so both show); in the third both networks' losses falling.

Claims (``--seed`` draws the inputs, the weights and the minibatch order):
- ``dense_input_grows``: the dense rule's input std grows like m^p with 0.45 ≤ p ≤ 0.55.
- ``heuristic_weights_shrink``: the heuristic's mean |w| falls like m^p with −0.55 ≤ p ≤ −0.45,
  while its input std changes by less than 20% over the fan-ins.
- ``sparse_keeps_both``: the sparse rule's input std stays within 20% of √k and its mean |w|
  changes by less than 20% over the fan-ins.
- ``both_starts_train`` (full run): both networks' training loss falls from 2.30 to ≤ 0.3
  (the test accuracies are printed; which start is ahead varies with the seed).

    python examples/sparse_initialization.py [--fast] [--seed N] [--out DIR]
"""

import functools

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, init, nn, optim
from tinygrad_ch8.training import train_classifier
from tinygrad_ch8.viz import plot_curves

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


def total_input_statistics(fan_ins, batch: int, seed: int):
    """For each rule and fan-in: the std of z = x W over a batch, and the mean |w| of the non-zero weights."""
    generator = np.random.default_rng(seed)
    input_std = {name: [] for name in RULES}
    weight_size = {name: [] for name in RULES}
    for m in fan_ins:
        x = generator.standard_normal((batch, m)).astype(np.float32)
        for name, rule in RULES.items():
            weight = rule((m, UNITS), rng=seed + 1)
            input_std[name].append((x @ weight).std())
            weight_size[name].append(np.abs(weight[weight != 0]).mean())
    return input_std, weight_size


def train_deep_tanh(initializer, epochs: int, train_data, test_data, seed: int):
    tg.manual_seed(seed)
    model = nn.mlp(64, [64, 64, 64], 10, activation="tanh", init=initializer)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = data.DataLoader(*train_data, batch_size=32, rng=seed)
    return train_classifier(model, optimizer, loader, epochs, test_data=test_data)


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    fan_ins = [16, 64, 256, 1024] if args.fast else [16, 64, 256, 1024, 4096]
    epochs = 1 if args.fast else 4

    input_std, weight_size = total_input_statistics(fan_ins, batch=256, seed=args.seed)
    for name in RULES:
        stds = ", ".join(f"{s:.2f}" for s in input_std[name])
        sizes = ", ".join(f"{s:.3f}" for s in weight_size[name])
        print(
            f"{name:16s}: std of total input for m = {fan_ins}: {stds}; "
            f"mean |w| of non-zero weights: {sizes}"
        )

    def slope(values):
        return np.polyfit(np.log(fan_ins), np.log(values), 1)[0]

    def spread(values):
        return max(values) / min(values)

    dense, heuristic, sparse = RULES
    claims.check(
        "dense_input_grows",
        f"dense N(0, 1): input std grows like m^{slope(input_std[dense]):.3f} "
        "(need 0.45 ≤ p ≤ 0.55)",
        0.45 <= slope(input_std[dense]) <= 0.55,
    )
    claims.check(
        "heuristic_weights_shrink",
        f"U(−1/√m, 1/√m): mean |w| falls like m^{slope(weight_size[heuristic]):.3f} (need −0.55 "
        f"≤ p ≤ −0.45), input std max/min {spread(input_std[heuristic]):.2f} (need < 1.2)",
        -0.55 <= slope(weight_size[heuristic]) <= -0.45 and spread(input_std[heuristic]) < 1.2,
    )
    worst = max(abs(s / np.sqrt(K) - 1) for s in input_std[sparse])
    claims.check(
        "sparse_keeps_both",
        f"sparse: input std within {100 * worst:.0f}% of √k = {np.sqrt(K):.2f} (need ≤ 20%), mean "
        f"|w| max/min {spread(weight_size[sparse]):.2f} (need < 1.2)",
        worst <= 0.2 and spread(weight_size[sparse]) < 1.2,
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
        history = train_deep_tanh(
            initializer, epochs, (X_train, y_train), (X_test, y_test), args.seed
        )
        losses[name] = history.step_loss
        results[name] = (history.epoch_loss[-1], history.test_accuracy[-1])
        print(
            f"{name:24s}: deep tanh net after {epochs} epoch(s): training loss "
            f"{history.epoch_loss[-1]:.3f}, test accuracy {100 * history.test_accuracy[-1]:.1f}%"
        )
    if not claims.needs_full_run("both_starts_train", "both training losses fall below 0.3"):
        claims.check(
            "both_starts_train",
            f"training loss after {epochs} epochs (from ln 10 = 2.30): "
            + ", ".join(f"{name} {loss:.3f}" for name, (loss, _) in results.items())
            + " (need both ≤ 0.3)",
            max(loss for loss, _ in results.values()) <= 0.3,
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
        # dense and sparse weights have the same size: dashes and markers keep both visible
        for line, style, marker in zip(ax.get_lines(), ["-", "--", ":"], "os^", strict=True):
            line.set_linestyle(style)
            line.set_marker(marker)
            line.set_linewidth(4 if style == "-" else 1.5)  # the wide line shows under the others
        ax.legend()
    plot_curves(
        losses,
        xlabel="minibatch step",
        ylabel="training loss (log scale)",
        logy=True,
        title="deep tanh network on the digits",
        ax=axes[2],
    )
    figure.tight_layout()
    save_figure(figure, args, "sparse_initialization")
    claims.finish()


if __name__ == "__main__":
    main()
