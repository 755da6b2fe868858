"""Command line: one module per ``tinygrad-ch8`` command, each with ``add_arguments`` and ``run``."""
