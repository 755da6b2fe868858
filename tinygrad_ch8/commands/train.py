"""Command line: ``tinygrad-ch8 train``, the main job: a network on the bundled handwritten digits.

With no flags it trains a 64-256-128-10 ReLU perceptron (He initialization) with batch
normalization in both hidden layers (§8.7.1), by SGD with momentum 0.9 and weight decay 1e-3,
learning rate 0.1 decayed linearly to 1% of itself over the epochs (the book's Algorithm 8.1
schedule), minibatches of 32, for 30 epochs on standardized pixels. Over seeds 0-59 that
reached 97.5-99.2% test accuracy (mean 98.2%) in about a second per run on one CPU core;
without batch norm (``--no-batch-norm``) seeds 0-19 averaged 97.8%, and one ended below 97%.
A tqdm bar shows the epoch, loss and accuracies; the last line printed is
``test accuracy: NN.N%``. The same seed gives the same loss curve, bit for bit, on the CPU.

Nothing is lost to a mistake or an interruption:

- every output path is checked before training (``checks.check_output_path``);
- ``--save PATH`` writes a complete checkpoint when training starts and after every epoch:
  the model, the optimizer's and the schedule's state, the epochs done, the data loader's
  and the global random generators' states, the run's settings and its metrics so far;
- ``--resume PATH`` continues that run where the checkpoint left it, with the settings it
  was started with (``--epochs`` may raise the total; the schedule keeps the length it was
  planned for): a run stopped after any epoch and resumed ends with the same weights, bit
  for bit on the CPU, as the run never stopped;
- Ctrl-C (SIGINT) ends the current step, keeps the checkpoint of the last finished epoch,
  says where it is, and exits 130 (a second Ctrl-C stops at once);
- a NaN or Inf loss stops training at once (``training.Diverged``): a one-line message,
  the last good checkpoint kept, exit 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
import time
from collections.abc import Callable

from .. import backend, data, nn, optim
from ..functional import cross_entropy
from ..nn.init import INITIALIZERS
from ..nn.mlp import ACTIVATIONS
from ..serialization import load, save
from ..tensor import Tensor
from ..training import Diverged, History, TrainingMonitor, train_classifier
from .checks import (
    INTERRUPTED,
    PLOT_EXTENSIONS,
    UsageError,
    check_device,
    check_input_file,
    check_option_applies,
    check_output_path,
    momentum_coefficient,
    non_negative_float,
    non_negative_int,
    optimizers_taking,
    plural,
    positive_float,
    positive_int,
    require,
)

FINAL_LR_FRACTION = 0.01  # the book's advice for ε_τ: about 1% of ε_0
CHECKPOINT_KIND = "tinygrad-ch8 train checkpoint"
CHECKPOINT_EXTENSIONS = (".npz",)
CHECKPOINT_KEYS = ("kind", "settings", "epoch", "model", "optimizer", "schedule")
CHECKPOINT_KEYS += ("loader_generator", "global_generator", "history")

# What a run is: the settings saved in its checkpoint, restored by --resume. None (the value
# when the flag is not given) becomes the default below; a hyperparameter left None is the
# optimizer's own default.
DEFAULTS = {
    "hidden": [256, 128],
    "activation": "relu",
    "batch_norm": True,
    "residual": 0,
    "init": None,
    "optimizer": "sgd",
    "epochs": 30,
    "batch_size": None,
    "seed": 0,
}
HYPERPARAMETER_OPTIONS = {
    "lr": "--lr",
    "momentum": "--momentum",
    "weight_decay": "--weight-decay",
    "damping": "--damping",
}
# The command's own defaults where an optimizer's are not the best start on the digits:
# exact Newton on softmax regression (3 epochs, full batch) goes 2.70 -> 2.92 -> 42.6 undamped,
# 2.70 -> 0.50 -> 0.30 (92% test accuracy) with damping 0.1; 0.01 and 1 are worse.
COMMAND_DEFAULTS = {
    "sgd": {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3},
    "newton": {"damping": 0.1},
}
SETTINGS = (*DEFAULTS, *HYPERPARAMETER_OPTIONS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    known = optim.OPTIMIZERS
    without_lr = optimizers_taking("lr", known, takes_it=False)
    parser.add_argument(
        "--hidden",
        type=positive_int,
        nargs="*",
        default=None,
        metavar="WIDTH",
        help="hidden layer widths (default: 256 128; none for softmax regression)",
    )
    parser.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default=None,
        help="hidden unit (default: relu)",
    )
    parser.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="batch normalization in every hidden layer (default: on)",
    )
    parser.add_argument(
        "--residual",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="N residual blocks after the hidden layers (default: 0)",
    )
    parser.add_argument(
        "--init",
        choices=sorted(INITIALIZERS),
        default=None,
        help="weight initializer (default: he_uniform for relu, glorot_uniform otherwise)",
    )
    parser.add_argument(
        "--optimizer",
        choices=sorted(optim.OPTIMIZERS),
        default=None,
        help="optimizer (default: sgd with momentum)",
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="initial learning rate, decayed linearly to 1%% of itself (default: 0.1 for sgd, "
        f"else the optimizer's own; {', '.join(without_lr)} take none: a line search or the "
        "Newton step sets their step)",
    )
    parser.add_argument(
        "--momentum",
        type=momentum_coefficient,
        default=None,
        help=f"momentum in [0, 1), for {' and '.join(optimizers_taking('momentum', known))} "
        "(default: 0.9 for sgd, else the optimizer's own)",
    )
    parser.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=None,
        help="L2 weight decay (default: 1e-3 for sgd, else the optimizer's own)",
    )
    parser.add_argument(
        "--damping",
        type=non_negative_float,
        default=None,
        help="α of the damped Newton step (H + αI)⁻¹g, for "
        f"{' and '.join(optimizers_taking('damping', known))} (default: 0.1 for newton, "
        "else the optimizer's own: newton-cg starts at 0 and adapts it)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="passes over the data (default: 30; with --resume, the new total)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="minibatch size (default: 32; the whole training set for the line-search methods)",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=None, help="random seed, 0 or more (default: 0)"
    )
    parser.add_argument(
        "--device", choices=backend.DEVICES, default="cpu", help="cpu or cuda (default: cpu)"
    )
    parser.add_argument(
        "--save",
        metavar="PATH",
        help="write a checkpoint to PATH (.npz) when training starts and after every epoch",
    )
    parser.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the run saved in the checkpoint PATH (.npz), saving to PATH again "
        "unless --save is given",
    )
    parser.add_argument(
        "--plot", metavar="PATH", help="save loss and accuracy curves to PATH (.png, .pdf, .svg)"
    )
    parser.add_argument(
        "--diagnostics",
        metavar="PATH",
        help="watch the run from inside (training.TrainingMonitor); save its figure to PATH (.png)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


# Methods that hold an n×n matrix for n parameters: fine for a small model, not for the default one.
DENSE_CURVATURE = {"newton": "the n×n Hessian", "bfgs": "an n×n inverse-Hessian estimate"}
MAX_DENSE_PARAMETERS = 5000
# Batch methods (§8.1.3): a line search or a curvature estimate on a 32-sample loss fits that
# minibatch, not the data (L-BFGS on minibatches of 32 ends near 68% test accuracy, 98% on the full set).
FULL_BATCH = {"lbfgs", "cg", "newton-cg", "newton", "bfgs"}


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with every setting not given replaced by its default (idempotent)."""
    settings = argparse.Namespace(**vars(args))
    for name, default in DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(settings, name, default)
    for name in HYPERPARAMETER_OPTIONS:
        if getattr(args, name, None) is None:
            setattr(settings, name, COMMAND_DEFAULTS.get(settings.optimizer, {}).get(name))
    return settings


