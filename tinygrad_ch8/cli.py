"""Command line: ``tinygrad-ch8 <command>`` (also ``python -m tinygrad_ch8``).

Each command lives in ``tinygrad_ch8/commands/<name>.py`` and provides
``add_arguments(parser)`` and ``run(args) -> int``; this module only builds the parser and
dispatches, so ``tinygrad-ch8 --help`` lists every command with its one-line purpose.

It is also the one place where an error the user caused becomes one line: a ``UsageError``
(``commands/checks.py``) or an ``OSError`` (a missing file, a permission) prints
``tinygrad-ch8 <command>: error: ...`` and exits 2, Ctrl-C outside training exits 130, and
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__, backend
from .commands import compare, evaluate, graph, train
from .commands.checks import INTERRUPTED, UsageError, positive_int

COMMANDS = {  # name: (module, one-line purpose)
    "train": (train, "train a network on the bundled handwritten digits (the main job)"),
    "evaluate": (
        evaluate,
        "report the test loss, accuracy and confusion matrix of a train checkpoint",
    ),
    "compare": (compare, "race optimizers on one problem and plot loss against steps and seconds"),
    "graph": (graph, "render the computation graph of a model's loss (SVG, PNG, PDF or DOT)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-ch8",
        description="Chapter 8 of Deep Learning (Goodfellow, Bengio & Courville), on a small autograd engine.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-ch8 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, purpose) in COMMANDS.items():
        sub = commands.add_parser(name, help=purpose, description=purpose)
        module.add_arguments(sub)
        sub.add_argument("--debug", action="store_true", help="show the full traceback of an error")
        sub.add_argument(
            "--threads",
            type=positive_int,
            default=1,
            metavar="N",
            help="BLAS threads (default: 1, fastest for these small models, above all when other "
            "programs keep the cores busy; see backend.limit_blas_threads)",
        )
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    backend.keep_freed_host_memory()  # a whole program: big arrays may reuse freed host memory
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        backend.limit_blas_threads(args.threads)
        return args.run(args)
    except (UsageError, OSError) as error:
        if args.debug:
            raise
        print(f"tinygrad-ch8 {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"tinygrad-ch8 {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
