"""What every example shares: its command line, its claims, fair step sizes and seed bands.

Each example is run as ``python examples/NAME.py [--fast] [--seed N] [--out DIR]``. It prints
every finding as a claim checked in this run::

    CLAIM adam_wider_stable_range: stable for 5 of 7 eps with correction vs 2 without (need more) ... PASS

and saves its figure(s) to DIR (default ``figures/``). ``--seed`` seeds all of its randomness;
``--fast`` shrinks the work so the test suite runs every example in a few seconds, and a claim
that needs the full budget then prints ``SKIP (needs the full run)`` instead of a verdict. The
script exits 1 when any claim fails (``Claims.finish``). ``check_claims.py`` runs every example
over several seeds and tabulates the verdicts.

The figures use matplotlib's backend from ``MPLBACKEND`` (the tests set ``Agg``); a script run
on a machine without a display falls back to writing files, which is all an example does.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence

from tinygrad_ch8 import backend

CLAIM_RESULTS = ("PASS", "FAIL", "SKIP")


def parse_args(description: str, argv=None, configure=None) -> argparse.Namespace:
    """The shared options ``--fast``, ``--seed`` and ``--out``; ``configure(parser)`` adds more."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seeds all randomness of the run (default: 0)"
    )
    parser.add_argument(
        "--out", default="figures", help="folder for the figures (default: figures/)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default: 1, fastest for these small networks on a busy machine)",
    )
    if configure is not None:
        configure(parser)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    backend.limit_blas_threads(args.threads)
    return args


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is an integer >= 0, not {text}")
    return value


class Claims:
    """The findings of one run, each decided by a test in this run and printed as one line.

    ``check(name, statement, passed)`` prints ``CLAIM name: statement ... PASS`` (or ``FAIL``);
    the statement gives the measured numbers and the threshold they were held to, so the line
    would read differently if the effect vanished. ``needs_full_run(name, statement)`` prints
    ``SKIP (needs the full run)`` in fast mode and returns True, so the caller skips the check.
    """

    def __init__(self, fast: bool):
        self.fast = fast
        self.results: dict[str, str] = {}

    def check(self, name: str, statement: str, passed: bool) -> bool:
        result = "PASS" if passed else "FAIL"
        self._record(name, statement, result)
        return bool(passed)

    def needs_full_run(self, name: str, statement: str) -> bool:
        """True (and a SKIP line printed) in fast mode, where the budget is too small to decide."""
        if self.fast:
            self._record(name, statement, "SKIP (needs the full run)")
        return self.fast

    def _record(self, name: str, statement: str, result: str) -> None:
        if name in self.results:
            raise ValueError(f"claim {name!r} is checked twice in one run")
        self.results[name] = result.split()[0]
        print(f"CLAIM {name}: {statement} ... {result}", flush=True)

    def finish(self) -> None:
        """Exit 1 when a claim failed; an example must decide at least one claim in every mode."""
        decided = [result for result in self.results.values() if result != "SKIP"]
        if not decided:
            raise RuntimeError("no claim was decided in this run: every mode checks at least one")
        failed = [name for name, result in self.results.items() if result == "FAIL"]
        if failed:
            print(f"{len(failed)} claim(s) failed: {', '.join(failed)}")
            sys.exit(1)


def best_on_grid(
    claims: Claims, name: str, grid: Sequence[float], scores: Sequence[float], what: str = "lr"
) -> float:
    """The grid value with the lowest score, with a claim that it lies strictly inside the grid.

    A best value on the edge of the grid means the search stopped too early: the method was
    not tuned fairly, and what it is compared with would win only by that.
    """
    if len(grid) != len(scores) or len(grid) < 3:
        raise ValueError("a tuning grid needs at least 3 values and one score for each")
    finite = [score if math.isfinite(score) else math.inf for score in scores]
    best = min(range(len(grid)), key=finite.__getitem__)
    claims.check(
        f"{name}_tuned",
        f"best {what} {grid[best]:g} (score {finite[best]:.3g}) lies strictly inside the grid "
        f"[{grid[0]:g}, {grid[-1]:g}]",
        0 < best < len(grid) - 1,
    )
    return grid[best]


def mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (0 for a single value) of ``values``."""
    n = len(values)
    if n == 0:
        raise ValueError("no values to summarize")
    mean = sum(values) / n
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, spread


def band(values: Sequence[float], scale: float = 1.0, digits: int = 1) -> str:
    """``values`` as 'mean ± std' (times ``scale``, e.g. 100 for percent)."""
    mean, spread = mean_and_spread(values)
    return f"{scale * mean:.{digits}f} ± {scale * spread:.{digits}f}"


def save_figure(figure, args: argparse.Namespace, name: str) -> str:
    """Save a matplotlib figure as ``<out>/<name>.png``, close it and return the path."""
    import matplotlib.pyplot as plt

    path = os.path.join(args.out, f"{name}.png")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    print(f"figure saved to {path}")
    return path
