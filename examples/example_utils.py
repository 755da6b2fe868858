"""What every example shares: its command line (``--fast``, ``--out``) and saving its figure.

Each example is run as ``python examples/NAME.py [--fast] [--out DIR]``: it prints what it
shows and saves its figure(s) to DIR (default ``figures/``). ``--fast`` shrinks the work so
the test suite can run every example in a few seconds.
"""

from __future__ import annotations

import argparse
import os


def parse_args(description: str, argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    parser.add_argument(
        "--out", default="figures", help="folder for the figures (default: figures/)"
    )
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    return args


def save_figure(figure, args: argparse.Namespace, name: str) -> str:
    """Save a matplotlib figure as ``<out>/<name>.png``, close it and return the path."""
    import matplotlib.pyplot as plt

    path = os.path.join(args.out, f"{name}.png")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    print(f"figure saved to {path}")
    return path
