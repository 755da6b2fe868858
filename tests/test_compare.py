"""``tinygrad-ch8 compare``: the races measure what they claim; the command writes its figure and table."""

import argparse

import numpy as np
import pytest

from tinygrad_ch8 import optim
from tinygrad_ch8.commands import compare

pytest.importorskip("matplotlib")


def parse(argv):
    parser = argparse.ArgumentParser()
    compare.add_arguments(parser)
    return parser.parse_args(argv)


def test_the_quadratic_race_is_gradient_descent_by_hand():
    """x_{k+1} = x_k − ε(Ax_k − b); the gap is ½(x − x*)ᵀA(x − x*)."""
    A, b, x_star = compare.QUADRATIC_A, compare.QUADRATIC_B, compare.QUADRATIC_MINIMIZER
    result = compare.race(compare.PROBLEMS["quadratic"], "sgd", steps=5, lr=0.02, device="cpu")
    x = x_star + np.array([3.0, 2.0])
    for step in range(6):
        np.testing.assert_allclose(result.path[step], x, rtol=1e-12)
        assert result.gaps[step] == pytest.approx(0.5 * (x - x_star) @ A @ (x - x_star), rel=1e-9)
        x = x - 0.02 * (A @ x - b)
    assert result.seconds[0] == 0.0 and all(np.diff(result.seconds) >= 0)


def test_a_diverging_run_is_cut_and_reported(capsys, tmp_path):
    result = compare.race(compare.PROBLEMS["quadratic"], "sgd", steps=200, lr=1.0, device="cpu")
    assert result.diverged and len(result.gaps) < 201 and np.isfinite(result.gaps).all()
    compare.run(
        parse(
            [
                "--problem",
                "quadratic",
                "--optimizers",
                "sgd",
                "--lr",
                "1.0",
                "--steps",
                "200",
                "--out",
                str(tmp_path / "q.png"),
            ]
        )
    )
    assert "diverged" in capsys.readouterr().out


def test_first_within_counts_steps_to_the_tolerance():
    race = compare.Race(
        lr=0.1, gaps=[1.0, 0.5, 1e-3, 1e-5], seconds=[0.0, 0.1, 0.2, 0.3], path=[None] * 4
    )
    assert race.first_within(1e-2) == 2
    assert race.first_within(1e-9) is None
    table = compare.format_table({"adam": race}, 1e-2)
    assert table.splitlines()[-1].split() == ["adam", "0.1", "1.000e-05", "2", "0.2000"]


@pytest.mark.parametrize("problem", ["rosenbrock", "beale", "saddle", "quadratic"])
def test_compare_writes_one_figure_and_a_table(problem, tmp_path, capsys):
    out = tmp_path / f"{problem}.png"
    assert compare.run(parse(["--problem", problem, "--steps", "5", "--out", str(out)])) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    for name in compare.DEFAULT_OPTIMIZERS:
        assert any(line.split()[0] == name for line in printed.splitlines() if line.strip())
    assert "iters to tol" in printed and str(out) in printed


def test_digits_problem_trains_the_mlp(tmp_path, capsys):
    out = tmp_path / "digits.png"
    compare.run(
        parse(["--problem", "digits", "--optimizers", "adam", "--steps", "3", "--out", str(out)])
    )
    assert out.exists()
    result = compare.race(compare.PROBLEMS["digits"], "adam", steps=3, lr=None, device="cpu")
    assert result.gaps[0] == pytest.approx(
        np.log(10), rel=0.2
    )  # near-uniform predictions at the start
    assert result.gaps[-1] < result.gaps[0]


@pytest.mark.parametrize("name", compare.optimizer_names())
def test_every_optimizer_name_runs_and_descends(name, device):
    assert name in optim.OPTIMIZERS or name in compare.FIRST_ORDER_VARIANTS
    result = compare.race(compare.PROBLEMS["quadratic"], name, steps=3, lr=None, device=device)
    assert not result.diverged and result.gaps[-1] < result.gaps[0]


def test_unknown_names_are_refused():
    with pytest.raises(SystemExit):
        parse(["--optimizers", "sgdd"])
    with pytest.raises(ValueError, match="unknown optimizer"):
        compare.make_optimizer("sgdd", [], None)


def test_lbfgs_iterations_are_counted_not_its_steps():
    """One L-BFGS step(closure) runs up to max_iter = 20 iterations: the table counts those."""
    result = compare.race(compare.PROBLEMS["rosenbrock"], "lbfgs", steps=3, lr=None, device="cpu")
    steps = len(result.gaps) - 1
    assert result.iterations[0] == 0 and result.iterations[-1] > steps
    assert result.runs_several_per_step()
    arrived = result.first_within(1.0)
    table = compare.format_table({"lbfgs": result}, 1.0)
    row = next(line for line in table.splitlines() if line.startswith("lbfgs"))
    assert row.split()[-2] == f"{result.iterations[arrived]}*"
    assert table.splitlines()[-1].startswith("* lbfgs: one step(closure) runs several iterations")
    first_order = compare.race(
        compare.PROBLEMS["quadratic"], "adam", steps=3, lr=None, device="cpu"
    )
    assert first_order.iterations is None and first_order.iterations_at(2) == 2
    assert not compare.format_table({"adam": first_order}, 1e-6).endswith("counts steps")


def test_gaps_at_the_round_off_floor_print_as_below_it():
    assert compare.format_gap(compare.ROUND_OFF_FLOOR) == "< 1e-16"
    assert compare.format_gap(0.0) == "< 1e-16"
    assert compare.format_gap(3.2e-10) == "3.200e-10"
