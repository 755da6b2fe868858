"""Command line: ``python -m tinygrad_ch8`` runs the command line (``cli.main``)."""

import sys

from .cli import main

sys.exit(main())
