"""RMSProp with Nesterov momentum (Algorithm 8.6) in a race of the adaptive methods (§8.5).

Algorithm 8.6 takes the gradient at the look-ahead point θ̃ = θ + αv, then
r ← ρr + (1 − ρ) g ⊙ g, v ← αv − ε/√r ⊙ g, θ ← θ + v. ``optim.RMSprop(momentum=α,
nesterov=True)`` stores θ̃ itself (Sutskever's reformulation, as ``SGD`` does). The first claim
runs the book's algorithm as printed, in NumPy, beside the optimizer on a 10-D quadratic
in float64 and checks that the optimizer's parameter is the book's θ + αv at each of the first
25 steps (later, near the minimum, g/√r divides round-off by round-off and the two orders of
arithmetic part at the 1e-6 level).

The race: AdaGrad, RMSProp (ρ = 0.9), RMSProp with Nesterov momentum (ρ = 0.9, α = 0.9) and
Adam train the same ReLU network 64-64-64-10 on the standardized digits for 5 epochs
(minibatches of 64, the same initialization and order for all), each at every learning rate of
its own log grid, and are compared at their best (training loss after the budget, on the
whole training set).

What the learner should see: on the left, the loss curves at each method's tuned learning rate
(log scale); on the right, the final loss against the learning rate, a valley for each method
with its minimum inside the grid. Nesterov momentum takes RMSProp to a lower training loss in
the same number of steps (by a factor between about 1.2 and 10, depending on the seed).

    python examples/rmsprop_nesterov.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.training import train_classifier

EPOCHS = 5
METHODS = {
    "AdaGrad": (lambda p, lr: optim.Adagrad(p, lr=lr), (1e-2, 3e-2, 1e-1, 3e-1, 1.0)),
    "RMSProp": (lambda p, lr: optim.RMSprop(p, lr=lr, alpha=0.9), (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)),
    "RMSProp + Nesterov": (
        lambda p, lr: optim.RMSprop(p, lr=lr, alpha=0.9, momentum=0.9, nesterov=True),
        (3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    ),
    "Adam": (lambda p, lr: optim.Adam(p, lr=lr), (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)),
}
COLOURS = {
    "AdaGrad": "tab:orange",
    "RMSProp": "tab:blue",
    "RMSProp + Nesterov": "tab:green",
    "Adam": "tab:red",
}


def book_algorithm_8_6(gradient, theta, lr, rho, alpha, steps):
    """Algorithm 8.6 as printed (no δ): the look-ahead points θ + αv it visits."""
    v, r, looked_at = np.zeros_like(theta), np.zeros_like(theta), []
    for _ in range(steps):
        interim = theta + alpha * v
        looked_at.append(interim)
        g = gradient(interim)
        r = rho * r + (1 - rho) * g * g
        v = alpha * v - lr / np.sqrt(r) * g
        theta = theta + v
    return np.array(looked_at)


def optimizer_parameters(loss, theta, lr, rho, alpha, steps):
    """The parameter of ``optim.RMSprop(nesterov=True)`` before each of its steps."""
    x = tg.Tensor(theta.copy(), requires_grad=True)
    optimizer = optim.RMSprop([x], lr=lr, alpha=rho, eps=0.0, momentum=alpha, nesterov=True)
    visited = []
    for _ in range(steps):
        visited.append(x.numpy().copy())
        optimizer.step(lambda: loss(x))
    return np.array(visited)


def train(make, lr, seed, train_data):
    """Training loss per step and on the whole training set after the budget."""
    X, y = train_data
    model = nn.mlp(64, [64, 64], 10, rng=seed)
    loader = data.DataLoader(X, y, batch_size=64, rng=seed)
    history = train_classifier(model, make(model.parameters(), lr), loader, EPOCHS)
    with tg.no_grad():
        final = F.cross_entropy(model(tg.Tensor(X)), y).item()
    return history.step_loss, final


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    rng = np.random.default_rng(args.seed)
    A, b = data.ill_conditioned_quadratic(10, 100.0, rng=rng, dtype="float64")
    start = rng.standard_normal(10)
    book = book_algorithm_8_6(lambda x: A @ x - b, start, 0.01, 0.9, 0.9, 25)
    quadratic = lambda x: 0.5 * (x * (tg.Tensor(A) @ x)).sum() - (tg.Tensor(b) * x).sum()  # noqa: E731
    ours = optimizer_parameters(quadratic, start, 0.01, 0.9, 0.9, 25)
    gap = float(np.abs(book - ours).max())
    claims.check(
        "optimizer_is_algorithm_8_6",
        f"the first 25 steps on a 10-D quadratic (cond 100, float64): max |θ + αv (book) − parameter "
        f"(optim.RMSprop)| = {gap:.1e} (need < 1e-12)",
        gap < 1e-12,
    )

    X, y = data.load_digits("train")
    (X,) = data.standardize(X)
    if args.fast:
        X, y = X[:256], y[:256]
    seed = int(rng.integers(2**31))
    curves, finals = {}, {}
    for name, (make, grid) in METHODS.items():
        runs = [train(make, lr, seed, (X, y)) for lr in grid]
        finals[name] = [final for _, final in runs]
        lr = best_on_grid(claims, name.replace(" + ", "_").lower(), grid, finals[name])
        curves[name] = runs[grid.index(lr)][0]
        print(f"  {name:18s} best lr {lr:g}: training loss {min(finals[name]):.2e}")
    best = {name: min(values) for name, values in finals.items()}
    if not claims.needs_full_run("nesterov_beats_rmsprop", "training loss after 5 epochs"):
        ratio = best["RMSProp"] / best["RMSProp + Nesterov"]
        claims.check(
            "nesterov_beats_rmsprop",
            f"tuned training loss after {EPOCHS} epochs: RMSProp {best['RMSProp']:.2e}, with "
            f"Nesterov momentum {best['RMSProp + Nesterov']:.2e}, ratio {ratio:.1f} (need > 1)",
            ratio > 1,
        )

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    for name, curve in curves.items():
        left.semilogy(np.arange(1, len(curve) + 1), curve, color=COLOURS[name], lw=1, label=name)
        right.loglog(METHODS[name][1], finals[name], "o-", color=COLOURS[name], label=name)
    left.set(
        title="Minibatch loss at each method's tuned learning rate",
        xlabel="step (batch of 64)",
        ylabel="cross-entropy (nats, log scale)",
    )
    left.legend(loc="lower left", fontsize=8)
    right.set(
        title=f"Training loss after {EPOCHS} epochs against the learning rate",
        xlabel="learning rate ε",
        ylabel="training cross-entropy (nats)",
    )
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    save_figure(figure, args, "rmsprop_nesterov")
    claims.finish()


if __name__ == "__main__":
    main()
