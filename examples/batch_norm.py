"""Batch normalization (§8.7.1): the same deep network with and without it, over several learning rates.

A network of 8 sigmoid hidden layers of width 64 is trained on the bundled digits with plain
minibatch SGD at three learning rates, in three versions:

* no batch norm: each hidden layer is σ(h W + b);
* batch norm with the layer bias kept: σ(γ BN(h W + b) + β);
* batch norm with the layer bias switched off: σ(γ BN(h W) + β), which the book recommends,
  because BN subtracts the batch mean, so b cancels and β takes its job.

BN normalizes each pre-activation with the minibatch statistics, H' = (H − μ)/σ, so the
scale of lower layers no longer changes what upper layers see and a large learning rate
stays stable. The example prints the final training loss and test accuracy of every run
and the size of the gradient that reaches a bias placed before BN (zero up to round-off:
the bias is redundant). The figure shows the training curves per learning rate.

    python examples/batch_norm.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import data, nn, optim  # noqa: E402
from tinygrad_ch8.training import train_classifier  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402

DEPTH, WIDTH = 8, 64
VERSIONS = ["no batch norm", "batch norm, bias kept", "batch norm, bias off"]


def deep_sigmoid_network(version: str):
    """The same architecture and the same random weights for every version."""
    tg.manual_seed(0)
    widths = [64] + [WIDTH] * DEPTH
    layers = []
    for m, n in zip(widths[:-1], widths[1:], strict=True):
        layers.append(nn.Linear(m, n, bias=version != "batch norm, bias off"))
        if version != "no batch norm":
            layers.append(nn.BatchNorm1d(n))
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def largest_bias_gradient_before_batch_norm(batch) -> float:
    """max |∂J/∂b| over the biases of Linear layers followed by BN: zero in exact arithmetic."""
    model = deep_sigmoid_network("batch norm, bias kept")
    F.cross_entropy(model(tg.Tensor(batch[0])), batch[1]).backward()
    biases = [layer.bias for layer in model.layers[:-1] if isinstance(layer, nn.Linear)]
    weights = [layer.weight for layer in model.layers[:-1] if isinstance(layer, nn.Linear)]
    largest_bias = max(np.abs(b.grad.numpy()).max() for b in biases)
    largest_weight = max(np.abs(w.grad.numpy()).max() for w in weights)
    return largest_bias, largest_weight


def main():
    args = parse_args(__doc__)
    learning_rates = [0.1, 1.0] if args.fast else [0.03, 0.3, 3.0]
    epochs = 1 if args.fast else 12
    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X_train, X_test = data.standardize(X_train, X_test)

    figure, axes = plt.subplots(
        1, len(learning_rates), figsize=(5.2 * len(learning_rates), 4.2), sharey=True
    )
    final = {}
    for ax, lr in zip(axes, learning_rates, strict=True):
        curves = {}
        for version in VERSIONS:
            model = deep_sigmoid_network(version)
            optimizer = optim.SGD(model.parameters(), lr=lr)
            loader = data.DataLoader(X_train, y_train, batch_size=32, rng=0)
            history = train_classifier(model, optimizer, loader, epochs, test_data=(X_test, y_test))
            curves[version] = history.epoch_loss
            final[version, lr] = history.epoch_loss[-1], history.test_accuracy[-1]
            print(
                f"lr {lr:<5}  {version:22s}: training loss {history.epoch_loss[-1]:.3f}, "
                f"test accuracy {100 * history.test_accuracy[-1]:.1f}%"
            )
        plot_curves(
            curves,
            x=list(range(1, epochs + 1)),
            xlabel="epoch",
            ylabel="training loss (log scale)",
            title=f"SGD, learning rate {lr}",
            logy=True,
            ax=ax,
        )
        ax.get_lines()[-1].set_linestyle(
            "--"
        )  # bias off lies on top of bias kept: dash it so both show
        ax.legend()
    figure.suptitle(
        f"{DEPTH} sigmoid hidden layers on the digits: with and without batch normalization"
    )

    best = {version: min(final[version, lr][0] for lr in learning_rates) for version in VERSIONS}
    print(
        "best training loss over the learning rates: "
        + ", ".join(f"{version} {loss:.3f}" for version, loss in best.items())
    )
    bias_gradient, weight_gradient = largest_bias_gradient_before_batch_norm(
        (X_train[:256], y_train[:256])
    )
    print(
        f"a bias placed before batch norm gets a gradient of at most {bias_gradient:.1e} "
        f"(the weights' reach {weight_gradient:.1e}): BN's mean subtraction cancels it, β replaces it."
    )
    bias_difference = max(
        abs(final["batch norm, bias kept", lr][0] - final["batch norm, bias off", lr][0])
        for lr in learning_rates
    )
    print(
        f"finding: with batch norm the deep sigmoid network reaches a training loss of "
        f"{best['batch norm, bias off']:.3f}, without it {best['no batch norm']:.3f} at the best of "
        f"{len(learning_rates)} learning rates; switching the bias off changes the final loss by at most "
        f"{bias_difference:.1e}."
    )
    save_figure(figure, args, "batch_norm")


if __name__ == "__main__":
    main()
