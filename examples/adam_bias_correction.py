"""What Adam's bias correction changes in the first steps (§8.5.3, Algorithm 8.7).

Adam's moments start at s = r = 0, so after t steps of a constant gradient g they are only
s = (1 − ρ1^t) g and r = (1 − ρ2^t) g²: biased towards zero, r far more than s because
ρ2 = 0.999 forgets slowly. Without correction the step ε s/√r is ε (1 − ρ1^t)/√(1 − ρ2^t):
3.2 ε on the first step, over 6 ε around step 10, and still 1.26 ε after 1,000 steps. With
ŝ = s/(1 − ρ1^t) and r̂ = r/(1 − ρ2^t) the step is ε from the start. The example measures
both on a constant gradient, then trains the digits MLP both ways.

    python examples/adam_bias_correction.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import data, nn, optim  # noqa: E402
from tinygrad_ch8.optim.adam import adam_update  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402


def adam_without_bias_correction(param, grad, state, *, lr, betas, eps, weight_decay, amsgrad):
    """Adam's moments s and r, but the step ε s/(√r + δ) uses them uncorrected."""
    _, state = adam_update(
        param, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
    )
    return param - lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + eps), state


UPDATES = {
    "Adam (bias-corrected)": adam_update,
    "Adam without bias correction": adam_without_bias_correction,
}


def steps_on_a_constant_gradient(update, steps: int, lr: float = 1e-3) -> np.ndarray:
    """|Δθ| / ε at each step when the gradient is always 1: the pure update function, called directly."""
    param, state, sizes = np.zeros(1), {}, []
    for _ in range(steps):
        new_param, state = update(
            param,
            np.ones(1),
            state,
            lr=lr,
            betas=(0.9, 0.999),
            eps=1e-8,
            weight_decay=0.0,
            amsgrad=False,
        )
        sizes.append(abs(new_param[0] - param[0]) / lr)
        param = new_param
    return np.array(sizes)


def train_digits(update, steps: int, lr: float) -> list[float]:
    """Full-batch training of a 64-64-10 tanh MLP from a fixed initialization; the loss at each step."""
    images, labels = data.load_digits("train")
    model = nn.Sequential(nn.Linear(64, 64, rng=0), nn.Tanh(), nn.Linear(64, 10, rng=1))
    optimizer = optim.Adam(model.parameters(), lr=lr)
    inputs, losses = tg.Tensor(images), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.update_each_parameter(
            None, update
        )  # Adam's machinery with the chosen update rule
        losses.append(loss.item())
    return losses


def main():
    args = parse_args(__doc__)
    constant_steps = 1000 if args.fast else 5000
    training_steps = 25 if args.fast else 150
    lr = 0.03

    sizes = {
        name: steps_on_a_constant_gradient(update, constant_steps)
        for name, update in UPDATES.items()
    }
    t = np.arange(1, constant_steps + 1)
    formula = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
    uncorrected = sizes["Adam without bias correction"]
    print("constant gradient g = 1, ε = 1e-3, ρ1 = 0.9, ρ2 = 0.999: step |Δθ| / ε")
    print(f"{'step t':>7} {'corrected':>10} {'uncorrected':>12} {'(1-ρ1^t)/√(1-ρ2^t)':>20}")
    for step in (1, 2, 5, 10, 20, 100, 1000):
        if step <= constant_steps:
            corrected = sizes["Adam (bias-corrected)"][step - 1]
            print(
                f"{step:>7} {corrected:>10.4f} {uncorrected[step - 1]:>12.4f} {formula[step - 1]:>20.4f}"
            )
    peak = int(np.argmax(uncorrected))
    print(
        f"Uncorrected, the step peaks at {uncorrected[peak]:.2f} ε on step {peak + 1} and matches the "
        f"formula to {np.max(np.abs(uncorrected - formula)):.1e}; corrected, every step is ε (up to δ)."
    )

    losses = {name: train_digits(update, training_steps, lr) for name, update in UPDATES.items()}
    corrected_losses, uncorrected_losses = losses.values()
    print(f"digits MLP, full batch, ε = {lr}: loss after 1, 5 and {training_steps} steps")
    for name, curve in losses.items():
        print(
            f"  {name:<30} {curve[1]:.4f} {curve[5]:.4f} {curve[-1]:.4f}  (highest after step 1: "
            f"{max(curve[1:]):.4f})"
        )
    print(
        "The uncorrected first steps are several times longer than ε, so the same ε that trains "
        "smoothly with correction "
        + (
            "overshoots early without it."
            if max(uncorrected_losses[1:]) > max(corrected_losses[1:])
            else "is here not yet too large for them; the early steps still differ in length."
        )
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    plot_curves(
        {**sizes, "(1 − ρ1^t)/√(1 − ρ2^t)": formula},
        x=t,
        xlabel="step t",
        ylabel="|Δθ| / ε",
        ax=left,
        title="step length on a constant gradient",
    )
    left.set_xscale("log")
    plot_curves(
        losses,
        xlabel="step",
        ylabel="training cross-entropy",
        logy=True,
        ax=right,
        title=f"digits MLP, full batch, ε = {lr}",
    )
    figure.suptitle("Adam's bias correction: the first steps")
    save_figure(figure, args, "adam_bias_correction")


if __name__ == "__main__":
    main()