def check_hyperparameter_options(args: argparse.Namespace, optimizer_name: str) -> None:
    """Refuse an option given for an optimizer that has no such setting (never ignore it)."""
    chosen = {optimizer_name: optim.OPTIMIZERS[optimizer_name]}
    for name, option in HYPERPARAMETER_OPTIONS.items():
        if getattr(args, name, None) is not None:
            check_option_applies(option, name, chosen, optim.OPTIMIZERS)


def make_optimizer(args: argparse.Namespace, parameters: list) -> optim.Optimizer:
    """The optimizer named by ``--optimizer`` with the hyperparameters given or defaulted.

    Raises UsageError when the choice cannot work: a dense-curvature method on a model too
    large for an n×n matrix.
    """
    settings = resolve(args)
    count = sum(p.numel() for p in parameters)
    if settings.optimizer in DENSE_CURVATURE and count > MAX_DENSE_PARAMETERS:
        raise UsageError(
            f"--optimizer {settings.optimizer} stores {DENSE_CURVATURE[settings.optimizer]}; this "
            f"model has n = {count} parameters (at most {MAX_DENSE_PARAMETERS}): try lbfgs, or "
            "a smaller --hidden"
        )
    hyperparameters = {
        name: getattr(settings, name)
        for name in HYPERPARAMETER_OPTIONS
        if getattr(settings, name) is not None
    }
    return optim.OPTIMIZERS[settings.optimizer](parameters, **hyperparameters)


