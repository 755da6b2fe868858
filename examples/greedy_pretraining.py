"""Greedy supervised pretraining against training from scratch (§8.7.4), on the bundled digits.

The network: 64 inputs, five hidden layers of 64 sigmoid units, 10 outputs. Trained from
scratch with SGD and momentum, it sits on the plateau of a saturated deep sigmoid network
(loss ≈ log 10, chance accuracy) for many epochs. Greedy supervised pretraining trains one
hidden layer at a time with a temporary output layer, on the outputs of the frozen layers
below, and then fine-tunes the whole network: every stage is a shallow, easy problem, and the
deep network starts its joint training from a good point.

    python examples/greedy_pretraining.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import nn, optim  # noqa: E402
from tinygrad_ch8.data import DataLoader, load_digits  # noqa: E402
from tinygrad_ch8.strategies import greedy_pretrain  # noqa: E402
from tinygrad_ch8.training import train_classifier  # noqa: E402

WIDTH, N_CLASSES, BATCH = 64, 10, 64


def sigmoid_blocks(depth: int, seed: int):
    """The hidden layers h_1 … h_depth, each Linear + Sigmoid, from one seed (so both runs start alike)."""
    tg.manual_seed(seed)
    sizes = [64] + [WIDTH] * depth
    return [
        nn.Sequential(nn.Linear(m, n), nn.Sigmoid()) for m, n in zip(sizes, sizes[1:], strict=False)
    ]


def make_optimizer(params):
    return optim.SGD(params, lr=0.1, momentum=0.9)


def main():
    args = parse_args(__doc__)
    depth = 3 if args.fast else 5
    epochs_per_layer = 3 if args.fast else 8
    fine_tune_epochs = 4 if args.fast else 20
    scratch_epochs = (
        depth * epochs_per_layer + fine_tune_epochs
    )  # as many passes over the data in all
    X_train, y_train = load_digits("train")
    test = load_digits("test")

    blocks = sigmoid_blocks(depth, seed=0)
    tg.manual_seed(1)
    scratch_model = nn.Sequential(*blocks, nn.Linear(WIDTH, N_CLASSES))
    scratch = train_classifier(
        scratch_model,
        make_optimizer(scratch_model.parameters()),
        DataLoader(X_train, y_train, batch_size=BATCH, rng=0),
        scratch_epochs,
        test_data=test,
    )
    pretrained = greedy_pretrain(
        sigmoid_blocks(depth, seed=0),
        X_train,
        y_train,
        N_CLASSES,
        epochs_per_layer,
        make_optimizer,
        fine_tune_epochs=fine_tune_epochs,
        batch_size=BATCH,
        rng=0,
        test_data=test,
    )

    print(f"{depth} hidden sigmoid layers of {WIDTH} units on the digits; SGD lr 0.1, momentum 0.9")
    for k, history in enumerate(pretrained.stage_histories, start=1):
        print(
            f"  greedy stage {k}: layer {k} + temporary head, {epochs_per_layer} epochs -> "
            f"test accuracy {history.test_accuracy[-1]:.3f}"
        )
    greedy_curve = [a for h in pretrained.stage_histories for a in h.test_accuracy]
    fine_tuned = pretrained.fine_tune_history.test_accuracy
    print(
        f"  fine-tuning all layers, {fine_tune_epochs} epochs -> test accuracy {fine_tuned[-1]:.3f}"
    )
    print(
        f"  from scratch, {scratch_epochs} epochs -> test accuracy {scratch.test_accuracy[-1]:.3f} "
        f"(training loss {scratch.epoch_loss[-1]:.3f}; log 10 = {np.log(10):.3f} is chance)"
    )
    greedy_seconds = (
        sum(h.seconds[-1] for h in pretrained.stage_histories)
        + (pretrained.fine_tune_history.seconds[-1])
    )
    print(
        f"Finding: after the same {scratch_epochs} passes over the data, greedy pretraining + fine-tuning "
        f"reaches {fine_tuned[-1]:.1%} test accuracy ({greedy_seconds:.1f} s), the deep sigmoid network "
        f"trained from scratch {scratch.test_accuracy[-1]:.1%} ({scratch.seconds[-1]:.1f} s)."
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    for k, history in enumerate(
        pretrained.stage_histories
    ):  # one segment per stage: each has a new head
        left.plot(
            k * epochs_per_layer + np.arange(1, epochs_per_layer + 1),
            history.test_accuracy,
            color="tab:blue",
            label="greedy stages (layer k + temporary head)" if k == 0 else None,
        )
    left.plot(
        len(greedy_curve) + np.arange(1, len(fine_tuned) + 1), fine_tuned, label="joint fine-tuning"
    )
    left.plot(np.arange(1, scratch_epochs + 1), scratch.test_accuracy, label="from scratch")
    for k in range(1, depth):
        left.axvline(k * epochs_per_layer + 0.5, color="tab:gray", linewidth=0.5)
    left.set_xlabel("epoch (grey lines: next greedy stage)")
    left.set_ylabel("test accuracy")
    left.set_title(f"{depth}-layer sigmoid network on the digits")
    left.legend()
    right.plot(np.arange(1, scratch_epochs + 1), scratch.epoch_loss, label="from scratch")
    right.plot(
        len(greedy_curve) + np.arange(1, len(fine_tuned) + 1),
        pretrained.fine_tune_history.epoch_loss,
        label="fine-tuning after greedy pretraining",
    )
    right.set_xlabel("epoch")
    right.set_ylabel("training loss (cross-entropy)")
    right.set_title("training loss of the whole network")
    right.legend()
    save_figure(figure, args, "greedy_pretraining")


if __name__ == "__main__":
    main()
