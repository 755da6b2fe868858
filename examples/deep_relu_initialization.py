"""Initialization scale in a 20-layer ReLU network: vanishing, exploding, and which trains (§8.4).

A ReLU layer h = relu(hW) with W ~ N(0, s²) multiplies the second moment of its input by
m s² / 2 (m = fan-in; half the units are off). He's scale s² = 2/m keeps it at 1, so the
signal reaches the 20th layer at the size it had at the first; at 0.5× He's standard deviation
each layer shrinks it by 2 (2⁻¹⁹ ≈ 2e-6 after 19 more layers), at 2× it grows by 2 (5e5).
Glorot's s² = 2/(m + n) = 1/m and an orthogonal W (which keeps ‖h‖) ignore the halving by the
ReLU, so the signal shrinks by √2 per layer (2^-9.5 ≈ 1e-3).

The network: 64 inputs (the standardized digits), 20 hidden ReLU layers of 64 units, zero
biases, a linear output layer; trained with SGD and momentum 0.9 for a few epochs, each scheme
at every learning rate of a log grid, and compared at its best.

What the learner should see: the left panel's lines of activation std per layer stay flat for
He and fall or climb as straight lines on the log scale for the others, at the slopes the
formula predicts; in the right panel He trains, 0.5× and 2× He stay at chance (10 %) at every
learning rate (or overflow), and Glorot and orthogonal, whose signal is 1000 times too small at
the top, train far more slowly (at least 30 points below He after the same 10 epochs).

    python examples/deep_relu_initialization.py [--fast] [--seed N] [--out DIR]
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, init, nn, optim
from tinygrad_ch8.training import Diverged, train_classifier

DEPTH, WIDTH = 20, 64
LEARNING_RATES = (1e-3, 3e-3, 1e-2, 3e-2)
SCHEMES = {
    "0.5× He": lambda shape, rng: 0.5 * init.he_normal(shape, rng=rng),
    "He": lambda shape, rng: init.he_normal(shape, rng=rng),
    "2× He": lambda shape, rng: 2.0 * init.he_normal(shape, rng=rng),
    "Glorot": lambda shape, rng: init.glorot_normal(shape, rng=rng),
    "orthogonal": lambda shape, rng: init.orthogonal(shape, rng=rng),
}
# the factor by which each layer multiplies the activations' root-mean-square, from m s² / 2
GROWTH_PER_LAYER = {
    "0.5× He": 0.5,
    "He": 1.0,
    "2× He": 2.0,
    "Glorot": 2**-0.5,
    "orthogonal": 2**-0.5,
}
COLOURS = {
    "0.5× He": "tab:blue",
    "He": "tab:green",
    "2× He": "tab:red",
    "Glorot": "tab:purple",
    "orthogonal": "tab:orange",
}


def deep_relu_network(scheme: str, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in in [64] + [WIDTH] * (DEPTH - 1):
        linear = nn.Linear(fan_in, WIDTH, rng=rng)
        linear.weight.data[:] = SCHEMES[scheme]((fan_in, WIDTH), rng)
        linear.bias.data[:] = 0.0
        layers += [linear, nn.ReLU()]
    layers.append(nn.Linear(WIDTH, 10, rng=rng))
    return nn.Sequential(*layers)


def activation_rms(model: nn.Sequential, X) -> list[float]:
    """The root-mean-square of each hidden layer's output on the batch X."""
    h, rms = tg.Tensor(X), []
    with tg.no_grad():
        for layer in model.layers:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                rms.append(float(np.sqrt((h.numpy().astype(np.float64) ** 2).mean())))
    return rms


