"""The examples' shared helpers: claims decided and printed, the grid-edge check, seed bands."""

import math
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
from example_utils import Claims, band, best_on_grid, mean_and_spread, parse_args  # noqa: E402


def test_check_prints_pass_and_fail_lines(capsys):
    claims = Claims(fast=False)
    assert claims.check("faster", "12 steps vs 40 (need fewer)", True) is True
    assert claims.check("lower", "loss 0.3 vs 0.2 (need lower)", False) is False
    assert capsys.readouterr().out.splitlines() == [
        "CLAIM faster: 12 steps vs 40 (need fewer) ... PASS",
        "CLAIM lower: loss 0.3 vs 0.2 (need lower) ... FAIL",
    ]
    assert claims.results == {"faster": "PASS", "lower": "FAIL"}


def test_needs_full_run_skips_only_in_fast_mode(capsys):
    fast, full = Claims(fast=True), Claims(fast=False)
    assert fast.needs_full_run("long", "1000 epochs") is True
    assert full.needs_full_run("long", "1000 epochs") is False
    assert capsys.readouterr().out == "CLAIM long: 1000 epochs ... SKIP (needs the full run)\n"
    assert fast.results == {"long": "SKIP"} and full.results == {}


def test_finish_exits_1_when_a_claim_failed(capsys):
    claims = Claims(fast=False)
    claims.check("good", "1 < 2", True)
    claims.check("bad", "3 < 2", False)
    with pytest.raises(SystemExit) as exit_info:
        claims.finish()
    assert exit_info.value.code == 1
    assert "1 claim(s) failed: bad" in capsys.readouterr().out


def test_finish_returns_when_every_decided_claim_passed():
    claims = Claims(fast=True)
    claims.check("good", "1 < 2", True)
    claims.needs_full_run("long", "1000 epochs")
    assert claims.finish() is None


@pytest.mark.parametrize("skip", [True, False])
def test_finish_refuses_a_run_that_decided_nothing(skip):
    claims = Claims(fast=True)
    if skip:
        claims.needs_full_run("long", "1000 epochs")
    with pytest.raises(RuntimeError, match="no claim was decided"):
        claims.finish()


def test_a_claim_name_is_checked_once():
    claims = Claims(fast=True)
    claims.check("same", "first", True)
    with pytest.raises(ValueError, match="'same' is checked twice"):
        claims.check("same", "second", True)
    with pytest.raises(ValueError, match="checked twice"):
        claims.needs_full_run("same", "third")


@pytest.mark.parametrize(
    "scores, best, result",
    [
        ([3.0, 1.0, 2.0], 0.1, "PASS"),
        ([1.0, 2.0, 3.0], 0.01, "FAIL"),  # lowest on the bottom edge: the grid must go lower
        ([3.0, 2.0, 1.0], 1.0, "FAIL"),  # on the top edge
        ([math.nan, 1.0, math.inf], 0.1, "PASS"),  # a diverged run scores +inf
        ([1.0, math.nan, 0.5, 0.7], 0.3, "PASS"),
    ],
)
def test_best_on_grid_checks_the_edges(capsys, scores, best, result):
    grid = [0.01, 0.1, 1.0] if len(scores) == 3 else [0.01, 0.1, 0.3, 1.0]
    claims = Claims(fast=False)
    assert best_on_grid(claims, "sgd", grid, scores) == best
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"CLAIM sgd_tuned: best lr {best:g} ")
    assert line.endswith(f"... {result}")
    assert claims.results == {"sgd_tuned": result}


@pytest.mark.parametrize("grid, scores", [([0.1, 1.0], [1.0, 2.0]), ([0.1, 1.0, 10.0], [1.0])])
def test_best_on_grid_rejects_a_short_or_mismatched_grid(grid, scores):
    with pytest.raises(ValueError, match="at least 3 values"):
        best_on_grid(Claims(fast=False), "sgd", grid, scores)


def test_mean_and_spread_is_the_mean_and_sample_standard_deviation():
    assert mean_and_spread([1.0, 2.0, 3.0]) == (2.0, 1.0)
    mean, spread = mean_and_spread([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    assert mean == 5.0 and spread == pytest.approx(math.sqrt(32 / 7), rel=1e-15)
    assert mean_and_spread([0.25]) == (0.25, 0.0)
    with pytest.raises(ValueError, match="no values"):
        mean_and_spread([])


def test_band_formats_mean_and_spread():
    assert band([0.90, 0.92, 0.94], scale=100) == "92.0 ± 2.0"
    assert band([1.0, 2.0, 3.0], digits=3) == "2.000 ± 1.000"


def test_parse_args_gives_the_shared_options(tmp_path):
    out = tmp_path / "figures"
    args = parse_args("doc", ["--fast", "--seed", "7", "--out", str(out)])
    assert (args.fast, args.seed, args.out) == (True, 7, str(out)) and out.is_dir()
    defaults = parse_args("doc", ["--out", str(out)])
    assert (defaults.fast, defaults.seed) == (False, 0)
    with pytest.raises(SystemExit):
        parse_args("doc", ["--seed", "-1", "--out", str(out)])
