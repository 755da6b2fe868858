"""The main job, ``tinygrad-ch8 train``, run in-process: accuracy, determinism, outputs and flag errors."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend, cli, data, nn
from tinygrad_ch8.commands import train
from tinygrad_ch8.training import accuracy

FINAL_LINE = re.compile(r"^test accuracy: (\d+\.\d)%$")


def run_train(capsys, *flags):
    assert cli.main(["train", "--no-progress", *flags]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    match = FINAL_LINE.match(lines[-1])
    assert match, f"unexpected last line {lines[-1]!r}"
    return float(match.group(1)), lines


def test_a_short_run_of_the_main_job_learns_the_digits(capsys):
    test_accuracy, lines = run_train(capsys, "--epochs", "4")
    assert test_accuracy >= 95.0
    assert lines[0].startswith(
        "training [256, 128] relu on 1438 digits (359 held out), sgd, 4 epochs"
    )


def test_the_same_seed_gives_the_same_loss_curve_bit_for_bit():
    parser = cli.build_parser()
    args = parser.parse_args(
        ["train", "--no-progress", "--epochs", "2", "--hidden", "32", "--seed", "7"]
    )
    _, first = train.fit(args)
    _, second = train.fit(args)
    assert first.step_loss == second.step_loss and len(first.step_loss) == 2 * 45
    _, other = train.fit(
        parser.parse_args(["train", "--no-progress", "--epochs", "2", "--hidden", "32"])
    )
    assert other.step_loss != first.step_loss


def test_save_and_plot_write_a_checkpoint_that_reproduces_the_accuracy(capsys, tmp_path):
    checkpoint, figure = tmp_path / "digits.npz", tmp_path / "curves.png"
    test_accuracy, lines = run_train(
        capsys,
        "--epochs",
        "2",
        "--hidden",
        "48",
        "--batch-norm",
        "--save",
        str(checkpoint),
        "--plot",
        str(figure),
    )
    assert f"checkpoint saved to {checkpoint}" in lines and f"curves saved to {figure}" in lines
    assert figure.stat().st_size > 10_000
    model = nn.mlp(64, [48], 10, batch_norm=True)
    model.load_state_dict(tg.load(checkpoint)["model"])  # a complete checkpoint holds the weights
    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    _, X_test = data.standardize(X_train, X_test)
    assert 100 * accuracy(model, X_test, y_test) == pytest.approx(test_accuracy, abs=0.05)


@pytest.mark.parametrize(
    "flags",
    [
        [
            "--activation",
            "tanh",
            "--residual",
            "1",
            "--init",
            "orthogonal",
            "--optimizer",
            "adam",
            "--lr",
            "0.003",
            "--no-batch-norm",
        ],
        ["--activation", "sigmoid", "--optimizer", "rmsprop", "--batch-size", "64", "--batch-norm"],
    ],
)
def test_other_architectures_and_optimizers_train(capsys, flags):
    test_accuracy, _ = run_train(capsys, "--epochs", "3", "--hidden", "64", *flags)
    assert test_accuracy >= 90.0


def test_lbfgs_trains_full_batch_with_a_line_search(capsys):
    """A line-search method gets the whole training set as its batch and a strong Wolfe search."""
    parser = cli.build_parser()
    args = parser.parse_args(["train", "--optimizer", "lbfgs", "--epochs", "3", "--hidden", "64"])
    optimizer = train.make_optimizer(args, nn.Linear(4, 2).parameters())
    assert optimizer.param_groups[0]["line_search_fn"] == "strong_wolfe"
    test_accuracy, _ = run_train(capsys, "--optimizer", "lbfgs", "--epochs", "3", "--hidden", "64")
    assert test_accuracy >= 95.0


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--activation", "softplus"], "invalid choice: 'softplus'"),
        (["--epochs", "0"], "must be a positive integer"),
        (["--hidden", "-3"], "must be a positive integer"),
        (["--optimizer", "sgdx"], "invalid choice: 'sgdx'"),
        (["--init", "random"], "invalid choice: 'random'"),
        (["--lr", "-1"], "must be a positive number"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_bad_flags_exit_with_argparse_errors(capsys, flags, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_impossible_optimizer_choices_exit_with_a_reason(capsys):
    assert cli.main(["train", "--no-progress", "--optimizer", "bfgs"]) == 2
    assert "bfgs stores an n×n inverse-Hessian estimate" in capsys.readouterr().err
    assert cli.main(["train", "--no-progress", "--optimizer", "cg", "--lr", "0.1"]) == 2
    assert "--lr does not apply to cg" in capsys.readouterr().err


@pytest.mark.skipif(backend.cuda_available(), reason="a GPU is present")
def test_asking_for_cuda_without_a_gpu_says_so(capsys):
    assert cli.main(["train", "--device", "cuda"]) == 2
    assert "device 'cuda'" in capsys.readouterr().err


def test_the_main_job_on_the_gpu(capsys, cuda):
    test_accuracy, _ = run_train(capsys, "--epochs", "4", "--device", cuda)
    assert test_accuracy >= 95.0
    assert np.isfinite(test_accuracy)


def test_the_command_line_trains_on_cuda_in_a_fresh_process(tmp_path):
    """`tinygrad-ch8 train --device cuda` as a user runs it (on the stand-in without a GPU): it
    learns what the CPU run learns, and its checkpoint, saved from the device, loads on the CPU."""
    checkpoint = tmp_path / "digits.npz"
    flags = ["train", "--epochs", "2", "--hidden", "64", "--no-progress", "--seed", "3"]
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "cuda_command.py"), *flags]
        + ["--device", "cuda", "--save", str(checkpoint)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert result.returncode == 0, result.stderr
    match = FINAL_LINE.match(result.stdout.strip().splitlines()[-1])
    assert match and float(match.group(1)) >= 90.0, result.stdout
    model, history = train.fit(cli.build_parser().parse_args(flags))
    on_the_cpu = {name: value.copy() for name, value in model.state_dict().items()}
    model.load_state_dict(tg.load(checkpoint)["model"])
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, on_the_cpu[name], atol=1e-3, err_msg=name)
    _, X_test = data.standardize(data.load_digits("train")[0], data.load_digits("test")[0])
    # a GPU's float32 rounding may flip one borderline test image (100/359 %) against the CPU's
    assert 100 * accuracy(model, X_test, data.load_digits("test")[1]) == pytest.approx(
        float(match.group(1)), abs=100 / 359 + 0.05
    )
