"""The cost of exact Newton as the model grows: n Hessian-vector products and an O(n³) solve (§8.6.1).

A Newton iteration on n parameters builds H column by column from n Hessian-vector
products (each about the price of a gradient: O(n²) in all for a linear model, though at
these sizes a gradient is mostly fixed overhead, so n products grow about like n) and
then solves (H + αI)p = −g by a Cholesky-based solve, O(n³), which takes over past a few
hundred parameters. A Newton-CG iteration costs a few dozen Hessian-vector products
whatever n is. This example times each part on logistic regression with n = d + 1
parameters as d grows, fits the exponent of n on a log-log scale and shows why exact
Newton is for small models only.

    python examples/newton_cost.py [--fast] [--out DIR]
"""

import time

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim, viz  # noqa: E402
from tinygrad_ch8.optim.newton import hessian_matrix, newton_direction  # noqa: E402
from tinygrad_ch8.optim.objective import Objective  # noqa: E402

SAMPLES = 256


def logistic_closure(features: int, rng):
    X = tg.Tensor(rng.standard_normal((SAMPLES, features)) / np.sqrt(features))
    labels = tg.Tensor((rng.random(SAMPLES) < 0.5).astype(np.float64))
    w = tg.Tensor(np.zeros(features + 1), requires_grad=True)

    def closure():
        p = (X @ w[:features] + w[features]).sigmoid()
        return -(labels * p.log() + (1 - labels) * (1 - p).log()).mean() + 1e-3 * (w * w).sum()

    return closure, w


def seconds(work, repeats: int = 3):
    """The fastest of a few runs of ``work()`` (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def time_parts(features: int, rng) -> dict:
    closure, w = logistic_closure(features, rng)
    objective = Objective([w], closure, "timing", uses_hvp=True)
    _, gradient = objective.evaluate()
    hessian = hessian_matrix(objective, gradient)
    newton_cg = optim.NewtonCG(
        [w], max_cg_iter=20, cg_tol=1e-12
    )  # a fixed 20 CG steps per iteration
    return {
        "gradient": seconds(lambda: tg.grad(closure(), w)),
        "Hessian from n products": seconds(lambda: hessian_matrix(objective, gradient)),
        "Newton solve, O(n³)": seconds(lambda: newton_direction(hessian, gradient)),
        "Newton-CG iteration (20 products)": seconds(lambda: newton_cg.step(closure), repeats=1),
    }


def main():
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(0)
    dims = [16, 32, 64, 128] if args.fast else [16, 32, 64, 128, 256, 512, 1024, 1536]
    sizes = [d + 1 for d in dims]
    timings = {}
    for d in dims:
        for part, value in time_parts(d, rng).items():
            timings.setdefault(part, []).append(value)
    print(f"logistic regression on {SAMPLES} samples; seconds per part of one iteration:")
    print("   n  " + "  ".join(f"{part:>34s}" for part in timings))
    for i, n in enumerate(sizes):
        print(f"{n:5d} " + "  ".join(f"{timings[part][i]:34.5f}" for part in timings))
    half = len(sizes) // 2  # fit the exponent on the larger half, where fixed overheads matter less
    for part, values in timings.items():
        slope = np.polyfit(np.log(sizes[half:]), np.log(values[half:]), 1)[0]
        print(f"{part:34s} grows like n^{slope:.1f}")
    newton_total = np.add(timings["Hessian from n products"], timings["Newton solve, O(n³)"])
    newton_cg = timings["Newton-CG iteration (20 products)"]
    gradient = timings["gradient"]
    print(
        f"at n = {sizes[-1]} an exact Newton iteration costs {newton_total[-1] / gradient[-1]:.0f} "
        f"gradients; a Newton-CG iteration {newton_cg[-1] / gradient[-1]:.0f}"
    )

    figure = viz.plot_curves(
        timings,
        x=sizes,
        xlabel="number of parameters n",
        ylabel="seconds",
        logy=True,
        title="what one iteration costs as the model grows (log-log)",
    )
    figure.axes[0].set_xscale("log")
    save_figure(figure, args, "newton_cost")


if __name__ == "__main__":
    main()
