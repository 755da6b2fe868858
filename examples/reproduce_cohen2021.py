"""Cohen, Kaur, Li, Kolter & Talwalkar 2021, "Gradient descent on neural networks typically occurs
at the edge of stability", Fig. 1: the sharpness settles at 2/ε.

On a quadratic, gradient descent with step ε diverges once the largest Hessian eigenvalue
λ_max (the sharpness) exceeds 2/ε (section 8.2.1's condition). The paper finds that on
networks full-batch gradient descent does not diverge: the sharpness rises (progressive
sharpening) until it reaches 2/ε and then hovers there, while the loss keeps falling, not
monotonically, over long times: the "edge of stability".

What differs here: a tanh MLP 64 → 64 → 64 → 10 on 512 standardized digits (chosen with
``--seed``) instead of CIFAR-10, squared error ½‖f(x) − y‖² on one-hot targets averaged over
the samples, 600 steps; λ_max from 20 Lanczos steps on Hessian-vector products
(``optim.curvature.extreme_eigenvalues``) every 50 steps. This network starts sharper
(λ_max ≈ 13) than both 2/ε, so the initial phase is a drop of the sharpness to 2/ε (a
catapult) rather than a rise to it, and at ε = 0.4 the sharpness overshoots 2/ε by up to 25%
for a few hundred steps before it settles; the claim counts from step 300 on. What the learner should see:
each sharpness curve pinned to its own 2/ε line, the loss falling with small spikes.

    python examples/reproduce_cohen2021.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.optim import curvature

SAMPLES, WIDTH = 512, 64
STEP_SIZES = [0.2, 0.4]  # 2/ε = 10 and 5, both below the sharpness this network would reach
INITIAL_PHASE, MEASURE_EVERY, BAND = 300, 50, 0.10


def squared_error(model, X, Y):
    return ((model(tg.Tensor(X)) - tg.Tensor(Y)) ** 2).sum() * (0.5 / len(X))


def run(step_size: float, steps: int, seed: int, X, Y):
    """Full-batch GD; returns the loss of every step and (step, λ_max) every MEASURE_EVERY steps."""
    tg.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, WIDTH), nn.Tanh(), nn.Linear(WIDTH, WIDTH), nn.Tanh(), nn.Linear(WIDTH, 10)
    )
    params = list(model.parameters())
    optimizer = optim.SGD(params, lr=step_size)
    losses, sharpness = [], []
    for step in range(steps + 1):
        if step % MEASURE_EVERY == 0:
            _, largest = curvature.extreme_eigenvalues(
                lambda: squared_error(model, X, Y), params, steps=20, rng=seed
            )
            sharpness.append((step, largest))
        loss = squared_error(model, X, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, sharpness


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    X, y = data.load_digits("train")
    (X,) = data.standardize(X)
    chosen = np.random.default_rng(args.seed).choice(len(X), SAMPLES, replace=False)
    X, Y = X[chosen], np.eye(10, dtype=X.dtype)[y[chosen]]

    step_sizes = STEP_SIZES[1:] if args.fast else STEP_SIZES
    steps = 400 if args.fast else 600
    figure, (ax_sharp, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.4))
    for step_size in step_sizes:
        losses, sharpness = run(step_size, steps, args.seed, X, Y)
        edge = 2 / step_size
        later = [value for step, value in sharpness if step >= INITIAL_PHASE]
        claims.check(
            f"sharpness_at_2_over_eps_{step_size:g}",
            f"ε = {step_size:g}: λ_max from step {INITIAL_PHASE} to {steps} in "
            f"[{min(later):.2f}, {max(later):.2f}], 2/ε = {edge:g} (need within ±{100 * BAND:.0f}%)",
            all(abs(value / edge - 1) <= BAND for value in later),
        )
        line = ax_sharp.plot(*zip(*sharpness, strict=True), marker="o", label=f"ε = {step_size:g}")
        ax_sharp.axhline(edge, color=line[0].get_color(), linestyle=":", label=f"2/ε = {edge:g}")
        ax_loss.semilogy(losses, color=line[0].get_color(), label=f"ε = {step_size:g}")
    ax_sharp.axvline(INITIAL_PHASE, color="grey", linewidth=0.8)
    ax_sharp.set(xlabel="step", ylabel="λ_max of the Hessian (Lanczos)", title="sharpness")
    ax_sharp.legend()
    ax_loss.set(xlabel="step", ylabel="training loss (log)", title="loss: falls, not monotonically")
    ax_loss.legend()
    figure.suptitle("Cohen et al. 2021: full-batch gradient descent at the edge of stability")
    save_figure(figure, args, "reproduce_cohen2021")
    claims.finish()


if __name__ == "__main__":
    main()
