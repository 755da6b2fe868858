"""examples/check_claims.py: reading CLAIM lines, seed lists, and the table over seeds."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
import check_claims  # noqa: E402
from check_claims import Claim, Run, parse_claims, parse_seeds, summary_rows  # noqa: E402

OUTPUT = """\
tuning the learning rates
CLAIM sgd_tuned: best lr 0.1 (score 0.31) lies strictly inside the grid [0.01, 1] ... PASS
  momentum: 12 steps
CLAIM faster: 12 steps vs 40 (need fewer: 1 ... 3 PASS) ... FAIL
CLAIM long: 1000 epochs ... SKIP (needs the full run)
CLAIM unfinished: a statement with no verdict
not a CLAIM line ... PASS
1 claim(s) failed: faster
"""


def test_parse_claims_reads_name_statement_and_result():
    assert parse_claims(OUTPUT) == [
        Claim(
            "sgd_tuned", "best lr 0.1 (score 0.31) lies strictly inside the grid [0.01, 1]", "PASS"
        ),
        Claim("faster", "12 steps vs 40 (need fewer: 1 ... 3 PASS)", "FAIL"),
        Claim("long", "1000 epochs", "SKIP"),
    ]


@pytest.mark.parametrize(
    "text, seeds",
    [("0-4", [0, 1, 2, 3, 4]), ("3", [3]), ("1,4,7", [1, 4, 7]), ("0-2,5,1", [0, 1, 2, 5])],
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "4-2", "1-x", "-3"])
def test_parse_seeds_rejects_nonsense(text):
    with pytest.raises(check_claims.argparse.ArgumentTypeError):
        parse_seeds(text)


def run(seed, returncode, *results, seconds=1.0):
    claims = [Claim(name, f"{name} measured", result) for name, result in results]
    return Run("demo", seed, returncode, seconds, claims)


def test_crashed_means_an_exit_code_that_does_not_match_the_claims():
    assert not run(0, 0, ("a", "PASS")).crashed
    assert not run(0, 1, ("a", "FAIL")).crashed
    assert run(0, 1, ("a", "PASS")).crashed  # exit 1 without a failed claim: a traceback
    assert run(0, 0, ("a", "FAIL")).crashed  # a failed claim but exit 0: finish() not called
    assert run(0, -9).crashed  # timed out


def test_summary_counts_each_claim_over_the_seeds():
    runs = [
        run(0, 0, ("a", "PASS"), ("b", "PASS"), seconds=2.0),
        run(1, 1, ("a", "PASS"), ("b", "FAIL"), seconds=4.0),
        run(2, 0, ("a", "PASS"), ("b", "SKIP"), seconds=9.0),
    ]
    rows = summary_rows(runs, [0, 1, 2])
    assert [(r["claim"], r["passed"], r["failed"], r["skipped"]) for r in rows] == [
        ("a", 3, [], 0),
        ("b", 1, [1], 1),
    ]
    assert all(r["seconds"] == 4.0 for r in rows)  # the median wall time
    assert check_claims.verdict(rows[1]) == "1/3, FAIL seeds 1, SKIP 1"


def test_summary_shows_a_crash_and_a_claim_gone_missing():
    runs = [run(0, 0, ("a", "PASS")), run(1, 2)]
    rows = summary_rows(runs, [0, 1])
    assert [(r["claim"], r["passed"], r["failed"], r["missing"]) for r in rows] == [
        ("a", 1, [], [1]),
        ("(crashed)", 0, [1], []),
    ]


def test_markdown_table_escapes_bars():
    rows = summary_rows([run(0, 0, ("a", "PASS"))], [0])
    rows[0]["statement"] = "|diff| < 0.02"
    table = check_claims.markdown_table(rows)
    assert "\\|diff\\| < 0.02" in table and table.splitlines()[1] == "|---|---|---|---|---|"


def test_examples_are_discovered_without_the_helpers():
    examples = check_claims.discover_examples()
    assert examples and "example_utils" not in examples and "check_claims" not in examples


@pytest.mark.parametrize("argv", [["--only", "no_such_example"], ["--jobs", "0"], ["--seeds", "x"]])
def test_bad_options_stop_before_any_run(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        check_claims.main(argv)
    assert exit_info.value.code == 2
