"""The main job, ``tinygrad-ch8 train``, run in-process: accuracy, determinism, outputs and flag errors."""

import re

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


def test_the_main_job_on_the_gpu(capsys, device):
    if device == "cpu":
        pytest.skip("the CPU runs are the tests above")
    test_accuracy, _ = run_train(capsys, "--epochs", "4", "--device", device)
    assert test_accuracy >= 95.0
    assert np.isfinite(test_accuracy)
