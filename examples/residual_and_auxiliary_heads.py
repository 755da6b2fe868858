"""Models designed to aid optimization (§8.7.5): gradient norms per layer at initialization, and training.

Four networks of ten hidden layers of 32 units on the bundled digits, alike except for one
design choice: a plain deep sigmoid network; the same with ReLU; the sigmoid network with
residual connections h + f(h); and the sigmoid network with two auxiliary heads (after hidden
layers 3 and 6, loss weight 0.3, removed after training). The example prints ‖∂J/∂W‖ of each
layer at initialization (the sigmoid network's lower layers get a gradient orders of magnitude
smaller than its top layer) and trains each with the same optimizer (Adam, lr 0.003).

    python examples/residual_and_auxiliary_heads.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import nn, optim  # noqa: E402
from tinygrad_ch8.data import DataLoader, load_digits  # noqa: E402
from tinygrad_ch8.functional import cross_entropy  # noqa: E402
from tinygrad_ch8.strategies import (  # noqa: E402
    auxiliary_network,
    layer_gradient_norms,
    plain_network,
    residual_network,
)
from tinygrad_ch8.training import accuracy, train_classifier  # noqa: E402
from tinygrad_ch8.viz import plot_curves, plot_gradient_norms  # noqa: E402

WIDTH = 32


def build(design: str, depth: int):
    """The network of one design, from the same seed."""
    tg.manual_seed(0)
    if design == "plain sigmoid":
        return plain_network(64, WIDTH, depth, 10)
    if design == "plain ReLU":
        return plain_network(64, WIDTH, depth, 10, activation=nn.ReLU)
    if design == "residual sigmoid":
        return residual_network(64, WIDTH, depth, 10)
    return auxiliary_network(64, WIDTH, depth, 10, weight=0.3)


def main():
    args = parse_args(__doc__)
    depth = 6 if args.fast else 10
    epochs = 3 if args.fast else 20
    X_train, y_train = load_digits("train")
    X_test, y_test = load_digits("test")
    batch = (X_train[:256], y_train[:256])
    designs = ["plain sigmoid", "plain ReLU", "residual sigmoid", "sigmoid + auxiliary heads"]

    norms, losses, accuracies = {}, {}, {}
    for design in designs:
        model = build(design, depth)
        loss_fn = model.loss if isinstance(model, nn.AuxiliaryHeads) else cross_entropy
        per_weight = layer_gradient_norms(model, batch, loss_fn)
        # the trunk's layers bottom to top and the output layer; the auxiliary heads' own weights are left out
        norms[design] = [
            norm for name, norm in per_weight.items() if not name.startswith("auxiliary_heads")
        ]
        loader = DataLoader(X_train, y_train, batch_size=64, rng=0)
        history = train_classifier(
            model, optim.Adam(model.parameters(), lr=3e-3), loader, epochs, loss_fn=loss_fn
        )
        # the auxiliary network's training loss is its whole objective, L_main + 0.3 Σ L_aux
        name = design if loss_fn is cross_entropy else f"{design} (L_main + 0.3 Σ L_aux)"
        losses[name] = history.epoch_loss
        evaluated = model.inference_model() if isinstance(model, nn.AuxiliaryHeads) else model
        accuracies[design] = accuracy(evaluated, X_test, y_test)

    print(
        f"{depth} hidden layers of {WIDTH} units; gradient norm ||dJ/dW|| per layer at initialization "
        f"(layer 1 = bottom, last = output layer), on 256 digits:"
    )
    for design in designs:
        print(f"  {design:<26} " + " ".join(f"{n:8.1e}" for n in norms[design]))
    print(f"after {epochs} epochs of Adam (lr 0.003):")
    for (name, loss), design in zip(losses.items(), designs, strict=True):
        print(f"  {name:<48} training loss {loss[-1]:.3f}   test accuracy {accuracies[design]:.3f}")
    ratio = {design: norms[design][0] / norms[design][-2] for design in designs}
    print(
        "Finding: bottom / top hidden layer gradient ratio at init: "
        + ", ".join(f"{design} {ratio[design]:.1e}" for design in designs)
        + f". The plain sigmoid network ends at test accuracy {accuracies['plain sigmoid']:.1%}; ReLU "
        f"{accuracies['plain ReLU']:.1%}, residual {accuracies['residual sigmoid']:.1%}, auxiliary heads "
        f"{accuracies['sigmoid + auxiliary heads']:.1%} (heads removed for the test)."
    )

    figure = plot_gradient_norms(
        norms, title=f"‖∂J/∂W‖ per layer at initialization ({depth} hidden layers)"
    )
    save_figure(figure, args, "gradient_norms_at_init")
    figure = plot_curves(
        losses,
        x=np.arange(1, epochs + 1),
        xlabel="epoch",
        ylabel="training loss",
        title="training loss of each design (Adam, lr 0.003)",
        logy=True,
    )
    save_figure(figure, args, "residual_and_auxiliary_heads")


if __name__ == "__main__":
    main()
