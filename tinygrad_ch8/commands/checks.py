"""Command line: checks of what the user typed, made before any work, and the error they raise.

A mistake of the user's (a path that cannot be written, a number out of range, an option
that does not apply, a missing optional package, an absent GPU) must cost a second, not a
finished run: every command checks its inputs first and raises ``UsageError``, which
``cli.main`` prints as one line, ``tinygrad-ch8 <command>: error: ...``, with exit status 2.
The range checks are argparse ``type=`` functions, so argparse reports them the same way.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import tempfile
from collections.abc import Sequence
from types import ModuleType

from .. import backend

PLOT_EXTENSIONS = (".png", ".pdf", ".svg")  # what every matplotlib install writes
INTERRUPTED = 130  # the exit status after Ctrl-C: the shell's 128 + SIGINT


class UsageError(Exception):
    """A mistake of the user's, told in one line (with the path or option it is about): exit 2."""


# ---------------------------------------------------------------- numbers (argparse types)
def _number(text: str, kind: type, accepted, requirement: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}") from None
    if not accepted(value):
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _number(text, int, lambda value: value >= 1, "a positive integer")


def non_negative_int(text: str) -> int:
    return _number(text, int, lambda value: value >= 0, "an integer 0 or more")


def positive_float(text: str) -> float:
    return _number(text, float, lambda value: 0 < value < float("inf"), "a positive number")


def non_negative_float(text: str) -> float:
    return _number(text, float, lambda value: 0 <= value < float("inf"), "a number 0 or more")


def momentum_coefficient(text: str) -> float:
    """α of momentum (§8.3.2) must lie in [0, 1): at 1 or more the velocity grows without bound."""
    return _number(text, float, lambda value: 0 <= value < 1, "a number in [0, 1)")


# ---------------------------------------------------------------- paths
def check_output_path(option: str, path: str, extensions: Sequence[str]) -> str:
    """Check, before any work, that ``path`` (given to ``option``) can be written; return it.

    The extension must be one of ``extensions``; the path must not be a folder; its folder is
    created when missing (as ``graph`` always did) and must let a file be made in it. Raises
    UsageError naming ``option`` and ``path`` otherwise. Shared by every output option
    (``--save``, ``--plot``, ``--diagnostics``, ``--out``, ``-o``).
    """
    where = f"{option} {path}"
    if os.path.isdir(path):
        raise UsageError(
            f"{where}: is a folder; give a file name such as {os.path.join(path, 'x' + extensions[0])}"
        )
    extension = os.path.splitext(path)[1].lower()
    if extension not in extensions:
        raise UsageError(
            f"{where}: the file name must end in one of {', '.join(extensions)} "
            f"(got {extension or 'no extension'})"
        )
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        # making a file is the one test of writability that also holds for root and ACLs
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(
            f"{where}: cannot write in the folder {folder} ({error.strerror})"
        ) from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"{where}: the file exists and is not writable")
    return path


def check_input_file(option: str | None, path: str) -> str:
    """Check that ``path`` (given to ``option``; None for a positional argument) is a file that
    can be read; return it."""
    where = path if option is None else f"{option} {path}"
    if not os.path.isfile(path):
        problem = "is a folder" if os.path.isdir(path) else "no such file"
        raise UsageError(f"{where}: {problem}")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{where}: the file is not readable")
    return path


# ---------------------------------------------------------------- devices, extras, optimizers
def check_device(device: str) -> str:
    """``backend.check_device``, with an absent GPU or CuPy told as a UsageError."""
    try:
        return backend.check_device(device)
    except RuntimeError as error:
        raise UsageError(f"--device {device}: {error}") from None


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or say which ``pip install`` line brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(
            f"{purpose} needs {module}, which is not installed: pip install 'tinygrad-ch8[{extra}]'"
        ) from None


def takes(optimizer_class: type, hyperparameter: str) -> bool:
    """Whether the optimizer's constructor has the hyperparameter (``lr``, ``momentum``, ...)."""
    return hyperparameter in inspect.signature(optimizer_class).parameters


def check_option_applies(
    option: str, hyperparameter: str, chosen: dict[str, type], known: dict[str, type]
) -> None:
    """Refuse ``option`` (setting ``hyperparameter``) if a chosen optimizer has no such setting.

    ``chosen`` and ``known`` map names to optimizer classes; the message lists the known
    optimizers that do take it, so the option is never silently ignored.
    """
    refusing = [name for name, cls in chosen.items() if not takes(cls, hyperparameter)]
    if refusing:
        raise UsageError(
            f"{option} does not apply to {', '.join(refusing)}: "
            f"it is a setting of {', '.join(optimizers_taking(hyperparameter, known))} only"
        )


def optimizers_taking(
    hyperparameter: str, known: dict[str, type], takes_it: bool = True
) -> list[str]:
    """The names in ``known`` whose optimizer has (or, with ``takes_it=False``, lacks) the setting."""
    return [name for name, cls in known.items() if takes(cls, hyperparameter) == takes_it]


def plural(count: int, noun: str) -> str:
    """``1 epoch``, ``3 epochs``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
