"""Models designed to aid optimization (§8.7.5): gradient norms per layer at initialization, and training.

Four networks of six hidden layers of 32 units on the bundled digits, alike except for one
design choice: a plain deep sigmoid network; the same with ReLU; the sigmoid network with
residual connections h + f(h); and the sigmoid network with two auxiliary heads (after hidden
layers 2 and 4, loss weight 0.3, removed after training). A sigmoid multiplies the gradient by
at most 1/4 per layer, so in the plain sigmoid network the lowest layer's gradient at
initialization is a small fraction of the top layer's; a ReLU passes it unchanged where it is
active, a residual connection adds an identity path, and an auxiliary head puts a loss near the
lower layers. Each design is trained with Adam for the same number of steps (10 epochs of
minibatches of 128) at each learning rate of a log grid, and keeps its best (lowest main-head
training loss; each best lies strictly inside the grid, checked). The auxiliary network is
judged by its main head alone, L_main, and its test accuracy with the heads removed: its
training objective L_main + 0.3 ΣL_aux is not comparable with the others' losses.

What the learner should see: in the first figure the plain sigmoid line falls from the output
layer down to the input, the other three fall much less; in the second, the plain sigmoid
network's main loss stays high while the three designs fall close to zero. (At ten sigmoid
layers with heads after layers 3 and 6, the four layers above the last head block the main path
again and the heads no longer help the main head: the depth here is one where they do.) The
claims, decided in every run (training claims in the full run only):

- ``plain_sigmoid_gradient_vanishes``: at initialization the plain sigmoid network's first
  hidden layer gets under a fifth of the gradient norm of its last hidden layer, and each other
  design's first layer more than twice the plain network's share.
- ``<design>_tuned``: each design's best Adam learning rate lies strictly inside the grid.
- ``relu_beats_plain``, ``residual_beats_plain``, ``auxiliary_heads_beat_plain``: each design's
  test accuracy exceeds the tuned plain sigmoid network's by more than 15 points.

    python examples/residual_and_auxiliary_heads.py [--fast] [--seed N] [--out DIR]
"""

import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.data import DataLoader, load_digits
from tinygrad_ch8.functional import cross_entropy
from tinygrad_ch8.strategies import (
    auxiliary_network,
    layer_gradient_norms,
    plain_network,
    residual_network,
)
from tinygrad_ch8.training import accuracy, train_classifier
from tinygrad_ch8.viz import plot_curves, plot_gradient_norms

WIDTH = 32
DEPTH = 6
BATCH = 128
LEARNING_RATES = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
FAST_LEARNING_RATE = 1e-2
DESIGNS = {
    "plain sigmoid": ("plain", lambda: plain_network(64, WIDTH, DEPTH, 10)),
    "plain ReLU": ("relu", lambda: plain_network(64, WIDTH, DEPTH, 10, activation=nn.ReLU)),
    "residual sigmoid": ("residual", lambda: residual_network(64, WIDTH, DEPTH, 10)),
    "sigmoid + auxiliary heads": (
        "auxiliary_heads",
        lambda: auxiliary_network(64, WIDTH, DEPTH, 10, attach_after=(1, 3), weight=0.3),
    ),
}


def main_head(model):
    """The network a prediction uses: an auxiliary network without its heads."""
    return model.inference_model() if isinstance(model, nn.AuxiliaryHeads) else model


def main_loss(model, X, y) -> float:
    """L_main: the main head's cross-entropy on (X, y), in eval mode."""
    network = main_head(model)
    network.eval()
    with tg.no_grad():
        loss = cross_entropy(network(tg.Tensor(X)), tg.Tensor(y)).item()
    model.train()
    return loss


def train(design: str, lr: float, epochs: int, seed: int, train_data, test_data):
    """One design trained with Adam at ``lr``: its L_main per epoch and final test accuracy."""
    tg.manual_seed(seed)
    model = DESIGNS[design][1]()
    loss_fn = model.loss if isinstance(model, nn.AuxiliaryHeads) else cross_entropy
    losses = []
    train_classifier(
        model,
        optim.Adam(model.parameters(), lr=lr),
        DataLoader(*train_data, batch_size=BATCH, rng=seed),
        epochs,
        loss_fn=loss_fn,
        on_epoch_end=lambda epoch, history: losses.append(main_loss(model, *train_data)),
    )
    return {"main_loss": losses, "test_accuracy": accuracy(main_head(model), *test_data)}