def best_test_accuracy(scheme: str, seed: int, epochs: int, train, test) -> list[float]:
    """The test accuracy after ``epochs`` at each learning rate (chance, 0.1, where it overflows)."""
    accuracies = []
    for lr in LEARNING_RATES:
        model = deep_relu_network(scheme, seed)
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        loader = data.DataLoader(*train, batch_size=64, rng=seed)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                history = train_classifier(model, optimizer, loader, epochs, test_data=test)
            accuracies.append(history.test_accuracy[-1])
        except Diverged:
            accuracies.append(0.1)
    return accuracies


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    X, y = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X, X_test = data.standardize(X, X_test)
    rng = np.random.default_rng(args.seed)
    batch = X[rng.choice(len(X), 256, replace=False)]

    rms = {
        scheme: activation_rms(deep_relu_network(scheme, args.seed), batch) for scheme in SCHEMES
    }
    for scheme, values in rms.items():
        measured = (values[-1] / values[0]) ** (1 / (DEPTH - 1))
        predicted = GROWTH_PER_LAYER[scheme]
        claims.check(
            f"growth_per_layer_{scheme.replace('× ', 'x_').replace(' ', '_')}",
            f"{scheme}: rms layer {DEPTH} / layer 1 = {values[-1] / values[0]:.2e}, i.e. "
            f"×{measured:.3f} per layer vs ×{predicted:.3f} predicted by m s²/2 (need within 10 %)",
            abs(math.log(measured / predicted)) < math.log(1.1),
        )

    accuracies = {}
    if not claims.needs_full_run("only_he_trains", "training 5 schemes at 4 learning rates"):
        for scheme in SCHEMES:
            accuracies[scheme] = best_test_accuracy(scheme, args.seed, 10, (X, y), (X_test, y_test))
            print(
                f"  {scheme:10s} test accuracy per lr: "
                + ", ".join(f"{a:.2f}" for a in accuracies[scheme])
            )
        best_on_grid(
            claims, "he", LEARNING_RATES, [-a for a in accuracies["He"]], "lr (score −accuracy)"
        )
        he = max(accuracies["He"])
        scaled = {s: max(accuracies[s]) for s in ("0.5× He", "2× He")}
        unscaled = {s: max(accuracies[s]) for s in ("Glorot", "orthogonal")}
        claims.check(
            "he_trains",
            f"He's best test accuracy over the grid {he:.1%} (need > 60 %)",
            he > 0.6,
        )
        claims.check(
            "vanishing_and_exploding_stay_at_chance",
            ", ".join(f"{s} {a:.1%}" for s, a in scaled.items())
            + " best test accuracy over the grid (need each < 15 %; chance is 10 %)",
            max(scaled.values()) < 0.15,
        )
        claims.check(
            "glorot_and_orthogonal_lag_he",
            ", ".join(f"{s} {a:.1%}" for s, a in unscaled.items())
            + f" best test accuracy over the grid (need each at least 30 points below He's {he:.1%})",
            max(unscaled.values()) < he - 0.3,
        )

    figure, axes = plt.subplots(1, 2 if accuracies else 1, figsize=(12 if accuracies else 6.5, 4.8))
    axes = np.atleast_1d(axes)
    layers = np.arange(1, DEPTH + 1)
    for scheme, values in rms.items():
        axes[0].semilogy(layers, values, "o-", ms=3, color=COLOURS[scheme], label=scheme)
    axes[0].set(
        title=f"Activations at initialization, {DEPTH} ReLU layers of {WIDTH}",
        xlabel="hidden layer",
        ylabel="root-mean-square activation (log scale)",
    )
    axes[0].legend(loc="upper left", fontsize=8)
    if accuracies:
        for scheme, values in accuracies.items():
            axes[1].plot(
                LEARNING_RATES, [100 * a for a in values], "o-", color=COLOURS[scheme], label=scheme
            )
        axes[1].axhline(10, color="grey", ls=":", lw=1, label="chance")
        axes[1].set(
            xscale="log",
            ylim=(0, 100),
            title="Test accuracy after 10 epochs of SGD + momentum",
            xlabel="learning rate ε",
            ylabel="test accuracy (%)",
        )
        axes[1].legend(loc="upper left", fontsize=8)
    save_figure(figure, args, "deep_relu_initialization")
    claims.finish()


if __name__ == "__main__":
    main()
