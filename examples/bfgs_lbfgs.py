"""BFGS, L-BFGS, nonlinear CG and Newton-CG on Rosenbrock and on logistic regression over the digits (§8.6).

All four build curvature information from gradients (CG, BFGS, L-BFGS) or Hessian-vector
products (Newton-CG) and search along a line, so they are compared by what they pay, in
gradient-equivalents: each loss evaluation with its gradient counts 1, each Hessian-vector
product 2 (a forward and a backward pass through the gradient's graph). BFGS keeps an n×n
matrix M ≈ H⁻¹, L-BFGS the last 10 (s, y) pairs, CG one previous direction, Newton-CG
nothing but runs an inner CG on Hessian-vector products. On the 2-D Rosenbrock valley the
paths show the quasi-Newton methods following the curved valley floor; on multinomial
logistic regression over the 8×8 digits (650 parameters) the curves show loss against
gradient-equivalents and against iterations. Each method runs one iteration per ``step``
(its state carries over), so the cost of every iteration is read from its counters.

What the learner should see: on Rosenbrock, every path bending along the banana-shaped
valley to (1, 1); on the digits, Newton-CG needing over ten times fewer iterations than the
others, but about as many gradient-equivalents once its Hessian-vector products are paid for.

Claims (``--seed`` draws the Rosenbrock start near (−1.2, 1) and the digits subset):
- ``rosenbrock_all_converge``: every method reaches ‖g‖∞ ≤ 1e-8 within 1e-6 of (1, 1).
- ``digits_all_converge``: every method reaches ‖g‖∞ ≤ 1e-5 on the digits.
- ``newton_cg_fewest_iterations``: on the digits Newton-CG needs the fewest iterations.
- ``hvps_are_most_of_newton_cg``: its Hessian-vector products are ≥ half its cost.
- ``newton_cg_cost_comparable``: counting them, its gradient-equivalents are within 2x of
  L-BFGS's, either way (fewest iterations is not the same as cheapest).

    python examples/bfgs_lbfgs.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, optim, viz

METHODS = ("BFGS", "L-BFGS", "CG", "Newton-CG")


def make_optimizer(method: str, x, tol: float):
    """One iteration per ``step``; stop on the gradient only."""
    options = dict(max_iter=1, tolerance_grad=tol, tolerance_change=0.0)
    return {
        "BFGS": lambda: optim.BFGS([x], **options),
        "L-BFGS": lambda: optim.LBFGS([x], **options),
        "CG": lambda: optim.NonlinearCG([x], **options),
        "Newton-CG": lambda: optim.NewtonCG([x], **options),
    }[method]()


def run(method: str, fn, x0, tol: float, max_iter: int):
    """Iterate until ‖g‖∞ ≤ tol; the path, f and the gradient-equivalents after each iteration."""
    x = tg.Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = make_optimizer(method, x, tol)
    path, values, costs = [x.numpy().copy()], [fn(x).item()], [0]
    for _ in range(max_iter):
        opt.step(lambda: fn(x))
        state = opt.state[0]
        path.append(x.numpy().copy())
        values.append(state["loss"])
        costs.append(state["nfev"] + 2 * state["nhvp"])
        if float(abs(state["grad"]).max()) <= tol:
            break
    return {
        "path": np.array(path),
        "values": np.array(values),
        "costs": np.array(costs),
        "converged": float(abs(state["grad"]).max()) <= tol,
        "iterations": len(values) - 1,
        "nhvp": state["nhvp"],
    }


def digits_problem(samples: int, seed: int):
    X, y = data.load_digits("train", dtype="float64")
    rows = np.random.default_rng(seed).permutation(len(y))[:samples]
    X, y = tg.Tensor(X[rows]), y[rows]
    features, classes = X.shape[1], 10

    def loss(theta):
        """Mean cross-entropy of softmax(X W + b) plus (1e-3/2)‖W‖², θ = [vec(W); b]."""
        W = theta[: features * classes].reshape(features, classes)
        b = theta[features * classes :]
        return F.cross_entropy(X @ W + b, y) + 0.5e-3 * (W * W).sum()

    return loss, features * classes + classes


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(args.seed)
    max_iter = 60 if args.fast else 400
    start = np.array([-1.2, 1.0]) + rng.uniform(-0.3, 0.3, 2)
    print(f"2-D Rosenbrock from ({start[0]:.3f}, {start[1]:.3f}), until ‖g‖∞ ≤ 1e-8:")
    rosenbrock = {}
    for method in METHODS:
        rosenbrock[method] = result = run(method, data.rosenbrock, start, 1e-8, max_iter)
        end = result["path"][-1]
        print(
            f"  {method:9s} {result['iterations']:3d} iterations, {result['costs'][-1]:4d} "
            f"gradient-equivalents, f = {result['values'][-1]:.1e} at ({end[0]:.6f}, {end[1]:.6f})"
        )
    if not claims.needs_full_run("rosenbrock_all_converge", "every method reaches (1, 1)"):
        reached = [
            m
            for m, r in rosenbrock.items()
            if r["converged"] and np.abs(r["path"][-1] - 1).max() <= 1e-6
        ]
        claims.check(
            "rosenbrock_all_converge",
            f"{len(reached)} of {len(METHODS)} methods reach ‖g‖∞ ≤ 1e-8 within 1e-6 of (1, 1) "
            "(need all)",
            len(reached) == len(METHODS),
        )

    loss, n = digits_problem(300 if args.fast else 1000, args.seed)
    digits = {}
    print(f"logistic regression on the digits ({n} parameters), until ‖g‖∞ ≤ 1e-5:")
    for method in METHODS:
        digits[method] = result = run(method, loss, np.zeros(n), 1e-5, max_iter)
        print(
            f"  {method:9s} loss {result['values'][-1]:.6f}, {result['iterations']:3d} iterations, "
            f"{result['nhvp']:4d} Hessian-vector products, {result['costs'][-1]:4d} "
            f"gradient-equivalents, converged: {result['converged']}"
        )
    newton, lbfgs = digits["Newton-CG"], digits["L-BFGS"]
    share = 2 * newton["nhvp"] / newton["costs"][-1]
    claims.check(
        "hvps_are_most_of_newton_cg",
        f"Newton-CG's {newton['nhvp']} Hessian-vector products are {100 * share:.0f}% of its "
        f"{newton['costs'][-1]} gradient-equivalents (need ≥ 50%)",
        share >= 0.5,
    )
    if not claims.needs_full_run("digits_all_converge", "every method reaches ‖g‖∞ ≤ 1e-5"):
        converged = [m for m, r in digits.items() if r["converged"]]
        claims.check(
            "digits_all_converge",
            f"{len(converged)} of {len(METHODS)} methods reach ‖g‖∞ ≤ 1e-5 in {max_iter} "
            "iterations (need all)",
            len(converged) == len(METHODS),
        )
        iterations = {m: r["iterations"] for m, r in digits.items()}
        claims.check(
            "newton_cg_fewest_iterations",
            "iterations on the digits: "
            + ", ".join(f"{m} {i}" for m, i in iterations.items())
            + " (need Newton-CG fewest)",
            min(iterations, key=iterations.get) == "Newton-CG",
        )
        ratio = newton["costs"][-1] / lbfgs["costs"][-1]
        claims.check(
            "newton_cg_cost_comparable",
            f"counting its products Newton-CG needs {newton['costs'][-1]} gradient-equivalents, "
            f"L-BFGS {lbfgs['costs'][-1]}: ratio {ratio:.2f} (need within [0.5, 2])",
            0.5 <= ratio <= 2,
        )

    figure, axes = plt.subplots(2, 2, figsize=(12, 9.5))
    viz.plot_contour_paths(
        data.rosenbrock,
        {m: r["path"] for m, r in rosenbrock.items()},
        xlim=(-1.7, 1.5),
        ylim=(-0.5, 1.7),
        title="Rosenbrock: paths (o start, * end)",
        ax=axes[0, 0],
    )
    viz.plot_curves(
        {m: np.maximum(r["values"], 1e-20) for m, r in rosenbrock.items()},
        x={m: r["costs"] for m, r in rosenbrock.items()},
        xlabel="gradient-equivalents (evaluation 1, Hessian-vector product 2)",
        ylabel="f",
        logy=True,
        title="Rosenbrock: f against cost",
        ax=axes[0, 1],
    )
    best = min(r["values"].min() for r in digits.values())
    gaps = {m: r["values"] - best + 1e-12 for m, r in digits.items()}
    viz.plot_curves(
        gaps,
        x={m: r["costs"] for m, r in digits.items()},
        xlabel="gradient-equivalents (evaluation 1, Hessian-vector product 2)",
        ylabel="J − J_best",
        logy=True,
        title="digits logistic regression: against cost",
        ax=axes[1, 0],
    )
    viz.plot_curves(
        gaps,
        xlabel="iteration",
        ylabel="J − J_best",
        logy=True,
        title="digits logistic regression: against iterations",
        ax=axes[1, 1],
    )
    figure.tight_layout()
    save_figure(figure, args, "bfgs_lbfgs")
    claims.finish()


if __name__ == "__main__":
    main()