@dataclasses.dataclass
class Session:
    """One run of ``train``: what it trains and with what, and how far it has come."""

    settings: argparse.Namespace
    model: nn.Module
    optimizer: optim.Optimizer
    schedule: optim.lr_scheduler.LRScheduler | None
    loader: data.DataLoader
    test_data: tuple
    history: History
    epochs_done: int = 0


def digits(device: str) -> tuple:
    """``(X_train, y_train, X_test, y_test)``, pixels standardized with the training statistics."""
    X_train, y_train = data.load_digits("train", device=device)
    X_test, y_test = data.load_digits("test", device=device)
    X_train, X_test = data.standardize(X_train, X_test)
    return X_train, y_train, X_test, y_test


def build_model(settings: argparse.Namespace, in_features: int, device: str) -> nn.Module:
    return nn.mlp(
        in_features,
        settings.hidden,
        data.digits.N_CLASSES,
        activation=settings.activation,
        batch_norm=settings.batch_norm,
        residual_blocks=settings.residual,
        init=settings.init,
    ).to(device)


def build(args: argparse.Namespace, device: str) -> Session:
    """The data, model, optimizer, schedule and loader that the settings describe, untrained."""
    settings = resolve(args)
    backend.manual_seed(settings.seed)
    X_train, y_train, X_test, y_test = digits(device)
    model = build_model(settings, X_train.shape[1], device)
    optimizer = make_optimizer(settings, model.parameters())
    schedule = None
    if "lr" in optimizer.defaults:
        final_lrs = [group["lr"] * FINAL_LR_FRACTION for group in optimizer.param_groups]
        schedule = optim.lr_scheduler.LinearDecay(
            optimizer, tau=settings.epochs, final_lr=final_lrs
        )
    if settings.batch_size is None:
        settings.batch_size = len(X_train) if settings.optimizer in FULL_BATCH else 32
    loader = data.DataLoader(X_train, y_train, batch_size=settings.batch_size, rng=settings.seed)
    return Session(settings, model, optimizer, schedule, loader, (X_test, y_test), History())


def checkpoint(session: Session) -> dict:
    """Everything ``restore`` needs to continue the run as if it had never stopped."""
    return {
        "kind": CHECKPOINT_KIND,
        "settings": {name: getattr(session.settings, name) for name in SETTINGS},
        "epoch": session.epochs_done,
        "model": session.model.state_dict(),
        "optimizer": session.optimizer.state_dict(),
        "schedule": None if session.schedule is None else session.schedule.state_dict(),
        "loader_generator": session.loader.generator.bit_generator.state,
        "global_generator": backend.rng(None).bit_generator.state,
        "history": dataclasses.asdict(session.history),
    }


