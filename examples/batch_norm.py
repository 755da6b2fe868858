"""Batch normalization (§8.7.1): the same deep network with and without it, each at its best learning rate.

A network of 3 sigmoid hidden layers of 32 units is trained on the bundled digits with plain
minibatch SGD (minibatches of 64, 8 epochs), in two versions:

* no batch norm: each hidden layer is σ(h W + b);
* batch norm: σ(γ BN(h W) + β), with the layer bias switched off as the book recommends: BN
  subtracts the batch mean, so b cancels and β takes its job.

BN normalizes each pre-activation with the minibatch statistics, H' = (H − μ)/σ, so each
sigmoid works in its steep middle whatever the weights below do, and a large learning rate
stays stable. The depth is chosen so that the plain network also trains (at 4 sigmoid layers
it stays at the chance loss 2.30 for every learning rate), so speed and steadiness can be
compared. Each version gets every learning rate of the same log grid and keeps the best (lowest
mean training loss over the epochs, which rewards speed; each best lies strictly inside the
grid, checked). The initialization and the minibatch order come from ``--seed``.

What the learner should see: on the left, at its best learning rate the plain network sits on
the chance plateau for an epoch or more before it falls, the batch-norm network falls from the
first epoch; on the right, the batch-norm network reaches a low loss at most learning rates of
the grid, the plain one only at a few. The claims:

- ``bias_before_bn_gets_no_gradient``: the largest gradient of a bias placed before BN is below
  1e-4 of the largest weight gradient (decided in every run).
- ``no_bn_tuned``, ``bn_tuned``: each version's best learning rate lies strictly inside the grid.
- ``bn_trains_faster``: at the best learning rates, the batch-norm network reaches training
  loss 0.5 in fewer than half the epochs of the plain one.
- ``bn_trains_at_more_learning_rates``: more learning rates of the grid reach a final training
  loss below 0.5 with batch norm than without.

    python examples/batch_norm.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import Diverged, train_classifier
from tinygrad_ch8.viz import plot_curves

DEPTH, WIDTH, BATCH = 3, 32, 64
LEARNING_RATES = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
TRAINED = 0.5  # a training loss that counts as trained (chance is ln 10 = 2.30)
VERSIONS = {"no batch norm": "no_bn", "batch norm (bias off)": "bn"}


def deep_sigmoid_network(batch_norm: bool, bias: bool, seed: int):
    """The same architecture and, for one seed, the same random weights for every version."""
    tg.manual_seed(seed)
    widths = [64] + [WIDTH] * DEPTH
    layers = []
    for m, n in zip(widths[:-1], widths[1:], strict=True):
        layers.append(nn.Linear(m, n, bias=bias))
        if batch_norm:
            layers.append(nn.BatchNorm1d(n))
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def bias_and_weight_gradients_before_batch_norm(batch, seed: int) -> tuple[float, float]:
    """max |∂J/∂b| and max |∂J/∂W| over the Linear layers followed by BN."""
    model = deep_sigmoid_network(batch_norm=True, bias=True, seed=seed)
    F.cross_entropy(model(tg.Tensor(batch[0])), batch[1]).backward()
    linears = [layer for layer in model.layers[:-1] if isinstance(layer, nn.Linear)]
    largest_bias = max(float(np.abs(layer.bias.grad.numpy()).max()) for layer in linears)
    largest_weight = max(float(np.abs(layer.weight.grad.numpy()).max()) for layer in linears)
    return largest_bias, largest_weight


def train(version: str, lr: float, epochs: int, seed: int, train_data) -> list[float]:
    """The training loss per epoch of one version at ``lr`` (the chance loss × 10 if it diverges)."""
    batch_norm = version != "no batch norm"
    model = deep_sigmoid_network(batch_norm=batch_norm, bias=not batch_norm, seed=seed)
    loader = data.DataLoader(*train_data, batch_size=BATCH, rng=seed)
    try:
        return train_classifier(
            model, optim.SGD(model.parameters(), lr=lr), loader, epochs
        ).epoch_loss
    except Diverged:
        return [10 * np.log(10.0)] * epochs


def epochs_to_reach(losses, level: float) -> int:
    """The first epoch (counting from 1) whose training loss is below ``level``; len + 1 if none."""
    below = [epoch for epoch, loss in enumerate(losses, start=1) if loss < level]
    return below[0] if below else len(losses) + 1


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    X_train, y_train = data.load_digits("train")
    X_test, _ = data.load_digits("test")
    X_train, X_test = data.standardize(X_train, X_test)

    bias_gradient, weight_gradient = bias_and_weight_gradients_before_batch_norm(
        (X_train[:256], y_train[:256]), args.seed
    )
    claims.check(
        "bias_before_bn_gets_no_gradient",
        f"a bias placed before batch norm gets a gradient of at most {bias_gradient:.1e}, the "
        f"weights up to {weight_gradient:.1e} (need a ratio < 1e-4: BN's mean subtraction "
        f"cancels b)",
        bias_gradient < 1e-4 * weight_gradient,
    )

    epochs = 1 if args.fast else 8
    grid = [1.0, 3.0] if args.fast else LEARNING_RATES
    curves = {
        version: [train(version, lr, epochs, args.seed, (X_train, y_train)) for lr in grid]
        for version in VERSIONS
    }
    best = {}
    for version, short in VERSIONS.items():
        if claims.needs_full_run(f"{short}_tuned", f"the learning rate of {version}"):
            best[version] = grid[-1]
            continue
        scores = [float(np.mean(losses)) for losses in curves[version]]
        best[version] = best_on_grid(
            claims, short, grid, scores, what="SGD lr (mean training loss)"
        )
    plain, normalized = VERSIONS
    reach = {
        version: epochs_to_reach(curves[version][grid.index(best[version])], TRAINED)
        for version in VERSIONS
    }
    statement = (
        f"epochs to training loss {TRAINED} at the best lr: batch norm {reach[normalized]} "
        f"(lr {best[normalized]:g}), plain {reach[plain]} (lr {best[plain]:g}; {epochs + 1} = never "
        f"in {epochs}) (need fewer than half)"
    )
    if not claims.needs_full_run("bn_trains_faster", statement):
        claims.check("bn_trains_faster", statement, 2 * reach[normalized] < reach[plain])
    trained_at = {
        version: [lr for lr, losses in zip(grid, runs, strict=True) if losses[-1] < TRAINED]
        for version, runs in curves.items()
    }
    statement = (
        f"learning rates of the grid with final training loss < {TRAINED}: batch norm "
        f"{trained_at[normalized]}, plain {trained_at[plain]} (need more with batch norm)"
    )
    if not claims.needs_full_run("bn_trains_at_more_learning_rates", statement):
        claims.check(
            "bn_trains_at_more_learning_rates",
            statement,
            len(trained_at[normalized]) > len(trained_at[plain]),
        )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    plot_curves(
        {
            f"{version}, best lr {best[version]:g}": curves[version][grid.index(best[version])]
            for version in VERSIONS
        },
        x=list(range(1, epochs + 1)),
        xlabel=f"epoch ({int(np.ceil(len(X_train) / BATCH))} SGD steps each)",
        ylabel="training loss (log scale)",
        title=f"{DEPTH} sigmoid hidden layers, each version at its best learning rate",
        logy=True,
        ax=left,
    )
    left.axhline(np.log(10.0), color="tab:gray", linestyle=":", label="chance (ln 10)")
    left.legend(loc="lower left")
    for version in VERSIONS:
        right.plot(grid, [losses[-1] for losses in curves[version]], marker="o", label=version)
    right.axhline(TRAINED, color="tab:gray", linestyle="--", label=f"loss {TRAINED}")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("SGD learning rate (log scale)")
    right.set_ylabel(f"training loss after {epochs} epochs (log scale)")
    right.set_title("final training loss against the learning rate")
    right.legend()
    save_figure(figure, args, "batch_norm")
    claims.finish()


if __name__ == "__main__":
    main()
