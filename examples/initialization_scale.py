"""The initial scale is a hyperparameter (§8.4): activations of a deep tanh network at initialization.

A 10-layer tanh network of width 64 receives a batch of standardized digits. Its weights are
drawn from Glorot's normalized initialization U(−a, a), a = √(6/(m+n)), times a scale:
0.25 (too small: activations shrink towards 0 layer after layer, so gradients vanish), 1
(Glorot: the scale holds through depth), 4 (too large: units saturate at ±1, where tanh is
flat). A fourth network starts too large and is then rescaled by LSUV (the book's data-driven
procedure, made precise by Mishkin & Matas 2015): each layer's weights are scaled until its
output has unit standard deviation on the batch.

The example prints each network's activation standard deviation at layers 1, 5 and 10 and the
share of saturated units (|h| > 0.99), then trains each one briefly with the same SGD and
prints the training loss.

What the learner should see: on the left, the "too small" line falling by orders of magnitude
with depth while the others stay flat; in the histograms (shared bins over [−1, 1], log
counts), "too small" a single spike at 0, "too large" two spikes at ±1, Glorot and LSUV spread
out; on the right, the "too small" network's loss staying at ln 10 ≈ 2.30.

Claims (``--seed`` draws the weights, the batch and the minibatch order):
- ``too_small_vanishes``: at 0.25 × Glorot the std at layer 10 is < 1e-3 × the std at layer 1.
- ``glorot_holds``: with Glorot the std at layer 10 is ≥ 0.2 × the std at layer 1.
- ``too_large_saturates``: at 4 × Glorot ≥ 30% of layer 10's units have |h| > 0.99.
- ``lsuv_unit_std``: after LSUV every dense layer's output std is within 0.05 of 1.
- ``too_small_does_not_train`` (full run): after the epochs its loss is still ≥ 2.2, while
  Glorot's and LSUV's are ≤ 0.5; ``too_large_trains_slower`` (full run): the 4 × Glorot start
  ends above both of them.

    python examples/initialization_scale.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, init, nn, optim
from tinygrad_ch8.training import train_classifier
from tinygrad_ch8.viz import plot_curves

DEPTH, WIDTH = 10, 64
SATURATED = 0.99
SETTINGS = {
    "too small (0.25 × Glorot)": 0.25,
    "Glorot": 1.0,
    "too large (4 × Glorot)": 4.0,
    "4 × Glorot, then LSUV": 4.0,
}


def scaled_glorot(scale: float):
    def initializer(shape, rng=None, dtype=None):
        return scale * init.glorot_uniform(shape, rng=rng, dtype=dtype)

    return initializer


def deep_tanh_network(scale: float, seed: int):
    tg.manual_seed(seed)
    widths = [64] + [WIDTH] * DEPTH
    layers = []
    for m, n in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(m, n, init=scaled_glorot(scale)), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def tanh_activations(model, batch):
    """The output of every Tanh layer on ``batch``, recorded with forward hooks."""
    activations = []
    handles = [
        module.register_forward_hook(
            lambda module, inputs, output: activations.append(output.numpy())
        )
        for module in model.modules()
        if isinstance(module, nn.Tanh)
    ]
    with tg.no_grad():
        model(batch)
    for handle in handles:
        handle.remove()
    return activations


def shared_bin_histograms(values: dict, title: str):
    """One panel per setting, all with the same 40 bins over [−1, 1] and log counts.

    Shared bins make a distribution squeezed near 0 show as one tall bar, not as an empty
    panel whose 50 private bins span ±1e-6.
    """
    bins = np.linspace(-1, 1, 41)
    figure, axes = plt.subplots(1, len(values), figsize=(3.4 * len(values), 3.2), sharey=True)
    for ax, (name, h) in zip(axes, values.items(), strict=True):
        ax.hist(np.clip(h.ravel(), -1, 1), bins=bins, color="tab:blue")
        ax.set_yscale("log")
        ax.set_title(f"{name}\nstd {h.std():.2g}", fontsize="small")
        ax.set_xlabel("activation h")
    axes[0].set_ylabel("count (units × examples, log)")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    epochs = 1 if args.fast else 5
    X_train, y_train = data.load_digits("train")
    (X_train,) = data.standardize(X_train)
    rows = np.random.default_rng(args.seed).permutation(len(X_train))[:512]
    batch = tg.Tensor(X_train[rows])

    stds, last_layer, losses, final_loss = {}, {}, {}, {}
    for name, scale in SETTINGS.items():
        model = deep_tanh_network(scale, args.seed)
        if "LSUV" in name:
            report = init.lsuv(model, batch, target_std=1.0, tol=0.05)
            print(
                f"LSUV: {sum(entry.iterations for entry in report)} rescalings over {len(report)} "
                f"layers; first layer output std {report[0].initial_std:.2f} -> "
                f"{report[0].final_std:.2f}"
            )
            worst = max(abs(entry.final_std - 1) for entry in report)
            claims.check(
                "lsuv_unit_std",
                f"after LSUV the dense layers' output std is within {worst:.3f} of 1 (need ≤ 0.05)",
                worst <= 0.05,
            )
        activations = tanh_activations(model, batch)
        stds[name] = [h.std() for h in activations]
        last_layer[name] = activations[-1]
        saturated = np.mean(np.abs(activations[-1]) > SATURATED)
        print(
            f"{name:26s}: activation std at layers 1/5/10 = {stds[name][0]:.3f} / "
            f"{stds[name][4]:.3f} / {stds[name][-1]:.2e}; saturated units in layer 10: "
            f"{100 * saturated:.0f}%"
        )
        if scale == 4.0 and "LSUV" not in name:
            claims.check(
                "too_large_saturates",
                f"at 4 × Glorot {100 * saturated:.0f}% of layer 10's units have |h| > "
                f"{SATURATED} (need ≥ 30%)",
                saturated >= 0.3,
            )
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        history = train_classifier(
            model, optimizer, data.DataLoader(X_train, y_train, 32, rng=args.seed), epochs
        )
        losses[name] = history.step_loss
        final_loss[name] = history.epoch_loss[-1]
        print(f"{'':26s}  training loss after {epochs} epoch(s): {final_loss[name]:.3f}")
    small, glorot = "too small (0.25 × Glorot)", "Glorot"
    ratio = stds[small][-1] / stds[small][0]
    claims.check(
        "too_small_vanishes",
        f"at 0.25 × Glorot the std falls from {stds[small][0]:.3f} (layer 1) to "
        f"{stds[small][-1]:.1e} (layer 10), ratio {ratio:.1e} (need < 1e-3)",
        ratio < 1e-3,
    )
    ratio = stds[glorot][-1] / stds[glorot][0]
    claims.check(
        "glorot_holds",
        f"with Glorot the std goes from {stds[glorot][0]:.3f} (layer 1) to {stds[glorot][-1]:.3f} "
        f"(layer 10), ratio {ratio:.2f} (need ≥ 0.2)",
        ratio >= 0.2,
    )
    lsuv = "4 × Glorot, then LSUV"
    if not claims.needs_full_run("too_small_does_not_train", "the too-small start stays at ln 10"):
        claims.check(
            "too_small_does_not_train",
            f"loss after {epochs} epochs: too small {final_loss[small]:.3f} (need ≥ 2.2), Glorot "
            f"{final_loss[glorot]:.3f}, LSUV {final_loss[lsuv]:.3f} (need both ≤ 0.5)",
            final_loss[small] >= 2.2 and max(final_loss[glorot], final_loss[lsuv]) <= 0.5,
        )
        large = "too large (4 × Glorot)"
        claims.check(
            "too_large_trains_slower",
            f"loss after {epochs} epochs: too large {final_loss[large]:.3f}, Glorot "
            f"{final_loss[glorot]:.3f}, LSUV {final_loss[lsuv]:.3f} (need too large highest)",
            final_loss[large] > max(final_loss[glorot], final_loss[lsuv]),
        )

    figure, (std_axes, loss_axes) = plt.subplots(1, 2, figsize=(12, 4.4))
    plot_curves(
        stds,
        x=list(range(1, DEPTH + 1)),
        xlabel="layer (1 = nearest the input)",
        ylabel="std of tanh activations (log scale)",
        title="activation scale through depth at init",
        logy=True,
        ax=std_axes,
    )
    plot_curves(
        losses,
        xlabel="minibatch step",
        ylabel="training loss (log scale)",
        logy=True,
        title="training from each start (SGD, lr 0.01, momentum 0.9)",
        ax=loss_axes,
    )
    save_figure(figure, args, "initialization_scale")
    save_figure(
        shared_bin_histograms(
            last_layer, title=f"activations of tanh layer {DEPTH} at initialization"
        ),
        args,
        "initialization_scale_histograms",
    )
    claims.finish()


if __name__ == "__main__":
    main()
