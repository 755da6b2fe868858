"""The command line as a user meets it, run as a subprocess: mistakes cost a second and one line,
checkpoints survive Ctrl-C and divergence, a resumed run equals the run never stopped."""

from __future__ import annotations

import os
import pathlib
import re
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend, cli
from tinygrad_ch8.commands import train

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
# Runs the command line with matplotlib unimportable, as on a plain `pip install .`.
WITHOUT_MATPLOTLIB = """
import importlib.abc, runpy, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Blocker())
sys.argv[0] = "tinygrad-ch8"
runpy.run_module("tinygrad_ch8", run_name="__main__")
"""
SMALL_RUN = ["--hidden", "32", "--no-progress"]


def environment() -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), env.get("PYTHONPATH", "")])
    return env


def command(*arguments, cwd, matplotlib=True, **popen):
    prefix = ["-m", "tinygrad_ch8"] if matplotlib else ["-c", WITHOUT_MATPLOTLIB]
    return [sys.executable, *prefix, *arguments], dict(cwd=cwd, env=environment(), **popen)


def tinygrad(*arguments, cwd, matplotlib=True, timeout=300):
    """Run ``tinygrad-ch8 ARGUMENTS``; return the completed process and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    argv, options = command(*arguments, cwd=cwd, matplotlib=matplotlib)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **options)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, cpu


def assert_user_error(result, cpu: float, subcommand: str, *named: str) -> None:
    """Exit 2, one error line naming what the user typed, no traceback, no training started.

    CPU seconds, not wall time, measure "before training": the machine may be shared.
    """
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"tinygrad-ch8 {subcommand}: error: "), last
    for text in named:
        assert text in last, (text, last)
    assert "training" not in result.stdout and "test accuracy" not in result.stdout
    assert cpu < 2.0, f"{cpu:.1f} s of CPU: the command worked before it failed"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("a file, not a folder")
    return tmp_path


TRAIN_MISTAKES = [
    (["--save", "adir"], ["--save adir", "is a folder"]),
    (["--save", "model.txt"], ["--save model.txt", ".npz"]),
    (["--save", "afile/model.npz"], ["--save afile/model.npz", "cannot write"]),
    (["--plot", "curves.jpgx"], ["--plot curves.jpgx", ".png"]),
    (["--plot", "adir"], ["--plot adir", "is a folder"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--momentum", "-1"], ["--momentum", "[0, 1)"]),
    (["--momentum", "1.5"], ["--momentum", "[0, 1)"]),
    (["--weight-decay", "-1"], ["--weight-decay"]),
    (["--lr", "0"], ["--lr", "positive"]),
    (["--epochs", "0"], ["--epochs"]),
    (["--batch-size", "0"], ["--batch-size"]),
    (["--damping", "-1"], ["--damping"]),
    (["--momentum", "0.5", "--optimizer", "adam"], ["--momentum", "adam", "sgd, rmsprop"]),
    (["--optimizer", "cg", "--lr", "0.1"], ["--lr", "cg"]),
    (["--damping", "1", "--optimizer", "sgd"], ["--damping", "newton"]),
    (["--optimizer", "bfgs"], ["--optimizer bfgs", "lbfgs"]),
    (["--resume", "missing.npz"], ["--resume missing.npz", "no such file"]),
    (["--resume", "adir"], ["--resume adir", "folder"]),
]


@pytest.mark.parametrize("flags, named", TRAIN_MISTAKES)
def test_a_mistake_in_train_fails_at_once_in_one_line_naming_it(folder, flags, named):
    result, cpu = tinygrad("train", *flags, cwd=folder)
    assert_user_error(result, cpu, "train", *named)
    assert sorted(os.listdir(folder)) == ["adir", "afile"]  # nothing written


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
@pytest.mark.parametrize(
    "arguments",
    [
        ["train", "--save", "locked/model.npz"],
        ["train", "--plot", "locked/curves.png"],
        ["compare", "--out", "locked/race.png"],
        ["graph", "-o", "locked/graph.svg"],
    ],
)
def test_an_unwritable_folder_is_refused_before_any_work(folder, arguments):
    (folder / "locked").mkdir(mode=0o500)
    result, cpu = tinygrad(*arguments, cwd=folder)
    assert_user_error(result, cpu, arguments[0], arguments[2], "cannot write")


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--device", "cuda"], ["--device cuda"]),
        (["--lr", "-1"], ["--lr"]),
        (["--lr", "0"], ["--lr"]),
        (["--optimizers", "cg", "newton", "--lr", "0.1"], ["--lr", "cg, newton", "lbfgs"]),
        (["--steps", "-5"], ["--steps"]),
        (["--steps", "0"], ["--steps"]),
        (["--tol", "-1"], ["--tol"]),
        (["--out", "x.txt"], ["--out x.txt", ".png"]),
        (["--out", "x"], ["--out x", ".png"]),
        (["--out", "adir"], ["--out adir", "is a folder"]),
    ],
)
def test_a_mistake_in_compare_fails_at_once_in_one_line_naming_it(folder, flags, named):
    if flags[0] == "--device" and backend.cuda_available():
        pytest.skip("a GPU is present")
    result, cpu = tinygrad("compare", *flags, cwd=folder)
    assert_user_error(result, cpu, "compare", *named)
    assert sorted(os.listdir(folder)) == ["adir", "afile"]


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--batch-size", "0"], ["--batch-size"]),
        (["--batch-size", "-5"], ["--batch-size"]),
        (["--seed", "-1"], ["--seed"]),
        (["-o", "graph.jpgx"], ["-o graph.jpgx", ".svg"]),
        (["-o", "adir"], ["-o adir", "is a folder"]),
        (["-o", "afile/graph.svg"], ["-o afile/graph.svg", "cannot write"]),
    ],
)
def test_a_mistake_in_graph_fails_at_once_in_one_line_naming_it(folder, flags, named):
    result, cpu = tinygrad("graph", *flags, cwd=folder)
    assert_user_error(result, cpu, "graph", *named)
    assert sorted(os.listdir(folder)) == ["adir", "afile"]


@pytest.mark.skipif(backend.cuda_available(), reason="a GPU is present")
@pytest.mark.parametrize("subcommand", ["train", "graph", "evaluate"])
def test_an_absent_gpu_is_one_line(folder, subcommand):
    arguments = ["evaluate", "missing.npz"] if subcommand == "evaluate" else [subcommand]
    result, cpu = tinygrad(*arguments, "--device", "cuda", cwd=folder)
    assert_user_error(result, cpu, subcommand, "--device cuda")


def test_output_folders_are_created_as_graph_always_did(tmp_path):
    result, _ = tinygrad(
        "train", "--epochs", "1", "--save", "new/deep/model.npz", *SMALL_RUN, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new/deep/model.npz").is_file()


def test_debug_shows_the_traceback(folder):
    result, _ = tinygrad("train", "--save", "model.txt", "--debug", cwd=folder)
    assert result.returncode == 1 and "Traceback" in result.stderr and "UsageError" in result.stderr


def test_plot_without_matplotlib_names_the_pip_line_before_training(folder):
    result, cpu = tinygrad("train", "--plot", "curves.png", cwd=folder, matplotlib=False)
    assert_user_error(result, cpu, "train", "--plot", "pip install 'tinygrad-ch8[plot]'")


def test_compare_without_matplotlib_prints_the_table_and_the_hint(tmp_path):
    flags = ["--optimizers", "sgd", "adam", "--steps", "20"]
    result, _ = tinygrad("compare", *flags, cwd=tmp_path, matplotlib=False)
    assert result.returncode == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "sgd" in rows and "adam" in rows and "iters to tol" in result.stdout
    assert "pip install 'tinygrad-ch8[plot]'" in result.stderr
    assert os.listdir(tmp_path) == []  # no figure, no half-written file
    asked, cpu = tinygrad("compare", *flags, "--out", "r.png", cwd=tmp_path, matplotlib=False)
    assert_user_error(asked, cpu, "compare", "pip install 'tinygrad-ch8[plot]'")


def test_compare_writes_exactly_the_path_given(tmp_path):
    result, _ = tinygrad(
        "compare", "--optimizers", "adam", "--steps", "3", "--out", "sub/race.svg", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "sub") == ["race.svg"]
    assert "figure saved to sub/race.svg" in result.stdout and "3 steps" in result.stdout


# ---------------------------------------------------------------- checkpoints, resume, stops
def checkpoint_epoch(path: pathlib.Path) -> int:
    try:
        return int(tg.load(path)["epoch"])
    except (FileNotFoundError, ValueError):
        return -1


def test_a_sigint_after_the_first_epoch_leaves_a_checkpoint_that_resumes(tmp_path):
    path = tmp_path / "run.npz"
    argv, options = command(
        "train", "--epochs", "500", "--save", "run.npz", *SMALL_RUN, cwd=tmp_path
    )
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options
    )
    deadline = time.monotonic() + 120
    while checkpoint_epoch(path) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "--resume run.npz" in err
    done = checkpoint_epoch(path)
    assert 1 <= done < 500 and f"after {done} epoch" in err
    resumed, _ = tinygrad(
        "train", "--resume", "run.npz", "--epochs", str(done + 1), "--no-progress", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after {done} epoch" in resumed.stdout
    assert checkpoint_epoch(path) == done + 1


def interrupt_after(monkeypatch, epochs: int) -> None:
    """Press Ctrl-C (a real SIGINT to this process) right after the checkpoint of ``epochs``."""
    real_save = train.save

    def save_then_interrupt(content, path):
        real_save(content, path)
        if content["epoch"] == epochs:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(train, "save", save_then_interrupt)


@pytest.mark.parametrize(
    "flags",
    [[], ["--optimizer", "adam", "--no-batch-norm"], ["--optimizer", "lbfgs", "--hidden", "8"]],
    ids=["sgd-momentum-batchnorm-schedule", "adam", "lbfgs"],
)
def test_three_epochs_then_resume_for_three_more_equal_six_epochs_bit_for_bit(
    tmp_path, monkeypatch, capsys, flags
):
    arguments = ["train", "--epochs", "6", *SMALL_RUN, *flags]
    assert cli.main([*arguments, "--save", str(tmp_path / "straight.npz")]) == 0
    stopped = str(tmp_path / "stopped.npz")
    with monkeypatch.context() as patch:
        interrupt_after(patch, 3)
        assert cli.main([*arguments, "--save", stopped]) == 130
    assert tg.load(stopped)["epoch"] == 3
    assert cli.main(["train", "--resume", stopped, "--no-progress"]) == 0
    straight, resumed = tg.load(tmp_path / "straight.npz"), tg.load(stopped)
    assert resumed["epoch"] == straight["epoch"] == 6
    assert resumed["history"]["step_loss"] == straight["history"]["step_loss"]
    for part in ("model", "optimizer", "schedule", "loader_generator", "global_generator"):
        assert_identical(resumed[part], straight[part], part)
    capsys.readouterr()


def assert_identical(a, b, where: str) -> None:
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}/{index}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), where
    else:
        assert a == b, where


def test_a_resumed_run_keeps_its_settings(tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    assert cli.main(["train", "--epochs", "1", "--save", path, *SMALL_RUN]) == 0
    before = pathlib.Path(path).read_bytes()
    assert cli.main(["train", "--resume", path, "--lr", "0.5"]) == 2
    assert "--lr 0.5" in capsys.readouterr().err
    assert cli.main(["train", "--resume", path, "--epochs", "1"]) == 2
    assert "already holds 1 epoch" in capsys.readouterr().err
    assert pathlib.Path(path).read_bytes() == before


def test_a_diverging_run_exits_1_and_keeps_the_last_good_checkpoint(tmp_path):
    result, _ = tinygrad(
        "train", "--lr", "1e6", "--epochs", "3", "--save", "run.npz", *SMALL_RUN, cwd=tmp_path
    )
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and "Warning" not in result.stderr
    assert re.fullmatch(
        r"tinygrad-ch8 train: diverged at epoch 1, step \d+ \(loss (nan|inf)\): try a smaller --lr; "
        r"the last good checkpoint, after 0 epochs, is run\.npz",
        message[0],
    ), message[0]
    saved = tg.load(tmp_path / "run.npz")
    assert saved["epoch"] == 0
    assert all(np.isfinite(array).all() for array in saved["model"].values())
    evaluated, _ = tinygrad("evaluate", "run.npz", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr


def test_newton_trains_softmax_regression_without_diverging(capsys):
    flags = ["train", "--optimizer", "newton", "--hidden", "--epochs", "3", "--no-progress"]
    assert cli.main(flags) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "damping 0.1" in lines[0] and "softmax regression" in lines[0]
    assert float(lines[-1].split()[-1].rstrip("%")) >= 90.0


def corrupt_copies(path: pathlib.Path) -> list[pathlib.Path]:
    content = path.read_bytes()
    truncated = path.with_name("truncated.npz")
    truncated.write_bytes(content[: len(content) // 2])
    flipped = bytearray(content)
    flipped[len(content) // 3 : len(content) // 3 + 64] = bytes(64)
    garbled = path.with_name("garbled.npz")
    garbled.write_bytes(bytes(flipped))
    text = path.with_name("text.npz")
    text.write_text("not a checkpoint")
    weights = path.with_name("weights.npz")
    tg.save({"layers.0.weight": np.zeros((64, 10), dtype=np.float32)}, weights)
    hollow = path.with_name("hollow.npz")
    tg.save({"kind": train.CHECKPOINT_KIND, "epoch": 1}, hollow)
    other = path.with_name("other.npz")  # a checkpoint whose weights do not fit its settings
    content = tg.load(path)
    content["settings"]["hidden"], content["settings"]["epochs"] = [16], 3
    tg.save(content, other)
    return [truncated, garbled, text, weights, hollow, other]


def test_corrupt_or_wrong_checkpoints_are_refused_and_left_untouched(tmp_path, capsys):
    good = tmp_path / "good.npz"
    assert cli.main(["train", "--epochs", "1", "--save", str(good), *SMALL_RUN]) == 0
    capsys.readouterr()
    for bad in corrupt_copies(good):
        before = bad.read_bytes()
        for arguments in (["train", "--resume", str(bad)], ["evaluate", str(bad)]):
            started = time.process_time()
            assert cli.main(arguments) == 2, (bad, arguments)
            error = capsys.readouterr().err.strip()
            assert len(error.splitlines()) == 1 and str(bad) in error, error
            assert time.process_time() - started < 2.0
        assert bad.read_bytes() == before


def test_evaluate_reports_the_checkpoint_s_accuracy_and_confusion_matrix(tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    assert cli.main(["train", "--epochs", "2", "--save", path, *SMALL_RUN]) == 0
    trained = capsys.readouterr().out.strip().splitlines()[-1]
    assert cli.main(["evaluate", path]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == trained  # "test accuracy: NN.N%", the same number as train printed
    assert "after 2 epochs of 2" in lines[0]
    matrix = np.array([[int(n) for n in line.split()[1:]] for line in lines[2:12]])
    assert matrix.sum() == 359 and matrix.shape == (10, 10)
    accuracy = float(lines[-1].split()[-1].rstrip("%"))
    assert 100 * np.trace(matrix) / 359 == pytest.approx(accuracy, abs=0.05)
    loss = float(re.match(r"test loss (\S+)", lines[-2]).group(1))
    assert 0 < loss < np.log(10)


def test_checkpoints_get_the_usual_file_mode(tmp_path, capsys):
    previous = os.umask(0o022)
    try:
        path = tmp_path / "run.npz"
        assert cli.main(["train", "--epochs", "1", "--save", str(path), *SMALL_RUN]) == 0
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [name for name in os.listdir(tmp_path) if name.startswith(".tmp")] == []


# ---------------------------------------------------------------- output
def test_plurals_and_the_whole_configuration_on_the_start_line(capsys):
    assert cli.main(["train", "--epochs", "1", *SMALL_RUN]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert ", 1 epoch," in first
    for setting in (
        "batch norm",
        "batches of 32",
        "lr 0.1 decayed linearly to 0.001",
        "momentum 0.9",
        "weight decay 0.001",
        "seed 0",
        "device cpu",
    ):
        assert setting in first, setting


def test_the_progress_bar_leaves_no_blank_line_and_tqdm_auto_is_not_imported(tmp_path):
    script = (
        "import sys; from tinygrad_ch8 import cli; cli.main(['train', '--epochs', '2', '--hidden', '8']);"
        "print('tqdm.auto' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::Warning", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False"
    lines = re.split(r"[\r\n]", result.stderr)
    assert lines[-1] == "" and not any(line and not line.strip() for line in lines)
    assert "2/2" in result.stderr.strip().splitlines()[-1]  # the finished bar stays as a summary


def test_weights_broken_by_an_epoch_s_last_step_are_never_saved_as_good(tmp_path):
    """A NaN update in the last step shows in no loss of that epoch: the epoch's end tests the
    weights before its checkpoint replaces the last good one."""
    args = cli.build_parser().parse_args(["train", "--epochs", "4", *SMALL_RUN])
    session = train.build(args, "cpu")
    steps_per_epoch = len(session.loader)
    seen = []

    def poison_at_the_end_of_epoch_2(step, loss):
        seen.append(step)
        if step == 2 * steps_per_epoch - 1:
            session.model.parameters()[0].data[0, 0] = np.nan

    path = tmp_path / "run.npz"
    with pytest.raises(train.Diverged, match=f"epoch 2, step {steps_per_epoch} "):
        train.train(session, str(path), False, on_step_end=poison_at_the_end_of_epoch_2)
    assert seen == list(range(2 * steps_per_epoch))  # the monitor hook saw every step
    saved = tg.load(path)
    assert saved["epoch"] == 1
    assert all(np.isfinite(array).all() for array in saved["model"].values())


def test_compare_help_states_every_default_and_graph_draws_train_s_network():
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for action in subparsers["compare"]._actions:
        if action.dest not in ("help", "debug"):
            assert "default: " in action.help, action.dest
    assert "(default: beale)" in subparsers["compare"].format_help()
    graph = subparsers["graph"].parse_args([])
    assert graph.model == "batchnorm" and graph.batch_size == 32
    settings = train.resolve(subparsers["train"].parse_args([]))
    assert settings.batch_norm and list(settings.hidden) == [256, 128]  # the network graph draws