def read_checkpoint(option: str | None, path: str) -> dict:
    """The checkpoint at ``path`` (given to ``option``, None for a positional argument), or a
    UsageError saying why it is not one (nothing changed)."""
    check_input_file(option, path)
    where = path if option is None else f"{option} {path}"
    try:
        content = load(path)
    except ValueError as error:
        raise UsageError(f"{where}: {error}") from None
    if not (isinstance(content, dict) and content.get("kind") == CHECKPOINT_KIND):
        raise UsageError(
            f"{where}: not a checkpoint written by tinygrad-ch8 train --save "
            "(a file of weights alone, such as tg.save(model.state_dict(), path) writes, "
            "holds no run to continue)"
        )
    settings = content.get("settings")
    missing = [key for key in CHECKPOINT_KEYS if key not in content]
    missing += [] if isinstance(settings, dict) else ["settings"]
    missing += [name for name in SETTINGS if isinstance(settings, dict) and name not in settings]
    if missing or not isinstance(content["epoch"], int):
        raise UsageError(
            f"{where}: the checkpoint is damaged (missing: {', '.join(missing) or 'epoch'})"
        )
    return content


def restore(session: Session, saved: dict, where: str) -> None:
    """Put the session where the checkpoint left its run; a file that does not fit changes nothing."""
    try:
        session.model.load_state_dict(saved["model"])
        session.optimizer.load_state_dict(saved["optimizer"])
        if session.schedule is not None:
            session.schedule.load_state_dict(saved["schedule"])
        session.loader.generator.bit_generator.state = saved["loader_generator"]
        backend.rng(None).bit_generator.state = saved["global_generator"]
        session.history = History(**saved["history"])
        session.epochs_done = int(saved["epoch"])
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{where}: the checkpoint is damaged ({error})") from None
    session.loader.epoch = session.epochs_done


def resumed_settings(args: argparse.Namespace, saved: dict) -> argparse.Namespace:
    """The saved run's settings; a flag given on the command line must agree with them."""
    settings = argparse.Namespace(**vars(args))
    for name, value in saved["settings"].items():
        given = getattr(args, name, None)
        if name != "epochs" and given is not None and given != value:
            option = HYPERPARAMETER_OPTIONS.get(name, "--" + name.replace("_", "-"))
            raise UsageError(
                f"{option} {given}: --resume continues a run with the settings it was started "
                f"with ({option} {value}); start a new run to change them"
            )
        setattr(settings, name, value if name != "epochs" or given is None else given)
    if settings.epochs <= saved["epoch"]:
        raise UsageError(
            f"--epochs {settings.epochs}: the checkpoint {args.resume} already holds "
            f"{plural(saved['epoch'], 'epoch')}; give a larger total to train on"
        )
    return settings


class Interrupted(Exception):
    """Raised at the end of the step during which Ctrl-C was pressed."""


