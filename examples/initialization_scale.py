"""The initial scale is a hyperparameter (§8.4): activations of a deep tanh network at initialization.

A 10-layer tanh network of width 64 receives a batch of standardized digits. Its weights are
drawn from Glorot's normalized initialization U(−a, a), a = √(6/(m+n)), times a scale:
0.25 (too small: activations shrink towards 0 layer after layer, so gradients vanish), 1
(Glorot: the scale holds through depth), 4 (too large: units saturate at ±1, where tanh is
flat). A fourth network starts too large and is then rescaled by LSUV (the book's data-driven
procedure, made precise by Mishkin & Matas 2015): each layer's weights are scaled until its
output has unit standard deviation on the batch.

The example prints each network's activation standard deviation at layers 1, 5 and 10 and the
share of saturated units (|h| > 0.99), then trains each one briefly with the same SGD and
prints the training loss. Figures: std per layer, and histograms of the last layer's activations.

    python examples/initialization_scale.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import data, init, nn, optim  # noqa: E402
from tinygrad_ch8.training import train_classifier  # noqa: E402
from tinygrad_ch8.viz import plot_curves, plot_histograms  # noqa: E402

DEPTH, WIDTH = 10, 64
SATURATED = 0.99
SETTINGS = {
    "too small (0.25 × Glorot)": 0.25,
    "Glorot": 1.0,
    "too large (4 × Glorot)": 4.0,
    "4 × Glorot, then LSUV": 4.0,
}


def scaled_glorot(scale: float):
    def initializer(shape, rng=None, dtype=None):
        return scale * init.glorot_uniform(shape, rng=rng, dtype=dtype)

    return initializer


def deep_tanh_network(scale: float):
    tg.manual_seed(0)
    widths = [64] + [WIDTH] * DEPTH
    layers = []
    for m, n in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(m, n, init=scaled_glorot(scale)), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def tanh_activations(model, batch):
    """The output of every Tanh layer on ``batch``, recorded with forward hooks."""
    activations = []
    handles = [
        module.register_forward_hook(
            lambda module, inputs, output: activations.append(output.numpy())
        )
        for module in model.modules()
        if isinstance(module, nn.Tanh)
    ]
    with tg.no_grad():
        model(batch)
    for handle in handles:
        handle.remove()
    return activations


def main():
    args = parse_args(__doc__)
    epochs = 1 if args.fast else 10
    X_train, y_train = data.load_digits("train")
    (X_train,) = data.standardize(X_train)
    batch = tg.Tensor(X_train[:512])

    stds, last_layer, losses = {}, {}, {}
    for name, scale in SETTINGS.items():
        model = deep_tanh_network(scale)
        if "LSUV" in name:
            report = init.lsuv(model, batch, target_std=1.0, tol=0.05)
            print(
                f"LSUV: {sum(entry.iterations for entry in report)} rescalings over {len(report)} layers; "
                f"first layer output std {report[0].initial_std:.2f} -> {report[0].final_std:.2f}"
            )
        activations = tanh_activations(model, batch)
        stds[name] = [h.std() for h in activations]
        last_layer[name] = activations[-1]
        saturated = np.mean(np.abs(activations[-1]) > SATURATED)
        print(
            f"{name:26s}: activation std at layers 1/5/10 = {stds[name][0]:.3f} / {stds[name][4]:.3f} / "
            f"{stds[name][-1]:.2e}; saturated units in layer 10: {100 * saturated:.0f}%"
        )
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        history = train_classifier(
            model, optimizer, data.DataLoader(X_train, y_train, 32, rng=0), epochs
        )
        losses[name] = history.step_loss
        print(f"{'':26s}  training loss after {epochs} epoch(s): {history.epoch_loss[-1]:.3f}")
    print(
        "finding: too small a scale makes the signal vanish with depth, too large a scale saturates "
        "the tanh units; Glorot's scale, or LSUV's data-driven rescaling, keeps every layer in range."
    )

    figure, (std_axes, loss_axes) = plt.subplots(1, 2, figsize=(12, 4.4))
    plot_curves(
        stds,
        x=list(range(1, DEPTH + 1)),
        xlabel="layer (1 = nearest the input)",
        ylabel="std of tanh activations (log scale)",
        title="activation scale through depth at init",
        logy=True,
        ax=std_axes,
    )
    plot_curves(
        losses,
        xlabel="minibatch step",
        ylabel="training loss (log scale)",
        logy=True,
        title="training from each start (SGD, lr 0.01, momentum 0.9)",
        ax=loss_axes,
    )
    save_figure(figure, args, "initialization_scale")
    save_figure(
        plot_histograms(
            last_layer,
            title=f"activations of tanh layer {DEPTH} at initialization",
            xlabel="activation h",
        ),
        args,
        "initialization_scale_histograms",
    )


if __name__ == "__main__":
    main()
