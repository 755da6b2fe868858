"""Newton-CG (Hessian-free optimization) training a whole MLP on the digits (§8.6.1-8.6.2, Martens 2010).

Newton-CG never forms the Hessian: each iteration runs linear conjugate gradients on
(H + λI)p = −g with Hessian-vector products Hv = ∇(gᵀv) from double backward, stops CG on
negative curvature (the MLP's loss is not convex), takes a line search along p and adapts
the damping λ by the Levenberg–Marquardt rule. Here it trains a 64-32-10 tanh network on
the full training set (one ``step`` per iteration, every parameter of the network in one
flat vector) against Adam on minibatches, both for the same wall-clock time; each curve is
the full training loss against seconds (the time spent measuring it is not counted).

    python examples/newton_cg_mlp.py [--fast] [--out DIR]
"""

import time

import matplotlib

matplotlib.use("Agg")
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import data, nn, optim, viz  # noqa: E402


def make_model():
    return nn.Sequential(nn.Linear(64, 32, rng=0), nn.Tanh(), nn.Linear(32, 10, rng=1))


def accuracy(model, X, y):
    with tg.no_grad():
        return float((model(X).numpy().argmax(axis=1) == tg.Tensor(y).numpy()).mean())


def train_newton_cg(X, y, iterations: int):
    model = make_model()
    opt = optim.NewtonCG(model.parameters(), damping=1.0, max_cg_iter=50)
    losses, seconds, elapsed = [], [], 0.0
    for _ in range(iterations):
        start = time.perf_counter()
        opt.step(lambda: F.cross_entropy(model(X), y))
        elapsed += time.perf_counter() - start
        seconds.append(elapsed)
        losses.append(opt.state[0]["loss"])
    return model, losses, seconds, opt.state[0]


def train_adam(X, y, budget: float, batch_size: int = 64):
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    losses, seconds, elapsed = [], [], 0.0
    loader = data.DataLoader(X.data, y, batch_size=batch_size, rng=0)
    while elapsed < budget:
        start = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        elapsed += time.perf_counter() - start
        with tg.no_grad():
            losses.append(F.cross_entropy(model(X), y).item())
        seconds.append(elapsed)
    return model, losses, seconds


def main():
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")  # the line search and CG resolve small decreases
    X, y = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    X, X_test = tg.Tensor(X), tg.Tensor(X_test)
    if args.fast:
        X, y = X[:400], y[:400]
    iterations = 6 if args.fast else 25

    newton_model, newton_losses, newton_seconds, state = train_newton_cg(X, y, iterations)
    adam_model, adam_losses, adam_seconds = train_adam(X, y, budget=newton_seconds[-1])

    n = sum(p.size for p in newton_model.parameters())
    print(
        f"MLP 64-32-10 (tanh), {n} parameters, {len(y)} training images, "
        f"{newton_seconds[-1]:.1f} s of training each"
    )
    print(
        f"Newton-CG: {iterations} iterations, {state['nfev']} loss evaluations, {state['nhvp']} "
        f"Hessian-vector products (about {state['nhvp'] / iterations:.0f} CG steps per iteration), "
        f"final damping λ = {state['damping']:.2g}"
    )
    print(
        f"  train loss {newton_losses[-1]:.2e}, test accuracy {accuracy(newton_model, X_test, y_test):.3f}"
    )
    print(f"Adam (lr 3e-3, batch 64): {len(adam_losses)} epochs")
    print(
        f"  train loss {adam_losses[-1]:.2e}, test accuracy {accuracy(adam_model, X_test, y_test):.3f}"
    )

    newton_name, adam_name = "Newton-CG (full batch)", "Adam (minibatches of 64)"
    figure = viz.plot_curves(
        {newton_name: newton_losses, adam_name: adam_losses},
        x={newton_name: newton_seconds, adam_name: adam_seconds},
        xlabel="time (s)",
        ylabel="training loss",
        logy=True,
        title="Hessian-free Newton-CG against Adam on an MLP (digits)",
    )
    save_figure(figure, args, "newton_cg_mlp")


if __name__ == "__main__":
    main()
