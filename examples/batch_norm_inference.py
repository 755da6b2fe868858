"""Batch normalization at test time: running averages against the statistics of the test batch (§8.7.1).

In training, batch normalization replaces each unit's pre-activation h by
(h − μ_B) / √(σ²_B + δ), with μ_B and σ²_B the mean and variance over the minibatch B, so that
a prediction depends on the other examples of its batch. The book: at test time μ and σ are
replaced by running averages collected during training, so that the model can be evaluated on
a single example. ``nn.BatchNorm1d`` keeps them (``running_mean``, ``running_var``) and uses
them in ``eval()`` mode; in ``train()`` mode it normalizes with the batch's own statistics, and
a batch of one example, which has no variance, is refused.

A ReLU network 64-64-64-10 with batch normalization on both hidden layers is trained on the
digits (SGD with momentum, 15 epochs, minibatches of 32; initialization and order from
``--seed``). Then the 359 test digits (shuffled with the seed) are classified in batches of 2
to 359 (whole batches only, so a few rows at the end may be left out), once with the running averages (eval mode) and once with each test batch's statistics
(train mode; the running averages are saved before and restored after, so they stay as
training left them).

What the learner should see: the eval-mode line is flat at the network's accuracy for every
batch size (one example at a time included); with batch statistics the accuracy drops for
small batches, the more the smaller, and reaches the eval-mode value only for large ones. The
running averages sit close to the statistics of the whole training set.

    python examples/batch_norm_inference.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import train_classifier

TEST_BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 359)


def predictions(model: nn.Module, X, batch_size: int) -> np.ndarray:
    """The arg-max class of the rows of X fed ``batch_size`` at a time, in whole batches only
    (a last batch of one row would have no variance in train mode)."""
    whole = len(X) - len(X) % batch_size
    with tg.no_grad():
        return np.concatenate(
            [
                model(tg.Tensor(X[start : start + batch_size])).numpy().argmax(axis=1)
                for start in range(0, whole, batch_size)
            ]
        )


def accuracy(model: nn.Module, X, y, batch_size: int) -> float:
    guesses = predictions(model, X, batch_size)
    return float((guesses == y[: len(guesses)]).mean())


def batch_statistics_accuracy(model: nn.Module, X, y, batch_size: int) -> float:
    """Test accuracy with each batch normalized by its own statistics (train mode)."""
    saved = model.state_dict()
    model.train()
    result = accuracy(model, X, y, batch_size)
    model.load_state_dict(saved)  # the batches above moved the running averages
    model.eval()
    return result


def layer_inputs(model: nn.Module, X) -> list[np.ndarray]:
    """What each BatchNorm1d layer receives on X (eval mode, all rows at once)."""
    captured = []
    handles = [
        layer.register_forward_hook(
            lambda module, inputs, output: captured.append(inputs[0].numpy())
        )
        for layer in model.modules()
        if isinstance(layer, nn.BatchNorm1d)
    ]
    with tg.no_grad():
        model(tg.Tensor(X))
    for handle in handles:
        handle.remove()
    return captured


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    X, y = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    order = np.random.default_rng(args.seed).permutation(len(y_test))
    X_test, y_test = X_test[order], y_test[order]
    model = nn.mlp(64, [64, 64], 10, batch_norm=True, rng=args.seed)
    loader = data.DataLoader(X, y, batch_size=32, rng=args.seed)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train_classifier(model, optimizer, loader, 3 if args.fast else 15)
    model.eval()

    one_at_a_time = predictions(model, X_test, 1)
    all_at_once = predictions(model, X_test, len(y_test))
    eval_accuracy = float((all_at_once == y_test).mean())
    claims.check(
        "eval_mode_ignores_the_batch",
        f"eval mode: {np.sum(one_at_a_time != all_at_once)} of {len(y_test)} test predictions "
        f"change between batches of 1 and of {len(y_test)} (need 0); accuracy {eval_accuracy:.1%}",
        np.array_equal(one_at_a_time, all_at_once),
    )
    model.train()
    try:
        model(tg.Tensor(X_test[:1]))
        refused = False
    except ValueError:
        refused = True
    model.eval()
    claims.check(
        "batch_of_one_needs_running_averages",
        f"train mode on a batch of 1 {'raises' if refused else 'does not raise'} an error (need "
        f"it to: one example has no variance); eval mode classifies one at a time",
        refused,
    )

    eval_accuracies = [accuracy(model, X_test, y_test, b) for b in TEST_BATCH_SIZES]
    batch_accuracies = [
        batch_statistics_accuracy(model, X_test, y_test, b) for b in TEST_BATCH_SIZES
    ]
    for size, batch, running in zip(
        TEST_BATCH_SIZES, batch_accuracies, eval_accuracies, strict=True
    ):
        print(
            f"  test batches of {size:3d}: batch statistics {batch:.1%}, running averages {running:.1%}"
        )

    if not claims.needs_full_run("small_batches_hurt", "the network trained for 15 epochs"):
        small = batch_accuracies[TEST_BATCH_SIZES.index(2)]
        claims.check(
            "small_batches_hurt",
            f"accuracy with the statistics of test batches of 2: {small:.1%} vs running averages "
            f"{eval_accuracies[0]:.1%} on the same rows (need at least 20 points lower)",
            small < eval_accuracies[0] - 0.2,
        )
        full = batch_accuracies[-1]
        claims.check(
            "large_batches_agree",
            f"with the whole test set as one batch: {full:.1%} vs running averages "
            f"{eval_accuracies[-1]:.1%} (need within 3 points)",
            abs(full - eval_accuracies[-1]) <= 0.03,
        )
        gaps = []
        for layer, h in zip(
            [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)],
            layer_inputs(model, X),
            strict=True,
        ):
            std = h.std(axis=0) + 1e-3
            gaps.append(np.abs(layer.running_mean.numpy() - h.mean(axis=0)).max() / std.max())
            gaps.append(
                np.abs(np.sqrt(layer.running_var.numpy()) - h.std(axis=0)).max() / std.max()
            )
        claims.check(
            "running_averages_estimate_the_population",
            f"largest gap between the running mean (std) and the training set's mean (std) of a "
            f"unit's input, over both layers, in units of the largest std: {max(gaps):.3f} (need < 0.2)",
            max(gaps) < 0.2,
        )

    figure, axis = plt.subplots(figsize=(8, 5))
    axis.semilogx(
        TEST_BATCH_SIZES,
        [100 * a for a in eval_accuracies],
        "o-",
        color="tab:blue",
        label="eval mode: running averages",
    )
    axis.semilogx(
        TEST_BATCH_SIZES,
        [100 * a for a in batch_accuracies],
        "s-",
        color="tab:red",
        label="train mode: each test batch's own statistics",
    )
    axis.axhline(10, color="grey", ls=":", lw=1, label="chance (10 %)")
    axis.set(
        title="Batch normalization at test time (359 test digits)",
        ylim=(0, 100),
        xlabel="test batch size (examples, log scale)",
        ylabel="test accuracy (%)",
    )
    axis.set_xticks(TEST_BATCH_SIZES, [str(b) for b in TEST_BATCH_SIZES])
    axis.legend(loc="lower right", fontsize=9)
    save_figure(figure, args, "batch_norm_inference")
    claims.finish()


if __name__ == "__main__":
    main()
