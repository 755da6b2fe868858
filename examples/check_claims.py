"""Run every example over several seeds and tabulate its claims: which hold on every seed.

Each example prints its findings as ``CLAIM name: statement ... PASS|FAIL|SKIP`` lines
(``example_utils.Claims``). This script runs every ``examples/*.py`` (except
``example_utils.py`` and itself) in full mode once per seed, each run in its own process with
``MPLBACKEND=Agg`` and ``OPENBLAS_NUM_THREADS=1`` and its figures written to a temporary
folder, and prints one row per example and claim: on how many seeds it passed, failed or was
skipped, and the example's wall time (the median over the seeds). A run that crashes (an exit
code other than 0 or 1, or exit 1 without a failed claim) is shown as such. The script exits 1
when any claim failed or any run crashed.

    python examples/check_claims.py                      # seeds 0-4, one run at a time
    python examples/check_claims.py --seeds 0-9 --jobs 2
    python examples/check_claims.py --only bias_initialization damped_newton --seeds 3,7
    python examples/check_claims.py --seeds 0 --fast --markdown    # the table for the docs
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

EXAMPLES_FOLDER = pathlib.Path(__file__).resolve().parent
REPOSITORY = EXAMPLES_FOLDER.parent
NOT_EXAMPLES = {"example_utils.py", "check_claims.py"}
CLAIM_LINE = re.compile(
    r"^CLAIM (?P<name>[^\s:]+): (?P<statement>.*) \.\.\. (?P<result>PASS|FAIL|SKIP)\b"
)
RUN_SECONDS = 600  # an example takes at most 60 s; this only stops a hung one


@dataclass
class Claim:
    name: str
    statement: str
    result: str  # "PASS", "FAIL" or "SKIP"


@dataclass
class Run:
    """One example run with one seed: its claims, its exit code and how long it took."""

    example: str
    seed: int
    returncode: int
    seconds: float
    claims: list[Claim] = field(default_factory=list)
    output_tail: str = ""

    @property
    def crashed(self) -> bool:
        failed = any(claim.result == "FAIL" for claim in self.claims)
        return self.returncode not in (0, 1) or (self.returncode == 1) != failed


def parse_claims(output: str) -> list[Claim]:
    """The ``CLAIM name: statement ... RESULT`` lines of an example's output, in order."""
    claims = []
    for line in output.splitlines():
        match = CLAIM_LINE.match(line.strip())
        if match:
            claims.append(Claim(match["name"], match["statement"], match["result"]))
    return claims


def parse_seeds(text: str) -> list[int]:
    """Seeds written as ``0-9``, ``1,4,7`` or a mix (``0-2,5``); each an integer ≥ 0."""
    seeds: list[int] = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise argparse.ArgumentTypeError(f"seeds are written 0-9 or 1,4,7, not {text!r}")
        first, last = int(low), int(high or low)
        if last < first:
            raise argparse.ArgumentTypeError(f"an empty seed range: {part!r}")
        seeds += [seed for seed in range(first, last + 1) if seed not in seeds]
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return seeds


def discover_examples() -> list[str]:
    """The names of every example script, sorted."""
    return sorted(
        path.stem for path in EXAMPLES_FOLDER.glob("*.py") if path.name not in NOT_EXAMPLES
    )


def run_example(example: str, seed: int, out: pathlib.Path, fast: bool) -> Run:
    environment = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
    )
    command = [sys.executable, str(EXAMPLES_FOLDER / f"{example}.py"), "--seed", str(seed)]
    command += ["--out", str(out / f"{example}-{seed}")] + (["--fast"] if fast else [])
    start = time.perf_counter()
    try:
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=RUN_SECONDS
        )
        returncode, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as timeout:
        returncode, output = -9, f"timed out after {RUN_SECONDS} s\n{timeout.stdout or ''}"
    seconds = time.perf_counter() - start
    return Run(example, seed, returncode, seconds, parse_claims(output), output[-2000:])


def summary_rows(runs: list[Run], seeds: list[int]) -> list[dict]:
    """One row per example and claim (in the order the claims are printed), plus crashes."""
    rows = []
    for example in dict.fromkeys(run.example for run in runs):
        mine = [run for run in runs if run.example == example]
        seconds = statistics.median(run.seconds for run in mine)
        names = list(dict.fromkeys(claim.name for run in mine for claim in run.claims))
        for name in names:
            results = {
                run.seed: claim.result for run in mine for claim in run.claims if claim.name == name
            }
            statement = next(
                claim.statement for run in mine for claim in run.claims if claim.name == name
            )
            rows.append(
                {
                    "example": example,
                    "claim": name,
                    "statement": statement,
                    "passed": sum(result == "PASS" for result in results.values()),
                    "failed": [seed for seed, result in results.items() if result == "FAIL"],
                    "skipped": sum(result == "SKIP" for result in results.values()),
                    "missing": [seed for seed in seeds if seed not in results],
                    "seeds": len(seeds),
                    "seconds": seconds,
                }
            )
        crashed = [run.seed for run in mine if run.crashed]
        if crashed or not names:
            rows.append(
                {
                    "example": example,
                    "claim": "(crashed)" if crashed else "(no claim printed)",
                    "statement": "",
                    "passed": 0,
                    "failed": crashed,
                    "skipped": 0,
                    "missing": [],
                    "seeds": len(seeds),
                    "seconds": seconds,
                }
            )
    return rows


def verdict(row: dict) -> str:
    text = f"{row['passed']}/{row['seeds']}"
    if row["failed"]:
        text += f", FAIL seeds {','.join(map(str, row['failed']))}"
    if row["skipped"]:
        text += f", SKIP {row['skipped']}"
    if row["missing"]:
        text += f", absent seeds {','.join(map(str, row['missing']))}"
    return text


def text_table(rows: list[dict]) -> str:
    header = ("example", "claim", "seeds passed", "wall s (median)")
    lines = [(r["example"], r["claim"], verdict(r), f"{r['seconds']:.1f}") for r in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in [header, *lines]
    )


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| example | claim | what it checks (first seed's numbers) | seeds passed | wall s |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        statement = row["statement"].replace("|", "\\|")
        lines.append(
            f"| `{row['example']}` | `{row['claim']}` | {statement} | {verdict(row)} "
            f"| {row['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=parse_seeds("0-4"),
        help="seeds, e.g. 0-9 or 1,4,7 (default 0-4)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these examples")
    parser.add_argument("--fast", action="store_true", help="run the examples in fast mode")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    examples = discover_examples()
    if args.only:
        unknown = [name.removesuffix(".py") for name in args.only]
        unknown = [name for name in unknown if name not in examples]
        if unknown:
            parser.error(f"no such example: {', '.join(unknown)} (have: {', '.join(examples)})")
        examples = [name for name in examples if name in {n.removesuffix(".py") for n in args.only}]
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="check_claims_") as folder:
        tasks = [(example, seed) for example in examples for seed in args.seeds]
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(run_example, example, seed, pathlib.Path(folder), args.fast)
                for example, seed in tasks
            ]
            runs = []
            for future in futures:
                run = future.result()
                runs.append(run)
                state = "crashed" if run.crashed else f"exit {run.returncode}"
                print(
                    f"  {run.example} --seed {run.seed}: {state}, {run.seconds:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                if run.crashed:
                    print(run.output_tail, file=sys.stderr)
    rows = summary_rows(runs, args.seeds)
    print(markdown_table(rows) if args.markdown else text_table(rows))
    bad = [row for row in rows if row["failed"] or row["missing"]]
    if bad:
        print(f"{len(bad)} claim(s) failed, crashed or went missing on some seed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
