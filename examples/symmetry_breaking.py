"""Breaking symmetry (§8.4): hidden units that start equal stay equal; random ones do not.

Two copies of a 64-16-10 tanh network are trained on the bundled digits with the same
minibatches: one with every weight set to the same constant, one with Glorot's random
initialization. Two hidden units with the same incoming and outgoing weights compute the same
function and receive the same gradient, so under the constant start the 16 units remain one
unit repeated 16 times, however long training runs. The example prints the largest difference
between any two hidden units' incoming weights after training, and the test accuracy of both
networks; the figure shows each hidden unit's 64 incoming weights as an 8×8 image.

    python examples/symmetry_breaking.py [--fast] [--out DIR]
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

HIDDEN = 16
STARTS = {
    "constant 0.05": functools.partial(init.constant, value=0.05),
    "random (Glorot)": init.glorot_uniform,
}


def train(initializer, epochs: int, train_data, test_data):
    """The network with every weight matrix from ``initializer``, trained with SGD and momentum."""
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, HIDDEN, init=initializer), nn.Tanh(), nn.Linear(HIDDEN, 10, init=initializer)
    )
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = data.DataLoader(
        *train_data, batch_size=32, rng=0
    )  # the same minibatches for both starts
    history = train_classifier(model, optimizer, loader, epochs, test_data=test_data)
    return model, history


def main():
    args = parse_args(__doc__)
    epochs = 2 if args.fast else 20
    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X_train, X_test = data.standardize(X_train, X_test)

    figure, axes = plt.subplots(len(STARTS), HIDDEN, figsize=(HIDDEN * 0.9, 2.6))
    for row, (name, initializer) in enumerate(STARTS.items()):
        model, history = train(initializer, epochs, (X_train, y_train), (X_test, y_test))
        incoming = model[0].weight.numpy()  # column j: the 64 incoming weights of hidden unit j
        spread = np.abs(incoming - incoming[:, :1]).max()
        distinct = len({tuple(np.round(column, 6)) for column in incoming.T})
        print(
            f"{name:16s}: after {epochs} epochs the largest difference between two hidden units' "
            f"incoming weights is {spread:.2e} ({distinct} distinct unit(s) of {HIDDEN}); "
            f"test accuracy {100 * history.test_accuracy[-1]:.1f}%"
        )
        limit = np.abs(incoming).max()
        for unit, ax in enumerate(axes[row]):
            ax.imshow(incoming[:, unit].reshape(8, 8), cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"unit {unit}", fontsize=6)
        axes[row, 0].set_ylabel(f"{name}\n{100 * history.test_accuracy[-1]:.0f}% test", fontsize=8)
    figure.suptitle(
        "incoming weights of the 16 hidden units after training (8×8 pixels each): "
        "a constant start keeps them identical"
    )
    print(
        "finding: with equal starting weights every hidden unit gets the same update, so the "
        "network behaves like one hidden unit; random initialization breaks the symmetry."
    )
    save_figure(figure, args, "symmetry_breaking")


if __name__ == "__main__":
    main()
