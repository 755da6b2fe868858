"""Breaking symmetry (§8.4): hidden units that start equal stay equal; random ones do not.

Two copies of a 64-16-10 tanh network are trained on the bundled digits with the same
minibatches: one with every weight set to the same constant, one with Glorot's random
initialization. Two hidden units with the same incoming and outgoing weights compute the same
function and receive the same gradient, so under the constant start the 16 units remain one
unit repeated 16 times, however long training runs. The run is in float64: in float32 the
round-off of the matrix products (summed in different orders for different columns) can give
the copies slightly different gradients, and training then amplifies that difference until the
units split, which hides the exact symmetry the book describes.

What the learner should see: in the figure's top row the 16 constant-start units are one and
the same 8×8 image, in the bottom row 16 different ones; the constant network's test accuracy
is that of a network with a single hidden unit. The claims, decided in every run:

- ``constant_start_stays_symmetric``: the largest difference between two hidden units'
  incoming weights after training is below 1e-12 (float64 round-off, none amplified).
- ``random_start_breaks_symmetry``: under the Glorot start the smallest difference between two
  units is above 0.01 (every pair of units is distinct).
- ``random_start_is_more_accurate``: the random start's test accuracy exceeds the constant
  start's by more than 20 points.

    python examples/symmetry_breaking.py [--fast] [--seed N] [--out DIR]
"""

import functools

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, init, nn, optim
from tinygrad_ch8.training import train_classifier

HIDDEN = 16
STARTS = {
    "constant 0.05": functools.partial(init.constant, value=0.05),
    "random (Glorot)": init.glorot_uniform,
}


def train(initializer, epochs: int, seed: int, train_data, test_data):
    """The network with every weight matrix from ``initializer``, trained with SGD and momentum."""
    tg.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, HIDDEN, init=initializer), nn.Tanh(), nn.Linear(HIDDEN, 10, init=initializer)
    )
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    # the same seed gives both starts the same minibatches
    loader = data.DataLoader(*train_data, batch_size=32, rng=seed)
    history = train_classifier(model, optimizer, loader, epochs, test_data=test_data)
    return model, history


def pairwise_differences(incoming) -> np.ndarray:
    """The largest absolute weight difference between hidden units i and j, for every pair i < j."""
    columns = incoming.T
    gaps = np.abs(columns[:, None, :] - columns[None, :, :]).max(axis=2)
    return gaps[np.triu_indices(len(columns), k=1)]


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.set_default_dtype("float64")
    epochs = 2 if args.fast else 20
    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X_train, X_test = data.standardize(X_train, X_test)

    figure, axes = plt.subplots(len(STARTS), HIDDEN, figsize=(HIDDEN * 0.9, 2.8))
    gaps, accuracies = {}, {}
    for row, (name, initializer) in enumerate(STARTS.items()):
        model, history = train(initializer, epochs, args.seed, (X_train, y_train), (X_test, y_test))
        incoming = model[0].weight.numpy()  # column j: the 64 incoming weights of hidden unit j
        gaps[name] = pairwise_differences(incoming)
        accuracies[name] = history.test_accuracy[-1]
        limit = np.abs(incoming).max()
        for unit, ax in enumerate(axes[row]):
            ax.imshow(incoming[:, unit].reshape(8, 8), cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"unit {unit}", fontsize=6)
        axes[row, 0].set_ylabel(f"{name}\n{100 * accuracies[name]:.0f}% test", fontsize=8)

    constant, random = STARTS
    claims.check(
        "constant_start_stays_symmetric",
        f"after {epochs} epochs the largest difference between two hidden units' incoming "
        f"weights is {gaps[constant].max():.1e} (need < 1e-12)",
        gaps[constant].max() < 1e-12,
    )
    claims.check(
        "random_start_breaks_symmetry",
        f"the smallest difference between two of the {HIDDEN} Glorot-started units is "
        f"{gaps[random].min():.2f} (need > 0.01)",
        gaps[random].min() > 0.01,
    )
    advantage = 100 * (accuracies[random] - accuracies[constant])
    statement = (
        f"test accuracy {100 * accuracies[random]:.1f}% (random) vs "
        f"{100 * accuracies[constant]:.1f}% (constant): {advantage:+.1f} points (need > 20)"
    )
    claims.check("random_start_is_more_accurate", statement, advantage > 20)
    figure.suptitle(
        f"incoming weights of the {HIDDEN} hidden units after {epochs} epochs (8×8 pixels each; "
        f"largest gap between two units: constant start {gaps[constant].max():.0e}, "
        f"random start {gaps[random].max():.2f})"
    )
    save_figure(figure, args, "symmetry_breaking")
    claims.finish()


if __name__ == "__main__":
    main()
