"""Greedy supervised pretraining against training from scratch (§8.7.4), on the bundled digits.

The network: 64 inputs, five hidden layers of 32 sigmoid units, 10 outputs. Trained from
scratch with SGD and momentum, it sits on the plateau of a saturated deep sigmoid network
(loss ≈ ln 10, chance accuracy). Greedy supervised pretraining trains one hidden layer at a
time with a temporary output layer, on the outputs of the frozen layers below, and then
fine-tunes the whole network: every stage is a shallow, easy problem, and the deep network
starts its joint training from a good point. Every run gets the same budget, 21 passes over the
training data (3 per greedy stage and 6 of fine-tuning; a greedy pass is cheaper, since only one
layer and its head are trained).

The plateau belongs to the optimizer as much as to the network: Adam, trained from scratch with
the same budget, rescales each weight's step by its own gradient history and leaves the plateau
without any pretraining. So the example compares three runs, each at its best learning rate of a
log grid (lowest final training loss; each best strictly inside its grid, checked): SGD from
scratch, greedy pretraining with the same SGD, and Adam from scratch. SGD from scratch is held to
every learning rate of its grid, since it stays on the plateau at all of them. Initialization
and minibatch order come from ``--seed``.

What the learner should see: in both panels the SGD-from-scratch line stays flat at chance, the
greedy stages (each a new temporary head) climb stage by stage and fine-tuning continues from
there, and Adam from scratch climbs as far without any pretraining. The claims (full run only,
except the first):

- ``sgd_scratch_stuck``: SGD from scratch ends with training loss above 2.2 (chance is 2.30) at
  every learning rate of its grid (in the fast run: at the one learning rate it tries).
- ``greedy_tuned``, ``adam_scratch_tuned``: the best learning rates lie strictly inside the grids.
- ``greedy_beats_sgd_scratch``: greedy pretraining's test accuracy exceeds SGD from scratch's by
  more than 50 points.
- ``adam_scratch_escapes_plateau``: Adam from scratch, with no pretraining, also exceeds SGD from
  scratch by more than 50 points: pretraining is one way past the plateau, not the only one.
- ``adam_scratch_close_to_greedy``: Adam from scratch and greedy pretraining end closer to each
  other than a tenth of what pretraining gains over SGD from scratch (about 85 points): next to
  the plateau, the choice between pretraining and an adaptive optimizer matters little. Over
  seeds 0-9 Adam minus greedy ranged from −3.1 to +3.1 points on one machine and from −6.1 to
  +3.6 on another (its BLAS rounds the products differently): greedy is often ahead by a few
  points, but not on every seed.

    python examples/greedy_pretraining.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.data import DataLoader, load_digits
from tinygrad_ch8.strategies import greedy_pretrain
from tinygrad_ch8.training import train_classifier

DEPTH, WIDTH, N_CLASSES, BATCH = 5, 32, 10, 64
EPOCHS_PER_LAYER, FINE_TUNE_EPOCHS = 3, 6
PASSES = DEPTH * EPOCHS_PER_LAYER + FINE_TUNE_EPOCHS  # the budget of every run
SGD_RATES = [0.1, 0.3, 1.0]  # SGD from scratch
GREEDY_RATES = [0.1, 0.3, 1.0, 3.0]  # the same SGD in the greedy stages and fine-tuning
ADAM_RATES = [3e-3, 1e-2, 3e-2, 1e-1]
CHANCE_LOSS = np.log(N_CLASSES)
COLOURS = {
    "SGD from scratch": "tab:gray",
    "greedy stages": "tab:green",
    "fine-tuning after greedy": "tab:blue",
    "Adam from scratch": "tab:orange",
}


def sigmoid_blocks(seed: int):
    """The hidden layers h_1 … h_DEPTH, each Linear + Sigmoid, from one seed (every run starts alike)."""
    tg.manual_seed(seed)
    sizes = [64] + [WIDTH] * DEPTH
    return [
        nn.Sequential(nn.Linear(m, n), nn.Sigmoid()) for m, n in zip(sizes, sizes[1:], strict=False)
    ]


def sgd(lr: float):
    return lambda params: optim.SGD(params, lr=lr, momentum=0.9)


def from_scratch(make_optimizer, seed: int, train_data, test_data):
    """The whole network trained jointly for PASSES epochs: its History."""
    model = nn.Sequential(*sigmoid_blocks(seed), nn.Linear(WIDTH, N_CLASSES))
    loader = DataLoader(*train_data, batch_size=BATCH, rng=seed)
    return train_classifier(
        model, make_optimizer(model.parameters()), loader, PASSES, test_data=test_data
    )


def greedy(lr: float, seed: int, train_data, test_data):
    """Greedy pretraining then fine-tuning, with SGD at ``lr``: the PretrainingResult."""
    return greedy_pretrain(
        sigmoid_blocks(seed),
        *train_data,
        N_CLASSES,
        EPOCHS_PER_LAYER,
        sgd(lr),
        fine_tune_epochs=FINE_TUNE_EPOCHS,
        batch_size=BATCH,
        rng=seed,
        test_data=test_data,
    )


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    train_data, test_data = load_digits("train"), load_digits("test")

    sgd_grid = SGD_RATES[1:2] if args.fast else SGD_RATES
    scratch = {lr: from_scratch(sgd(lr), args.seed, train_data, test_data) for lr in sgd_grid}
    final_losses = [history.epoch_loss[-1] for history in scratch.values()]
    claims.check(
        "sgd_scratch_stuck",
        f"SGD from scratch after {PASSES} passes: training loss "
        + ", ".join(
            f"{loss:.3f} (lr {lr:g})" for lr, loss in zip(sgd_grid, final_losses, strict=True)
        )
        + f" (need all > 2.2; chance {CHANCE_LOSS:.2f})",
        min(final_losses) > 2.2,
    )
    sgd_lr = sgd_grid[int(np.argmin(final_losses))]

    if args.fast:
        greedy_lr, adam_lr = GREEDY_RATES[1], ADAM_RATES[1]
        pretrained = greedy(greedy_lr, args.seed, train_data, test_data)
        adam = from_scratch(
            lambda params: optim.Adam(params, lr=adam_lr), args.seed, train_data, test_data
        )
        for name in ("greedy_tuned", "adam_scratch_tuned"):
            claims.needs_full_run(name, "the learning rate grid")
    else:
        runs = {lr: greedy(lr, args.seed, train_data, test_data) for lr in GREEDY_RATES}
        scores = [run.fine_tune_history.epoch_loss[-1] for run in runs.values()]
        greedy_lr = best_on_grid(claims, "greedy", GREEDY_RATES, scores, what="SGD lr (final loss)")
        pretrained = runs[greedy_lr]
        adam_runs = {
            lr: from_scratch(
                lambda params, lr=lr: optim.Adam(params, lr=lr), args.seed, train_data, test_data
            )
            for lr in ADAM_RATES
        }
        scores = [history.epoch_loss[-1] for history in adam_runs.values()]
        adam_lr = best_on_grid(
            claims, "adam_scratch", ADAM_RATES, scores, what="Adam lr (final loss)"
        )
        adam = adam_runs[adam_lr]

    accuracy = {
        "SGD from scratch": scratch[sgd_lr].test_accuracy[-1],
        "greedy": pretrained.fine_tune_history.test_accuracy[-1],
        "Adam from scratch": adam.test_accuracy[-1],
    }
    statement = (
        f"test accuracy after {PASSES} passes: greedy {100 * accuracy['greedy']:.1f}% (SGD lr "
        f"{greedy_lr:g}), SGD from scratch {100 * accuracy['SGD from scratch']:.1f}% (need > +50 "
        f"points)"
    )
    if not claims.needs_full_run("greedy_beats_sgd_scratch", statement):
        claims.check(
            "greedy_beats_sgd_scratch",
            statement,
            accuracy["greedy"] > accuracy["SGD from scratch"] + 0.5,
        )
    statement = (
        f"test accuracy: Adam from scratch {100 * accuracy['Adam from scratch']:.1f}% (lr "
        f"{adam_lr:g}), SGD from scratch {100 * accuracy['SGD from scratch']:.1f}% (need > +50 "
        f"points)"
    )
    if not claims.needs_full_run("adam_scratch_escapes_plateau", statement):
        claims.check(
            "adam_scratch_escapes_plateau",
            statement,
            accuracy["Adam from scratch"] > accuracy["SGD from scratch"] + 0.5,
        )
    gap = accuracy["Adam from scratch"] - accuracy["greedy"]
    pretraining_gain = accuracy["greedy"] - accuracy["SGD from scratch"]
    statement = (
        f"test accuracy: Adam from scratch {100 * accuracy['Adam from scratch']:.1f}%, greedy "
        f"{100 * accuracy['greedy']:.1f}%: {100 * gap:+.1f} points, against the "
        f"{100 * pretraining_gain:.1f} points greedy gains over SGD from scratch (need |gap| below "
        "a tenth of that)"
    )
    if not claims.needs_full_run("adam_scratch_close_to_greedy", statement):
        claims.check("adam_scratch_close_to_greedy", statement, abs(gap) < 0.1 * pretraining_gain)

    passes = np.arange(1, PASSES + 1)
    fine_tune_passes = DEPTH * EPOCHS_PER_LAYER + np.arange(1, FINE_TUNE_EPOCHS + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    left.plot(
        passes,
        scratch[sgd_lr].test_accuracy,
        color=COLOURS["SGD from scratch"],
        label=f"SGD from scratch (lr {sgd_lr:g})",
    )
    for k, history in enumerate(pretrained.stage_histories):  # each stage has its own head
        left.plot(
            k * EPOCHS_PER_LAYER + np.arange(1, EPOCHS_PER_LAYER + 1),
            history.test_accuracy,
            color=COLOURS["greedy stages"],
            marker="o",
            label=f"greedy stages (layer k + temporary head, SGD lr {greedy_lr:g})"
            if k == 0
            else None,
        )
    left.plot(
        fine_tune_passes,
        pretrained.fine_tune_history.test_accuracy,
        color=COLOURS["fine-tuning after greedy"],
        label="fine-tuning after greedy",
    )
    left.plot(
        passes,
        adam.test_accuracy,
        color=COLOURS["Adam from scratch"],
        label=f"Adam from scratch (lr {adam_lr:g})",
    )
    for k in range(1, DEPTH):
        left.axvline(k * EPOCHS_PER_LAYER + 0.5, color="tab:gray", linewidth=0.5, linestyle=":")
    left.set_xlabel("passes over the training data (dotted: next greedy stage)")
    left.set_ylabel("test accuracy")
    left.set_title(f"{DEPTH} sigmoid hidden layers of {WIDTH} units, the same budget for each")
    left.legend(fontsize="small", loc="center right")
    right.plot(
        passes,
        scratch[sgd_lr].epoch_loss,
        color=COLOURS["SGD from scratch"],
        label="SGD from scratch",
    )
    for k, history in enumerate(pretrained.stage_histories):
        right.plot(
            k * EPOCHS_PER_LAYER + np.arange(1, EPOCHS_PER_LAYER + 1),
            history.epoch_loss,
            color=COLOURS["greedy stages"],
            marker="o",
            label="greedy stages (with their temporary head)" if k == 0 else None,
        )
    right.plot(
        fine_tune_passes,
        pretrained.fine_tune_history.epoch_loss,
        color=COLOURS["fine-tuning after greedy"],
        label="fine-tuning after greedy",
    )
    right.plot(
        passes, adam.epoch_loss, color=COLOURS["Adam from scratch"], label="Adam from scratch"
    )
    right.axhline(CHANCE_LOSS, color="black", linestyle=":", linewidth=0.8, label="chance (ln 10)")
    right.set_yscale("log")
    right.set_xlabel("passes over the training data")
    right.set_ylabel("training cross-entropy (log scale)")
    right.set_title("training loss (greedy stages: layers 1..k with their temporary head)")
    right.legend(fontsize="small")
    save_figure(figure, args, "greedy_pretraining")
    claims.finish()


if __name__ == "__main__":
    main()
