"""The cost of exact Newton as the model grows: n Hessian-vector products and an O(n³) solve (§8.6.1).

A Newton iteration on n parameters builds H column by column from n Hessian-vector
products (each about the price of a gradient: O(n²) in all for a linear model, though at
these sizes a gradient is mostly fixed overhead, so n products grow about like n) and
then solves (H + αI)p = −g by a Cholesky-based solve, O(n³), which takes over past a few
hundred parameters. A Newton-CG iteration costs a few dozen Hessian-vector products
whatever n is. This example times each part on logistic regression with n = d + 1
parameters as d grows, fits the exponent of n on a log-log scale and shows why exact
Newton is for small models only.

Times are the fastest of a few repeats, so they still move with the machine's load; the
claims use exponents fitted on the larger half of the sizes and a ratio of 10x or more,
which load does not overturn, and one count that no load changes.

What the learner should see: on log-log axes, the solve's line steepening to the slope of
the dashed n³ reference, the Hessian build running parallel to the n reference (n products
of roughly constant price), and the gradient and the Newton-CG iteration flat.

Claims (``--seed`` draws the data):
- ``hessian_needs_n_products``: building H at the largest n takes exactly n Hessian-vector
  products.
- ``solve_superquadratic``: the solve's fitted exponent is ≥ 2 (O(n³) in theory).
- ``newton_cg_flat``: a Newton-CG iteration's fitted exponent is ≤ 0.5.
- ``exact_newton_dearer``: at the largest n, an exact Newton iteration (H and the solve) takes
  ≥ 10x the time of a Newton-CG iteration.

    python examples/newton_cost.py [--fast] [--seed N] [--out DIR]
"""

import time

import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim, viz
from tinygrad_ch8.optim.newton import hessian_matrix, newton_direction
from tinygrad_ch8.optim.objective import Objective

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


def time_parts(features: int, rng) -> tuple[dict, int]:
    """Seconds per part of one iteration, and the Hessian-vector products one H took."""
    closure, w = logistic_closure(features, rng)
    objective = Objective([w], closure, "timing", uses_hvp=True)
    _, gradient = objective.evaluate()
    products_before = objective.nhvp
    hessian = hessian_matrix(objective, gradient)
    products = objective.nhvp - products_before
    newton_cg = optim.NewtonCG(
        [w], max_cg_iter=20, cg_tol=1e-12
    )  # a fixed 20 CG steps per iteration
    return {
        "gradient": seconds(lambda: tg.grad(closure(), w)),
        "Hessian from n products": seconds(lambda: hessian_matrix(objective, gradient), 2),
        "Newton solve, O(n³)": seconds(lambda: newton_direction(hessian, gradient)),
        "Newton-CG iteration (20 products)": seconds(lambda: newton_cg.step(closure), repeats=1),
    }, products


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(args.seed)
    dims = [16, 32, 64, 128] if args.fast else [16, 32, 64, 128, 256, 512, 1024]
    sizes = [d + 1 for d in dims]
    timings = {}
    for d in dims:
        parts, products = time_parts(d, rng)
        for part, value in parts.items():
            timings.setdefault(part, []).append(value)
    claims.check(
        "hessian_needs_n_products",
        f"building H for n = {sizes[-1]} took {products} Hessian-vector products (need n)",
        products == sizes[-1],
    )
    print(f"logistic regression on {SAMPLES} samples; seconds per part of one iteration:")
    print("   n  " + "  ".join(f"{part:>34s}" for part in timings))
    for i, n in enumerate(sizes):
        print(f"{n:5d} " + "  ".join(f"{timings[part][i]:34.5f}" for part in timings))
    half = len(sizes) // 2  # fit the exponent on the larger half, where fixed overheads matter less
    slopes = {
        part: np.polyfit(np.log(sizes[half:]), np.log(values[half:]), 1)[0]
        for part, values in timings.items()
    }
    for part, slope in slopes.items():
        print(f"{part:34s} grows like n^{slope:.1f}")
    newton_total = np.add(timings["Hessian from n products"], timings["Newton solve, O(n³)"])
    newton_cg = timings["Newton-CG iteration (20 products)"]
    if not claims.needs_full_run("solve_superquadratic", "the solve's exponent is ≥ 2"):
        claims.check(
            "solve_superquadratic",
            f"the solve grows like n^{slopes['Newton solve, O(n³)']:.2f} for n = {sizes[half]} to "
            f"{sizes[-1]} (need ≥ 2)",
            slopes["Newton solve, O(n³)"] >= 2,
        )
        claims.check(
            "newton_cg_flat",
            f"a Newton-CG iteration grows like n^{slopes['Newton-CG iteration (20 products)']:.2f} "
            "(need ≤ 0.5)",
            slopes["Newton-CG iteration (20 products)"] <= 0.5,
        )
        claims.check(
            "exact_newton_dearer",
            f"at n = {sizes[-1]} an exact Newton iteration takes {newton_total[-1]:.2f} s, a "
            f"Newton-CG iteration {newton_cg[-1]:.3f} s: {newton_total[-1] / newton_cg[-1]:.0f}x "
            "(need ≥ 10x)",
            newton_total[-1] >= 10 * newton_cg[-1],
        )

    figure = viz.plot_curves(
        timings,
        x=sizes,
        xlabel="number of parameters n",
        ylabel="seconds (fastest of a few runs)",
        logy=True,
        title="what one iteration costs as the model grows (log-log)",
    )
    ax = figure.axes[0]
    ax.set_xscale("log")
    n = np.array(sizes, dtype=float)
    solve, build = timings["Newton solve, O(n³)"][-1], timings["Hessian from n products"][-1]
    for power, anchor, style in ((3, solve, "--"), (2, solve, ":"), (1, build, "-.")):
        ax.plot(
            n,
            anchor * (n / n[-1]) ** power,
            style,
            color="tab:gray",
            linewidth=1,
            label=f"∝ n{'³' if power == 3 else '²' if power == 2 else ''} (reference)",
        )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))  # off the data
    save_figure(figure, args, "newton_cost")
    claims.finish()


if __name__ == "__main__":
    main()
