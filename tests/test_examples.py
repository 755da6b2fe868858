"""Every example runs in fast mode and proves what it says: a claim decided, none failed, a figure.

Each ``examples/*.py`` (except the shared ``example_utils.py`` and the runner
``check_claims.py``) is run as a learner would run it, ``python examples/NAME.py --fast
--seed 0 --out DIR``, in its own process, so an example that only works when imported from the
test process (or that leaks state into it) is caught. Its output must hold at least one
``CLAIM ... PASS`` line, no ``FAIL``, and no finding printed without a verdict: every line that
begins like a claim or a finding has to be a complete ``CLAIM name: ... PASS|FAIL|SKIP`` line.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "examples"))
from check_claims import CLAIM_LINE, NOT_EXAMPLES  # noqa: E402

EXAMPLES = sorted(
    path for path in (REPOSITORY / "examples").glob("*.py") if path.name not in NOT_EXAMPLES
)
FIGURE_SUFFIXES = {".png", ".svg", ".pdf"}
FAST_MODE_SECONDS = 120  # "a few seconds" is the goal; this only stops a hung example
# words that open a finding; such a line must be a CLAIM line with its verdict
FINDING_OPENINGS = ("claim", "finding", "result:", "conclusion", "verdict")
# examples that need an optional package (the ``papers`` extra) and exit 0 without it
OPTIONAL_PACKAGES = {"reproduce_greydanus2020": "mnist1d"}


def test_there_are_examples():
    assert EXAMPLES, "no examples found under examples/"


def undecided_findings(output: str) -> list[str]:
    """Lines that state a finding without being a complete, decided CLAIM line."""
    return [
        line
        for line in output.splitlines()
        if line.strip().lower().startswith(FINDING_OPENINGS) and not CLAIM_LINE.match(line.strip())
    ]


def test_undecided_findings_are_recognized():
    decided = "CLAIM fast: 3 steps vs 9 (need fewer) ... PASS"
    assert undecided_findings(decided) == []
    assert undecided_findings("Finding: momentum is faster") == ["Finding: momentum is faster"]
    assert undecided_findings("CLAIM fast: momentum is faster") == [
        "CLAIM fast: momentum is faster"
    ]
    assert undecided_findings("loss 0.31 after 40 steps") == []


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_in_fast_mode(script, tmp_path):
    package = OPTIONAL_PACKAGES.get(script.stem)
    if package is not None and importlib.util.find_spec(package) is None:
        pytest.skip(f"{script.name} needs {package}: pip install {package} (the papers extra)")
    environment = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    # the repository's package first, so the examples run against this working tree installed or not
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, str(script), "--fast", "--seed", "0", "--out", str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=FAST_MODE_SECONDS,
    )
    report = f"{script.name}:\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"exit {result.returncode}, {report}"
    verdicts = [
        match["result"] for match in map(CLAIM_LINE.match, result.stdout.splitlines()) if match
    ]
    assert "PASS" in verdicts, (
        f"no CLAIM line passed: an example decides a claim in fast mode, {report}"
    )
    assert "FAIL" not in verdicts, f"a claim failed, {report}"
    assert undecided_findings(result.stdout) == [], f"a finding without a verdict, {report}"
    figures = [
        path
        for path in tmp_path.rglob("*")
        if path.suffix in FIGURE_SUFFIXES and path.stat().st_size > 0
    ]
    assert figures, f"{script.name} wrote no figure (.png, .svg or .pdf) to --out"