def train(
    session: Session,
    save_path: str | None,
    progress: bool,
    on_step_end: Callable[[int, float], None] | None = None,
) -> None:
    """Train from where the session is to its last epoch, checkpointing to ``save_path``.

    Ctrl-C sets a flag that the end of the current step turns into ``Interrupted``; a second
    Ctrl-C raises KeyboardInterrupt at once. ``on_step_end(step, loss)``, when given (a
    training monitor), is called after every step, before that check.
    """
    requested = []

    def on_sigint(signum, frame) -> None:
        requested.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def stop_if_requested(step: int, loss: float) -> None:
        if on_step_end is not None:
            on_step_end(step, loss)
        if requested:
            raise Interrupted

    def on_epoch_end(epoch: int, history: History) -> None:
        # the last step's update is only tested at the next step's loss: test it before saving
        if not all(
            backend.array_module(p.data).isfinite(p.data).all() for p in session.model.parameters()
        ):
            raise Diverged(epoch, len(session.loader) - 1, float("nan"))
        if session.schedule is not None:
            session.schedule.step()
        session.epochs_done = epoch + 1
        if save_path:
            save(checkpoint(session), save_path)

    if save_path and session.epochs_done == 0:
        save(checkpoint(session), save_path)  # Ctrl-C in the first epoch still leaves a start
    # signal handlers can only be set from the main thread; elsewhere Ctrl-C is not ours anyway
    main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
    # a diverging run overflows on its way to the NaN loss that stops it: the stop is the report
    quiet = backend.numpy.errstate(over="ignore", invalid="ignore", divide="ignore")
    try:
        with quiet:
            train_classifier(
                session.model,
                session.optimizer,
                session.loader,
                session.settings.epochs,
                test_data=session.test_data,
                progress=progress,
                on_epoch_end=on_epoch_end,
                on_step_end=stop_if_requested,
                start_epoch=session.epochs_done,
                history=session.history,
            )
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous_handler)


def fit(args: argparse.Namespace) -> tuple[nn.Module, History]:
    """Build the run that ``args`` describe, train it, and return the model and its History."""
    session = build(args, args.device)
    train(session, None, progress=not args.no_progress)
    return session.model, session.history