def gradient_norms_at_init(seed: int, batch) -> dict:
    """‖∂J/∂W‖ of each trunk layer and the output layer, bottom to top, for every design."""
    norms = {}
    for design, (_, build) in DESIGNS.items():
        tg.manual_seed(seed)
        model = build()
        loss_fn = model.loss if isinstance(model, nn.AuxiliaryHeads) else cross_entropy
        per_weight = layer_gradient_norms(model, batch, loss_fn)
        # the auxiliary heads' own weights are not layers of the trunk
        norms[design] = [
            norm for name, norm in per_weight.items() if not name.startswith("auxiliary_heads")
        ]
    return norms


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    epochs = 2 if args.fast else 10
    train_data = load_digits("train")
    test_data = load_digits("test")
    X_train, y_train = train_data

    norms = gradient_norms_at_init(args.seed, (X_train[:256], y_train[:256]))
    # bottom hidden layer against top hidden layer (the last entry is the output layer)
    share = {design: layer_norms[0] / layer_norms[-2] for design, layer_norms in norms.items()}
    plain = "plain sigmoid"
    others = [design for design in DESIGNS if design != plain]
    claims.check(
        "plain_sigmoid_gradient_vanishes",
        f"at init ‖∂J/∂W₁‖ / ‖∂J/∂W_{DEPTH}‖ = {share[plain]:.3f} for the plain sigmoid network "
        f"(need < 0.2); "
        + ", ".join(f"{design} {share[design]:.2f}" for design in others)
        + " (need each > 2× the plain one)",
        share[plain] < 0.2 and all(share[design] > 2 * share[plain] for design in others),
    )

    grid = [FAST_LEARNING_RATE] if args.fast else LEARNING_RATES
    best = {}
    for design, (short, _) in DESIGNS.items():
        runs = [train(design, lr, epochs, args.seed, train_data, test_data) for lr in grid]
        if args.fast:
            claims.needs_full_run(f"{short}_tuned", f"the Adam learning rate of {design}")
            best[design] = (grid[0], runs[0])
            continue
        scores = [run["main_loss"][-1] for run in runs]
        lr = best_on_grid(claims, short, grid, scores, what="Adam lr (final L_main)")
        best[design] = (lr, runs[grid.index(lr)])

    plain_accuracy = best[plain][1]["test_accuracy"]
    for design in others:
        short = DESIGNS[design][0]
        name = f"{short}_beat_plain" if short.endswith("heads") else f"{short}_beats_plain"
        design_accuracy = best[design][1]["test_accuracy"]
        statement = (
            f"test accuracy {100 * design_accuracy:.1f}% ({design}) vs "
            f"{100 * plain_accuracy:.1f}% (plain sigmoid), each at its best lr (need > +15 points)"
        )
        if not claims.needs_full_run(name, statement):
            claims.check(name, statement, design_accuracy > plain_accuracy + 0.15)

    figure = plot_gradient_norms(
        norms, title=f"‖∂J/∂W‖ per layer at initialization ({DEPTH} hidden layers, 256 digits)"
    )
    save_figure(figure, args, "gradient_norms_at_init")
    figure = plot_curves(
        {
            f"{design} (lr {lr:g}, test {100 * run['test_accuracy']:.0f}%)": run["main_loss"]
            for design, (lr, run) in best.items()
        },
        x=np.arange(1, epochs + 1),
        xlabel=f"epoch ({int(np.ceil(len(X_train) / BATCH))} Adam steps each)",
        ylabel="main-head training loss L_main (log scale)",
        title="main-head loss of each design at its best learning rate (auxiliary heads: L_main only)",
        logy=True,
    )
    save_figure(figure, args, "residual_and_auxiliary_heads")
    claims.finish()


if __name__ == "__main__":
    main()
