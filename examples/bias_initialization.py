"""Output bias from the class frequencies on unbalanced digits (§8.4, choosing the biases).

The book: set the output bias so that, with small output weights, the network predicts the
marginal class distribution p from the start. For a softmax, softmax(b) = p gives b_c = log p_c
(``init.output_bias_from_frequencies``); the first cross-entropy is then the entropy
H(p) = −Σ p_c log p_c instead of about log 10, and the network need not spend its first steps
learning the class frequencies.

Here the training digits are made unbalanced (class frequencies falling by a factor 0.5 from
one class to the next, the order of the classes drawn from ``--seed``), and a ReLU network
64-64-10 whose output weights start at a tenth of Glorot's scale is trained for one epoch of
SGD (batch 32) with a zero output bias and with b = log p. Each is given its own learning rate
from a log grid (score: the mean training loss over the epoch), and every number is the mean
of 5 networks (initializations and minibatch orders drawn from the seed).

What the learner should see: the log-frequency start begins at H(p) (the dashed line), the
zero-bias start at about log 10 and spends the first steps catching up; at small learning
rates it is still behind after one epoch. The gain is a head start: at a well-tuned learning
rate the losses after one epoch are close (the right panel), and which is lower changes from
seed to seed.

    python examples/bias_initialization.py [--fast] [--seed N] [--out DIR]
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, init, nn, optim
from tinygrad_ch8.training import train_classifier

FREQUENCY_RATIO = 0.5  # class k keeps this power k of its examples
OUTPUT_WEIGHT_SCALE = 0.1  # small output weights, so that the bias alone sets the first prediction
LEARNING_RATES = (0.03, 0.1, 0.3, 1.0, 3.0)
STARTS = ("zero bias", "log-frequency bias")


def unbalanced_digits(rng: np.random.Generator):
    """The training digits with class k (in an order drawn from rng) cut to ratio^k of its examples."""
    X, y = data.load_digits("train")
    keep = []
    for rank, digit in enumerate(rng.permutation(10)):
        rows = np.flatnonzero(y == digit)
        count = max(2, round(len(rows) * FREQUENCY_RATIO**rank))
        keep.append(rng.choice(rows, count, replace=False))
    keep = rng.permutation(np.concatenate(keep))
    return X[keep], y[keep]


def network(start: str, y, seed: int) -> nn.Module:
    model = nn.mlp(64, [64], 10, rng=seed)
    output = model.layers[-1]
    output.weight.data *= OUTPUT_WEIGHT_SCALE
    if start == "log-frequency bias":
        output.bias.data[:] = init.output_bias_from_frequencies(y, 10)
    return model


def loss_on(model: nn.Module, X, y) -> float:
    with tg.no_grad():
        return F.cross_entropy(model(tg.Tensor(X)), y).item()


def one_epoch(start: str, lr: float, X, y, seeds) -> dict:
    """Mean over the networks of: the loss per step, the loss before and after one epoch."""
    curves, before, after = [], [], []
    for seed in seeds:
        model = network(start, y, seed)
        before.append(loss_on(model, X, y))
        loader = data.DataLoader(X, y, batch_size=32, rng=seed)
        history = train_classifier(model, optim.SGD(model.parameters(), lr=lr), loader, 1)
        curves.append(history.step_loss)
        after.append(loss_on(model, X, y))
    curve = np.mean(curves, axis=0)
    return {
        "curve": curve,
        "epoch_mean": float(curve.mean()),
        "before": np.mean(before),
        "after": float(np.mean(after)),
    }


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    rng = np.random.default_rng(args.seed)
    X, y = unbalanced_digits(rng)
    p = np.bincount(y, minlength=10) / len(y)
    entropy = float(-(p * np.log(p)).sum())
    seeds = [int(s) for s in rng.integers(0, 2**31, size=2 if args.fast else 5)]
    print(f"{len(y)} training digits, class frequencies {np.round(np.sort(p)[::-1], 3)}")

    runs = {start: [one_epoch(start, lr, X, y, seeds) for lr in LEARNING_RATES] for start in STARTS}
    zero, logp = runs["zero bias"][0]["before"], runs["log-frequency bias"][0]["before"]
    claims.check(
        "initial_loss_is_entropy",
        f"first loss with b = log p {logp:.4f} vs entropy H(p) {entropy:.4f} (need |diff| < 0.02); "
        f"zero bias {zero:.3f} (need > H + 0.5, log 10 = {math.log(10):.3f})",
        abs(logp - entropy) < 0.02 and zero > entropy + 0.5,
    )
    best = {}
    for start in STARTS:
        scores = [run["epoch_mean"] for run in runs[start]]
        lr = best_on_grid(claims, start.replace(" ", "_").replace("-", "_"), LEARNING_RATES, scores)
        best[start] = runs[start][LEARNING_RATES.index(lr)]
        print(f"  {start}: best lr {lr:g}, loss after one epoch {best[start]['after']:.3f}")
    head_start = best["zero bias"]["epoch_mean"] - best["log-frequency bias"]["epoch_mean"]
    smallest = runs["zero bias"][0]["after"] - runs["log-frequency bias"][0]["after"]
    if not claims.needs_full_run("head_start", "mean loss over the first epoch, tuned lr each"):
        claims.check(
            "head_start",
            f"mean training loss over the first epoch at each one's tuned lr: zero bias "
            f"{best['zero bias']['epoch_mean']:.3f} vs log p "
            f"{best['log-frequency bias']['epoch_mean']:.3f} (need log p lower by > 0.05)",
            head_start > 0.05,
        )
        claims.check(
            "ahead_after_one_epoch_at_small_lr",
            f"after one epoch at lr {LEARNING_RATES[0]:g}, zero bias minus log p: {smallest:+.3f} "
            f"(need > 0.2)",
            smallest > 0.2,
        )

    figure, (curves, sweep) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = {"zero bias": "tab:red", "log-frequency bias": "tab:blue"}
    for start in STARTS:
        curve = best[start]["curve"]
        curves.plot(np.arange(1, len(curve) + 1), curve, color=colours[start], label=start)
        sweep.plot(
            LEARNING_RATES,
            [r["after"] for r in runs[start]],
            "o-",
            color=colours[start],
            label=start,
        )
    curves.axhline(entropy, color="k", ls="--", lw=1, label=f"entropy H(p) = {entropy:.2f} nats")
    curves.axhline(math.log(10), color="grey", ls=":", lw=1, label="log 10 (uniform prediction)")
    curves.set(
        title="First epoch at each start's tuned learning rate",
        xlabel="SGD step",
        ylabel="minibatch cross-entropy (nats)",
    )
    curves.legend(loc="lower left", fontsize=8)
    sweep.set(
        xscale="log",
        title="Loss after one epoch against the learning rate",
        xlabel="learning rate ε",
        ylabel="training cross-entropy after 1 epoch (nats)",
    )
    sweep.legend(loc="upper left", fontsize=8)
    figure.suptitle(f"Unbalanced digits ({len(y)} examples): output bias b = log p vs b = 0")
    save_figure(figure, args, "bias_initialization")
    claims.finish()


if __name__ == "__main__":
    main()
