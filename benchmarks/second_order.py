"""Benchmark: the second-order methods of section 8.6 on Rosenbrock, against SciPy when it is installed.

    python benchmarks/second_order.py [--fast]

1. Rosenbrock in 2, 10 and 100 dimensions from (−1.2, 1, −1.2, 1, ...): CG, BFGS, L-BFGS and
   Newton-CG run by ``optim.minimize`` until ‖g‖∞ < 1e-5, with the loss value, evaluations
   (nfev, ngev, nhvp) and seconds. When SciPy imports, ``scipy.optimize.minimize`` runs the
   same method (L-BFGS-B for L-BFGS, with Hessian-vector products for Newton-CG) from the
   same start with SciPy's own NumPy Rosenbrock, and the table gives the ratio of function
   evaluations (target: at most 1.5). SciPy is a reference here, never a dependency of the
   package (``pip install scipy`` to see the comparison).
2. The cost of a Hessian-vector product relative to a gradient on an MLP (target: at most
   3×), both from scratch (forward, backward with ``create_graph``, second backward) and as
   an extra product on a gradient graph that is already built (what Newton-CG's inner CG
   pays per iteration).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn, optim

METHODS = {"CG": "CG", "BFGS": "BFGS", "L-BFGS": "L-BFGS-B", "Newton-CG": "Newton-CG"}


def rosenbrock(x):
    """Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)² on a Tensor."""
    a = x[1:] - x[:-1] ** 2
    b = 1 - x[:-1]
    return (100 * a * a + b * b).sum()


def scipy_run(method: str, x0):
    """SciPy's result for the same problem, or None without SciPy."""
    try:
        import scipy.optimize as so
    except ImportError:
        return None
    options = {"gtol": 1e-5}
    extra = {}
    if method == "L-BFGS-B":
        options["ftol"] = 0.0  # stop on the gradient, like the others
    if method == "Newton-CG":
        options = {"xtol": 1e-10}  # SciPy's Newton-CG has no gradient tolerance
        extra = {"hessp": so.rosen_hess_prod}
    start = time.perf_counter()
    result = so.minimize(so.rosen, x0, jac=so.rosen_der, method=method, options=options, **extra)
    result.seconds = time.perf_counter() - start
    return result


def rosenbrock_table(dimensions) -> list[str]:
    lines = [
        "| n | method | f | ‖g‖∞ | nfev | ngev | nhvp | seconds | SciPy f | SciPy nfev | nfev ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in dimensions:
        x0 = np.array([-1.2, 1.0] * (n // 2))
        for ours, theirs in METHODS.items():
            start = time.perf_counter()
            result = optim.minimize(rosenbrock, x0, method=ours, tol=1e-5)
            seconds = time.perf_counter() - start
            reference = scipy_run(theirs, x0)
            if reference is None:
                scipy_cells = "– | – | –"
            else:
                scipy_cells = (
                    f"{reference.fun:.2e} | {reference.nfev} | {result.nfev / reference.nfev:.2f}"
                )
            lines.append(
                f"| {n} | {ours} | {result.fun:.2e} | {float(abs(result.grad).max()):.1e} | "
                f"{result.nfev} | {result.ngev} | {result.nhvp} | {seconds:.2f} | {scipy_cells} |"
            )
    return lines


def hvp_cost(batch: int, width: int, repeats: int) -> list[str]:
    """Median seconds of a gradient and of a Hessian-vector product on an MLP over the digits' shape."""
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(0)
    X = tg.Tensor(rng.standard_normal((batch, 64)))
    labels = rng.integers(0, 10, batch)
    model = nn.Sequential(
        nn.Linear(64, width, rng=0),
        nn.Tanh(),
        nn.Linear(width, width, rng=1),
        nn.Tanh(),
        nn.Linear(width, 10, rng=2),
    )
    params = list(model.parameters())
    vectors = [tg.Tensor(rng.standard_normal(p.shape)) for p in params]

    def gradient():
        loss = F.cross_entropy(model(X), labels)
        return tg.grad(loss, params)

    def gradient_graph():
        loss = F.cross_entropy(model(X), labels)
        return tg.grad(loss, params, create_graph=True)

    def extra_product(gradients):
        return tg.grad(list(gradients), params, grad_outputs=vectors, retain_graph=True)

    def hvp_from_scratch():
        return extra_product(gradient_graph())

    def median_seconds(work, *args):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            work(*args)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    gradient()  # warm up
    t_gradient = median_seconds(gradient)
    t_scratch = median_seconds(hvp_from_scratch)
    graph = gradient_graph()
    t_extra = median_seconds(extra_product, graph)
    n = sum(p.numel() for p in params)
    return [
        f"MLP 64-{width}-{width}-10 (n = {n} parameters), batch {batch}, float64, median of {repeats}:",
        "",
        "| quantity | seconds | relative to a gradient |",
        "|---|---|---|",
        f"| gradient (forward + backward) | {t_gradient:.4f} | 1.00 |",
        f"| Hessian-vector product from scratch | {t_scratch:.4f} | {t_scratch / t_gradient:.2f} |",
        f"| extra product on a built gradient graph | {t_extra:.4f} | {t_extra / t_gradient:.2f} |",
    ]


def main() -> None:
    tg.backend.keep_freed_host_memory()  # as the command line does: big arrays reuse freed memory
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fast", action="store_true", help="2 and 10 dimensions, a small MLP")
    args = parser.parse_args()
    print("## Rosenbrock from (−1.2, 1, ...), until ‖g‖∞ < 1e-5\n")
    print("\n".join(rosenbrock_table((2, 10) if args.fast else (2, 10, 100))))
    print("\n## Cost of a Hessian-vector product\n")
    print(
        "\n".join(
            hvp_cost(
                batch=64 if args.fast else 512,
                width=32 if args.fast else 256,
                repeats=3 if args.fast else 10,
            )
        )
    )


if __name__ == "__main__":
    main()
