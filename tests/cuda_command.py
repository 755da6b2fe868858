"""Run the command line, or a script, on the "cuda" device in a fresh process: on the real GPU
where CuPy sees one, on the strict stand-in for CuPy (tests/strict_device.py) everywhere else.

    python tests/cuda_command.py train --device cuda --epochs 1
    python tests/cuda_command.py benchmarks/engine.py --device cuda --quick

On the stand-in it prints its count of device-to-host copies on stderr at the end.
"""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strict_device  # noqa: E402

from tinygrad_ch8 import backend, cli  # noqa: E402


def main(arguments: list[str]) -> int:
    on_stand_in = not backend.cuda_available()
    if on_stand_in:
        backend.cupy, backend.cupyx = strict_device, strict_device.cupyx
    try:
        if arguments and arguments[0].endswith(".py"):
            sys.argv = arguments
            runpy.run_path(arguments[0], run_name="__main__")
            return 0
        return cli.main(arguments)
    finally:
        if on_stand_in:
            copies = strict_device.transfers.to_host
            print(f"strict stand-in: {copies} device-to-host copies", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
