"""``python -m tinygrad_ch8`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
