"""Benchmark: instructions per iteration of the engine's small workloads, counted by callgrind.

    python benchmarks/instructions.py [--only NAME ...]

Wall time on a shared or virtual machine drifts (on the development machine by up to 2x between
minutes), so engine changes of a few percent are measured here in instructions instead:
``valgrind --tool=callgrind`` counts them, and the count is the same whatever else the machine
is doing. Each workload runs in a fresh process under callgrind at two sizes, and the
difference of the totals over the difference of the sizes is its cost per iteration, free of
the imports and the set-up. Needs valgrind (``apt-get install valgrind``); about three
minutes.

Workloads: ``step``, the small MLP step of ``engine.py`` (32, 64, 64, 2); ``numpy-step``, its
hand-written NumPy baseline; ``add``, a recorded 3-element add; ``add-backward``, the add and
``backward(seed)``, as ``engine.py`` times them; ``chain``, ``y = y * 1.0000001`` per op,
forward and ``y.sum().backward()``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parents[1]
# workload: (the two sizes, what one iteration is)
WORKLOADS = {
    "step": ((20, 120), "training step"),
    "numpy-step": ((20, 120), "training step"),
    "add": ((1000, 5000), "op"),
    "add-backward": ((1000, 5000), "op and its backward"),
    "chain": ((2000, 12000), "op, forward and backward"),
}


def run_workload(name: str, size: int) -> None:
    """The workload ``name`` at ``size`` iterations, in this process (what callgrind counts)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
    import engine

    import tinygrad_ch8 as tg

    if name in ("step", "numpy-step"):
        x, y, layers = engine.make_problem(numpy, engine.SIZES[0])
        if name == "numpy-step":
            for _ in range(size):
                engine.array_step(numpy, x, y, layers)
            return
        parameters, inputs = engine.as_parameters(layers), tg.Tensor.from_array(x)
        for _ in range(size):
            engine.engine_step(inputs, y, parameters)
        return
    a, b = (tg.Tensor(numpy.ones(3, numpy.float32), requires_grad=True) for _ in range(2))
    if name == "add":
        for _ in range(size):
            a + b
    elif name == "add-backward":
        seed = tg.Tensor.from_array(numpy.ones(3, numpy.float32))
        for _ in range(size):
            (a + b).backward(seed)
    else:
        engine.build_chain(a, size).sum().backward()


def count_instructions(name: str, size: int) -> int:
    """Instructions callgrind counts for a fresh process running ``name`` at ``size``."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={folder}/callgrind.out",
            sys.executable,
            __file__,
            "--run",
            name,
            str(size),
        ]
        environment = os.environ | {"OPENBLAS_NUM_THREADS": "1"}
        result = subprocess.run(command, capture_output=True, text=True, env=environment)
    match = re.search(r"Collected : ([\d,]+)", result.stderr)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"callgrind failed on {name} {size}:\n{result.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), help="these workloads only")
    parser.add_argument("--run", nargs=2, metavar=("NAME", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_workload(args.run[0], int(args.run[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("needs valgrind: apt-get install valgrind (or brew install valgrind)")
        return 1
    print("| workload | instructions per iteration | iteration |")
    print("|---|---|---|")
    for name in args.only or WORKLOADS:
        (small, large), what = WORKLOADS[name]
        per_iteration = (count_instructions(name, large) - count_instructions(name, small)) / (
            large - small
        )
        print(f"| {name} | {per_iteration:,.0f} | {what} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
