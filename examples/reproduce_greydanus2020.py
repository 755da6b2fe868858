"""Greydanus 2020, "Scaling down deep learning" (MNIST-1D), Fig. 2's table of test accuracies.

MNIST-1D turns each digit 0–9 into a 1-D template of 12 points, then pads, shifts, shears,
scales, blurs and adds noise, giving signals of length 40 that a linear model mostly cannot
separate but a network with spatial structure can: the paper reports 32% test accuracy for
logistic regression, 68% for an MLP, 94% for a CNN. A small dataset on which model choices
visibly matter, as digits on 8×8 pixels no longer do.

What differs here: the two models without spatial structure only (no CNN or GRU), trained
by Adam (α = 1e-2, minibatches of 100) for 40 epochs instead of the paper's 6,000 steps
(60 epochs of 4,000 signals would take a minute here); ``--fast`` makes 1,000 signals only; the data are the paper's own
(the ``mnist1d`` package, its default 4,000/1,000 split, generation seed 42), while
``--seed`` seeds the weights and the minibatch order. What the learner should see: the
linear model stuck near a third and the MLP's test accuracy rising to about two thirds
while its training accuracy keeps climbing (it overfits: 4,000 signals).

Needs the ``mnist1d`` package: ``pip install mnist1d`` (or ``pip install tinygrad-ch8[papers]``);
without it the script says so and exits 0.

    python examples/reproduce_greydanus2020.py [--fast] [--seed N] [--out DIR]
"""

import importlib.util

import matplotlib.pyplot as plt
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import train_classifier

MISSING = "this example needs the mnist1d package: pip install mnist1d (or tinygrad-ch8[papers])"
PAPER = {"logistic regression": 0.32, "MLP": 0.68}
BAND = 0.04
HIDDEN = 256  # the paper's MLP: 40 → 256 → 256 → 10, ReLU


def model_of(name: str, seed: int) -> nn.Module:
    tg.manual_seed(seed)
    if name == "logistic regression":
        return nn.Linear(40, 10)
    return nn.Sequential(
        nn.Linear(40, HIDDEN, init="he_uniform"),
        nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN, init="he_uniform"),
        nn.ReLU(),
        nn.Linear(HIDDEN, 10),
    )


def main():
    args = parse_args(__doc__)
    if importlib.util.find_spec("mnist1d") is None:
        print(MISSING)
        return
    claims = Claims(args.fast)
    samples = 1000 if args.fast else 5000  # generating the signals takes most of the time
    X, y = data.mnist1d("train", num_samples=samples)
    X_test, y_test = data.mnist1d("test", num_samples=samples)
    epochs = 40
    names = ["logistic regression"] if args.fast else list(PAPER)
    figure, ax = plt.subplots(figsize=(6.5, 4.2))
    for name in names:
        model = model_of(name, args.seed)
        loader = data.DataLoader(X, y, batch_size=100, rng=args.seed)
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        history = train_classifier(model, optimizer, loader, epochs, test_data=(X_test, y_test))
        final = history.test_accuracy[-1]
        line = ax.plot(range(1, epochs + 1), history.test_accuracy, label=f"{name}, test")[0]
        ax.plot(
            range(1, epochs + 1),
            history.train_accuracy,
            linestyle=":",
            color=line.get_color(),
            label="training",
        )
        ax.axhline(PAPER[name], color=line.get_color(), linestyle="--", linewidth=0.8)
        claims.check(
            f"{name.replace(' ', '_').lower()}_accuracy",
            f"{name} test accuracy after {epochs} epochs {100 * final:.1f}% "
            f"(paper {100 * PAPER[name]:.0f}%, need within ±{100 * BAND:.0f} points)",
            abs(final - PAPER[name]) <= BAND,
        )
    if args.fast:
        claims.needs_full_run("mlp_accuracy", "the MLP's accuracy needs the full run")
    ax.set(xlabel="epoch", ylabel="accuracy", title="MNIST-1D: dashed lines, the paper's numbers")
    ax.legend(fontsize=8)
    save_figure(figure, args, "reproduce_greydanus2020")
    claims.finish()


if __name__ == "__main__":
    main()