def describe(session: Session, device: str, train_count: int) -> str:
    """The start line: the whole configuration of the run."""
    settings = session.settings
    network = (
        f"{settings.hidden} {settings.activation}"
        if settings.hidden
        else "no hidden layers (softmax regression)"
    )
    parts = [
        f"training {network} on {train_count} digits ({len(session.test_data[1])} held out)",
        settings.optimizer,
        plural(settings.epochs, "epoch"),
        f"device {device}",
        "batch norm" if settings.batch_norm and settings.hidden else "no batch norm",
    ]
    if settings.residual:
        parts.append(plural(settings.residual, "residual block"))
    parts.append(f"batches of {settings.batch_size}")
    group = session.optimizer.param_groups[0]
    if session.schedule is not None:
        final = session.schedule.settings["final_lrs"][0]
        parts.append(f"lr {session.schedule.base_lrs[0]:g} decayed linearly to {final:g}")
    parts += [
        f"{name.replace('_', ' ')} {group[name]:g}"
        for name in ("momentum", "weight_decay", "damping")
        if name in group
    ]
    parts.append(f"seed {settings.seed}")
    if session.epochs_done:
        parts.append(f"resumed after {plural(session.epochs_done, 'epoch')}")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    check_device(args.device)
    saved = read_checkpoint("--resume", args.resume) if args.resume else None
    settings = resolve(args) if saved is None else resumed_settings(args, saved)
    check_hyperparameter_options(args, settings.optimizer)
    save_path = args.save or args.resume
    if save_path:
        check_output_path("--save" if args.save else "--resume", save_path, CHECKPOINT_EXTENSIONS)
    if args.plot:
        check_output_path("--plot", args.plot, PLOT_EXTENSIONS)
        require("matplotlib", "plot", "--plot").use("Agg")
    if args.diagnostics:
        check_output_path("--diagnostics", args.diagnostics, PLOT_EXTENSIONS)
        require("matplotlib", "plot", "--diagnostics").use("Agg")
    session = build(settings, args.device)
    if saved is not None:
        restore(session, saved, f"--resume {args.resume}")
    print(describe(session, args.device, len(session.loader.X)))
    start = time.perf_counter()
    monitor = diagnostics_monitor(session, args.diagnostics)
    try:
        with monitor:
            train(
                session, save_path, progress=not args.no_progress, on_step_end=monitor.on_step_end
            )
    except Interrupted:
        print(f"tinygrad-ch8 train: {stop_report(session, save_path)}", file=sys.stderr)
        return INTERRUPTED
    except Diverged as error:
        defaults = session.optimizer.defaults
        hint = (
            "a smaller --lr"
            if "lr" in defaults
            else "a larger --damping"
            if "damping" in defaults
            else "another --optimizer"
        )
        kept = (
            f"; the last good checkpoint, after {plural(session.epochs_done, 'epoch')}, is {save_path}"
            if save_path
            else ""
        )
        print(f"tinygrad-ch8 train: {error}: try {hint}{kept}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    history = session.history
    print(
        f"final training loss {history.epoch_loss[-1]:.4f}, training accuracy "
        f"{100 * history.train_accuracy[-1]:.1f}%, {seconds:.1f} s"
    )
    if save_path:
        print(f"checkpoint saved to {save_path}")
    if args.plot:
        plot_history(history, args.plot)
        print(f"curves saved to {args.plot}")
    if args.diagnostics:
        save_diagnostics(monitor, args.diagnostics)
    print(f"test accuracy: {100 * history.test_accuracy[-1]:.1f}%")
    return 0


def stop_report(session: Session, save_path: str | None) -> str:
    where = f"interrupted during epoch {session.epochs_done + 1}"
    if not save_path:
        return f"{where}; nothing saved (--save PATH keeps a checkpoint of every epoch)"
    return (
        f"{where}; {save_path} holds the run after {plural(session.epochs_done, 'epoch')}: "
        f"continue it with tinygrad-ch8 train --resume {save_path}"
    )


DIAGNOSTICS_EVERY, HESSIAN_EVERY, HESSIAN_BATCH = 10, 200, 256


def diagnostics_monitor(session: Session, path: str | None) -> TrainingMonitor:
    """A monitor every 10 steps, λ_max every 200 on 256 training digits; off when ``path`` is None."""
    model, optimizer = session.model, session.optimizer
    X_train, y_train = session.loader.X, session.loader.y
    probe = (Tensor.from_array(X_train[:HESSIAN_BATCH]), Tensor.from_array(y_train[:HESSIAN_BATCH]))
    return TrainingMonitor(
        model,
        every=DIAGNOSTICS_EVERY,
        optimizer=optimizer,
        hessian_every=HESSIAN_EVERY if "lr" in optimizer.defaults else None,
        hessian_closure=lambda: cross_entropy(model(probe[0]), probe[1]),
        enabled=path is not None,
    )


def save_diagnostics(monitor: TrainingMonitor, path: str) -> None:
    import matplotlib.pyplot as plt

    from ..viz.diagnostics_plots import plot_training_diagnostics

    figure = plot_training_diagnostics(monitor, title="tinygrad-ch8 train: the run from inside")
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"diagnostics saved to {path}")


def plot_history(history: History, path: str) -> None:
    """Two panels: the loss per step and per epoch, and the training and test accuracy per epoch."""
    import matplotlib.pyplot as plt

    from ..viz.plots import plot_curves

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(11, 4))
    steps_per_epoch = len(history.step_loss) / len(history.epoch_loss)
    epochs = range(1, len(history.epoch_loss) + 1)
    plot_curves(
        {"minibatch loss": history.step_loss, "epoch mean": history.epoch_loss},
        x={
            "minibatch loss": [(k + 1) / steps_per_epoch for k in range(len(history.step_loss))],
            "epoch mean": list(epochs),
        },
        xlabel="epoch",
        ylabel="cross-entropy",
        title="training loss",
        logy=True,
        ax=loss_axes,
    )
    plot_curves(
        {"train": history.train_accuracy, "test": history.test_accuracy},
        x=list(epochs),
        xlabel="epoch",
        ylabel="accuracy",
        title="accuracy",
        ax=accuracy_axes,
    )
    figure.suptitle("tinygrad-ch8 train: MLP on the UCI handwritten digits")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
