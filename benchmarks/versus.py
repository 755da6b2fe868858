"""Benchmark: the engine's per-op times now against an earlier commit, on this machine.

    python benchmarks/versus.py REV [--rounds N]

Absolute times measured on one day do not carry to another on a shared or virtual machine: on
the development machine the same NumPy step takes 0.09 ms in one minute and 0.14 ms in the
next, and a bare 3-element add 0.2 µs on the day issue 15 was filed against 0.4 µs now. What
does carry is the ratio of two versions timed in the same minutes. This script checks REV out
into a temporary git worktree and measures both trees in fresh processes, in turn (REV, this
tree, REV, ...) for N rounds, each process importing its own tree's package; it prints each
measure's median per tree and their ratio.

The measures use only the public API of every version since the first one, and the same user
code on both trees:

- ``add``: a 3-element ``(a + b).backward(seed)``, µs (``engine.py``'s "forward + backward");
- ``chain forward`` / ``chain backward``: ``y = y * 1.0000001`` 200,000 times from a
  3-element leaf, then ``y.sum().backward()``, µs per op;
- ``hvp / gradient``: ``tg.autograd.hvp`` over ``tg.grad`` (each from the forward pass) on
  the (128, 784, 256, 2) ReLU MLP of ``engine.py`` in float64, written ``h @ W + b``.

The run sets one BLAS thread, so that the cores' load moves both trees alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAIN_OPS = 200_000
ADD_LOOPS = 2000
MEASURES = ("add", "chain forward", "chain backward", "hvp / gradient")
UNITS = {"add": "µs", "chain forward": "µs/op", "chain backward": "µs/op", "hvp / gradient": "×"}


def measure() -> dict:
    """Every measure once, on the ``tinygrad_ch8`` this process imports (its tree's)."""
    import numpy

    import tinygrad_ch8 as tg
    import tinygrad_ch8.functional as F

    # the malloc setting the command line and engine.py make (earlier versions made it on import):
    # without it every large array is page-faulted afresh, which slows both sides of the hvp row
    getattr(tg.backend, "keep_freed_host_memory", lambda: None)()

    def best_of(runs: int, body) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            body()
            times.append(time.perf_counter() - start)
        return min(times)

    result = {}
    a, b = (tg.Tensor(numpy.ones(3, numpy.float32), requires_grad=True) for _ in range(2))
    seed = tg.Tensor(numpy.ones(3, numpy.float32))

    def adds():
        for _ in range(ADD_LOOPS):
            (a + b).backward(seed)

    result["add"] = best_of(5, adds) / ADD_LOOPS * 1e6

    leaf = tg.Tensor(numpy.ones(3, numpy.float32), requires_grad=True)
    start = time.perf_counter()
    y = leaf
    for _ in range(CHAIN_OPS):
        y = y * 1.0000001
    result["chain forward"] = (time.perf_counter() - start) / CHAIN_OPS * 1e6
    start = time.perf_counter()
    y.sum().backward()
    result["chain backward"] = (time.perf_counter() - start) / CHAIN_OPS * 1e6
    del y
    gc.collect()

    rng = numpy.random.default_rng(0)
    widths = [784, 256, 256, 10]
    arrays = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        arrays += [
            rng.standard_normal((fan_in, fan_out)) * (2 / fan_in) ** 0.5,
            numpy.zeros(fan_out),
        ]
    x = tg.Tensor(rng.standard_normal((128, 784)))
    labels = rng.integers(0, 10, size=128)
    directions = [rng.standard_normal(array.shape) for array in arrays]

    def loss(*parameters):
        h = x
        for i in range(0, len(parameters) - 2, 2):
            h = (h @ parameters[i] + parameters[i + 1]).relu()
        return F.cross_entropy(h @ parameters[-2] + parameters[-1], labels)

    def gradient():
        parameters = [tg.Tensor.from_array(array).requires_grad_() for array in arrays]
        tg.grad(loss(*parameters), parameters)

    def hessian_vector_product():
        tg.autograd.hvp(loss, arrays, directions)

    gradient(), hessian_vector_product()  # warm-up
    result["hvp / gradient"] = best_of(5, hessian_vector_product) / best_of(5, gradient)
    return result


def measure_tree(tree: Path) -> dict:
    """``measure()`` in a fresh process importing ``tree``'s package, with one BLAS thread."""
    environment = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    environment["OMP_NUM_THREADS"] = environment["MKL_NUM_THREADS"] = "1"
    command = [sys.executable, str(Path(__file__).resolve()), "--measure"]
    output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    return json.loads(output.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", nargs="?", help="the earlier commit, e.g. 13c9b09")
    parser.add_argument("--rounds", type=int, default=5, help="processes per tree (default 5)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure()))
        return 0
    if args.revision is None:
        parser.error("give the earlier commit to compare with")
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch) / "earlier"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(earlier), args.revision],
            check=True,
            capture_output=True,
        )
        try:
            runs = {"earlier": [], "now": []}
            for _ in range(args.rounds):
                runs["earlier"].append(measure_tree(earlier))
                runs["now"].append(measure_tree(ROOT))
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(earlier)], check=True)
    print(f"| measure | {args.revision} | now | now / {args.revision} |")
    print("|---|---|---|---|")
    for name in MEASURES:
        before, after = (statistics.median(run[name] for run in runs[side]) for side in runs)
        print(
            f"| {name} | {before:.2f} {UNITS[name]} | {after:.2f} {UNITS[name]} | {after / before:.2f} |"
        )
    print(f"\nmedians of {args.rounds} fresh processes per tree, run in turn; one BLAS thread")
    return 0


if __name__ == "__main__":
    sys.exit(main())
