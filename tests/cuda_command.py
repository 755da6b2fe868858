"""Run the command line on the "cuda" device in a fresh process: the real GPU where CuPy sees one,
the strict stand-in for CuPy (tests/strict_device.py) everywhere else.

    python tests/cuda_command.py train --device cuda --epochs 1

It prints the stand-in's count of device-to-host copies on stderr when the stand-in was used.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strict_device  # noqa: E402

from tinygrad_ch8 import backend, cli  # noqa: E402

if __name__ == "__main__":
    on_stand_in = not backend.cuda_available()
    if on_stand_in:
        backend.cupy, backend.cupyx = strict_device, strict_device.cupyx
    status = cli.main(sys.argv[1:])
    if on_stand_in:
        print(f"strict stand-in: {strict_device.transfers.to_host} copies to host", file=sys.stderr)
    sys.exit(status)
