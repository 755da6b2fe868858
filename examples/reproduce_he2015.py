"""He, Zhang, Ren & Sun 2015, "Delving deep into rectifiers", section 2.2 and Fig. 3.

The paper's Fig. 3 trains a 30-layer ReLU network: with Glorot's initialization
(Var W = 1/n for square layers) it "completely stalls", with theirs (Var W = 2/n) it trains.
The reason is one line of arithmetic: a ReLU zeroes half of its input, so
E[relu(h)²] = Var(h)/2, and each layer multiplies the activations' second moment by
n Var(W)/2, which is 1/2 with Glorot's scale and 1 with He's. After 30 layers Glorot's
activations are 2^-15 ≈ 3e-5 times smaller; the gradients that flow back shrink alike.

What differs here: the bundled 8×8 digits instead of ImageNet, an MLP of 30 ReLU layers of
width 64 (no convolutions), zero biases, plain minibatch SGD for a few epochs, each
initialization at the best learning rate of the same grid. What the learner should see:
the activation std falling by about 1/√2 per layer (3e-5 at the top) with Glorot's init and staying level
with He's; the Glorot network's training loss stuck at ln 10 (chance), He's falling.

    python examples/reproduce_he2015.py [--fast] [--seed N] [--out DIR]
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import Diverged, train_classifier

DEPTH, WIDTH = 30, 64
INITS = {"Glorot (Var W = 1/n)": "glorot_normal", "He (Var W = 2/n)": "he_normal"}
LEARNING_RATES = [0.003, 0.01, 0.03, 0.1]
CHANCE_LOSS = math.log(10)


def relu_network(init: str, seed: int) -> nn.Sequential:
    tg.manual_seed(seed)
    layers = []
    for m in [64] + [WIDTH] * (DEPTH - 1):
        layers += [nn.Linear(m, WIDTH, init=init), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10, init="glorot_normal"))


def activation_stds(model: nn.Sequential, X) -> list[float]:
    """The std of each ReLU layer's output on the batch X, bottom to top."""
    stds, h = [], tg.Tensor(X)
    with tg.no_grad():
        for layer in model.layers:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                stds.append(float(h.numpy().std()))
    return stds


def train(init: str, lr: float, epochs: int, seed: int, X, y) -> list[float]:
    """The mean training loss of each epoch (inf from a diverged epoch on)."""
    model = relu_network(init, seed)
    loader = data.DataLoader(X, y, batch_size=32, rng=seed)
    try:
        history = train_classifier(model, optim.SGD(model.parameters(), lr=lr), loader, epochs)
    except Diverged:
        return [math.inf] * epochs
    return history.epoch_loss


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    X, y = data.load_digits("train")
    (X,) = data.standardize(X)
    stds = {
        name: activation_stds(relu_network(init, args.seed), X[:512])
        for name, init in INITS.items()
    }
    glorot_std, he_std = stds["Glorot (Var W = 1/n)"][-1], stds["He (Var W = 2/n)"][-1]
    claims.check(
        "glorot_top_activation_vanishes",
        f"layer-{DEPTH} activation std at init {glorot_std:.1e} with Glorot (need < 1e-3), "
        f"{he_std:.2f} with He (need > 0.1)",
        glorot_std < 1e-3 and he_std > 0.1,
    )

    figure, (ax_std, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, values in stds.items():
        ax_std.semilogy(range(1, DEPTH + 1), values, marker=".", label=name)
    ax_std.set(xlabel="ReLU layer", ylabel="activation std at initialization (log)")
    ax_std.set_title("forward signal through 30 ReLU layers")
    ax_std.legend()

    epochs = 1 if args.fast else 5
    learning_rates = LEARNING_RATES[2:3] if args.fast else LEARNING_RATES
    finals = {}
    for name, init in INITS.items():
        curves = [train(init, lr, epochs, args.seed, X, y) for lr in learning_rates]
        finals[name] = [curve[-1] for curve in curves]
        best = int(np.argmin(finals[name]))
        ax_loss.plot(
            range(1, epochs + 1),
            curves[best],
            marker="o",
            label=f"{name}, lr {learning_rates[best]}",
        )
    ax_loss.axhline(CHANCE_LOSS, color="grey", linestyle=":", label="ln 10 (chance)")
    ax_loss.set(
        xlabel="epoch", ylabel="mean training loss", title="SGD on the digits, best lr of a grid"
    )
    ax_loss.legend()
    save_figure(figure, args, "reproduce_he2015")

    glorot_best = min(finals["Glorot (Var W = 1/n)"])
    if not claims.needs_full_run(
        "glorot_stalls_he_trains",
        f"after {epochs} epochs Glorot's best loss must stay within 0.02 of ln 10 and He's end at least 0.3 below it",
    ):
        best_on_grid(claims, "he", learning_rates, finals["He (Var W = 2/n)"])
        he_best = min(finals["He (Var W = 2/n)"])
        claims.check(
            "glorot_stalls_he_trains",
            f"best training loss over lr {learning_rates} after {epochs} epochs: Glorot "
            f"{glorot_best:.4f} (ln 10 = {CHANCE_LOSS:.4f}, need within 0.02), He {he_best:.3f} "
            "(need < ln 10 − 0.3)",
            abs(glorot_best - CHANCE_LOSS) < 0.02 and he_best < CHANCE_LOSS - 0.3,
        )
    claims.finish()


if __name__ == "__main__":
    main()
