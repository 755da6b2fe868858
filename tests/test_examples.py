"""Every example runs in fast mode: exit code 0, a finding printed, a figure written.

Each ``examples/*.py`` (except the shared ``example_utils.py``) is run as a learner would run
it, ``python examples/NAME.py --fast --out DIR``, in its own process, so an example that
only works when imported from the test process (or that leaks state into it) is caught.
"""

import os
import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    path for path in (REPOSITORY / "examples").glob("*.py") if path.name != "example_utils.py"
)
FIGURE_SUFFIXES = {".png", ".svg", ".pdf"}
FAST_MODE_SECONDS = 120  # "a few seconds" is the goal; this only stops a hung example


def test_there_are_examples():
    assert EXAMPLES, "no examples found under examples/"


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_in_fast_mode(script, tmp_path):
    environment = dict(os.environ, MPLBACKEND="Agg")
    # the repository's package first, so the examples run against this working tree installed or not
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, str(script), "--fast", "--out", str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=FAST_MODE_SECONDS,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip(), f"{script.name} printed nothing: an example says what it shows"
    figures = [
        path
        for path in tmp_path.rglob("*")
        if path.suffix in FIGURE_SUFFIXES and path.stat().st_size > 0
    ]
    assert figures, f"{script.name} wrote no figure (.png, .svg or .pdf) to --out"
