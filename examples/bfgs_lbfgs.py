"""BFGS, L-BFGS, nonlinear CG and Newton-CG on Rosenbrock and on logistic regression over the digits (§8.6).

All four build curvature information from gradients (CG, BFGS, L-BFGS) or Hessian-vector
products (Newton-CG) and search along a line, so they are compared by what they pay: loss
evaluations (each with its gradient) and seconds. BFGS keeps an n×n matrix M ≈ H⁻¹, L-BFGS
the last 10 (s, y) pairs, CG one previous direction, Newton-CG nothing but runs an inner CG
on Hessian-vector products. On the 2-D Rosenbrock valley the paths show the quasi-Newton
methods following the curved valley floor; on multinomial logistic regression over the
8×8 digits (650 parameters) the curves show loss against evaluations and against time.

    python examples/bfgs_lbfgs.py [--fast] [--out DIR]
"""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import data, optim, viz  # noqa: E402

METHODS = ("BFGS", "L-BFGS", "CG", "Newton-CG")


class Recorder:
    """Wraps f to record the value and the elapsed time of every evaluation."""

    def __init__(self, f):
        self.f, self.values, self.seconds, self.start = f, [], [], time.perf_counter()

    def __call__(self, x):
        value = self.f(x)
        self.values.append(value.item())
        self.seconds.append(time.perf_counter() - self.start)
        return value

    def best_so_far(self):
        return np.minimum.accumulate(self.values)


def rosenbrock_path(method: str, max_iter: int):
    """The iterates of one method on the 2-D Rosenbrock function, one ``step`` (iteration) at a time."""
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = {
        "BFGS": optim.BFGS([x]),
        "L-BFGS": optim.LBFGS([x], max_iter=1, line_search_fn="strong_wolfe"),
        "CG": optim.NonlinearCG([x]),
        "Newton-CG": optim.NewtonCG([x]),
    }[method]
    path = [x.numpy().copy()]
    for _ in range(max_iter):
        opt.step(lambda: data.rosenbrock(x))
        if opt.state[0]["message"].startswith("converged"):
            break
        path.append(x.numpy().copy())
    return np.array(path)


def digits_problem(samples: int):
    X, y = data.load_digits("train", dtype="float64")
    X, y = tg.Tensor(X[:samples]), y[:samples]
    features, classes = X.shape[1], 10

    def loss(theta):
        """Mean cross-entropy of softmax(X W + b) plus (1e-3/2)‖W‖², θ = [vec(W); b]."""
        W = theta[: features * classes].reshape(features, classes)
        b = theta[features * classes :]
        return F.cross_entropy(X @ W + b, y) + 0.5e-3 * (W * W).sum()

    return loss, features * classes + classes


def main():
    args = parse_args(__doc__)
    max_iter = 60 if args.fast else 400
    paths, rosenbrock = {}, {}
    print("2-D Rosenbrock from (−1.2, 1), until ‖g‖∞ ≤ 1e-8:")
    for method in METHODS:
        paths[method] = rosenbrock_path(method, max_iter)
        rosenbrock[method] = Recorder(data.rosenbrock)
        result = optim.minimize(
            rosenbrock[method], np.array([-1.2, 1.0]), method=method, tol=1e-8, max_iter=max_iter
        )
        print(
            f"  {method:9s} {result.nit:3d} iterations, {result.nfev:3d} evaluations, f = {result.fun:.1e} "
            f"at ({result.x[0]:.6f}, {result.x[1]:.6f})"
        )

    loss, n = digits_problem(samples=300 if args.fast else 1438)
    digits = {}
    print(f"logistic regression on the digits ({n} parameters), until ‖g‖∞ ≤ 1e-5:")
    for method in METHODS:
        recorder = Recorder(loss)
        result = optim.minimize(recorder, np.zeros(n), method=method, tol=1e-5, max_iter=max_iter)
        digits[method] = recorder
        print(
            f"  {method:9s} loss {result.fun:.5f}, {result.nit:3d} iterations, "
            f"{result.nfev:4d} evaluations, {result.nhvp:5d} Hessian-vector products, "
            f"{recorder.seconds[-1]:.2f} s, converged: {result.success}"
        )

    figure, axes = plt.subplots(2, 2, figsize=(12, 9.5))
    viz.plot_contour_paths(
        data.rosenbrock,
        paths,
        xlim=(-1.5, 1.5),
        ylim=(-0.5, 1.5),
        title="Rosenbrock: paths (o start, * end)",
        ax=axes[0, 0],
    )
    viz.plot_curves(
        {m: r.best_so_far() for m, r in rosenbrock.items()},
        xlabel="loss evaluations",
        ylabel="best f so far",
        logy=True,
        title="Rosenbrock: f against evaluations",
        ax=axes[0, 1],
    )
    best = min(min(r.values) for r in digits.values())
    gaps = {m: r.best_so_far() - best + 1e-12 for m, r in digits.items()}
    viz.plot_curves(
        gaps,
        xlabel="loss evaluations",
        ylabel="J − J_best",
        logy=True,
        title="digits logistic regression: against evaluations",
        ax=axes[1, 0],
    )
    viz.plot_curves(
        gaps,
        x={m: r.seconds for m, r in digits.items()},
        xlabel="time (s)",
        ylabel="J − J_best",
        logy=True,
        title="digits logistic regression: against time",
        ax=axes[1, 1],
    )
    figure.tight_layout()
    save_figure(figure, args, "bfgs_lbfgs")


if __name__ == "__main__":
    main()
