"""Optim: the optimizers of Chapter 8 (sections 8.3, 8.5, 8.6, 8.7), their schedules and averaging.

First-order methods (8.3, 8.5) are PyTorch-shaped classes over a pure update function on
arrays: ``SGD`` (with momentum and Nesterov), ``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``.
``lr_scheduler`` decays their learning rate; ``lr_range_test`` suggests one (Smith 2017);
``PolyakAveraging`` (8.7) averages the parameters they visit. Approximate second-order
methods (8.6) take a closure.

``OPTIMIZERS`` maps each optimizer's lower-case command-line name to its class.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .averaging import PolyakAveraging
from .lr_range_test import LRRangeResult, lr_range_test
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "PolyakAveraging",
    "lr_range_test",
    "LRRangeResult",
    "lr_scheduler",
    "OPTIMIZERS",
]

# ---------------------------------------------------------------- second-order methods (8.6)
# Owned by the second-order engineer: imports of line_search, newton, newton_cg, cg, bfgs,
# lbfgs, minimize, curvature go here, with OPTIMIZERS.update({"lbfgs": ..., "bfgs": ...,
# "cg": ..., "newton": ..., "newton-cg": ...}) and their names appended to __all__.
from . import curvature, line_search  # noqa: E402
from .bfgs import BFGS  # noqa: E402
from .cg import NonlinearCG, conjugate_gradient  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .minimize import OptimizeResult, minimize  # noqa: E402
from .newton import Newton  # noqa: E402
from .newton_cg import NewtonCG  # noqa: E402

OPTIMIZERS.update(
    {"lbfgs": LBFGS, "bfgs": BFGS, "cg": NonlinearCG, "newton": Newton, "newton-cg": NewtonCG}
)
__all__ += [
    "curvature",
    "line_search",
    "LBFGS",
    "BFGS",
    "NonlinearCG",
    "conjugate_gradient",
    "Newton",
    "NewtonCG",
    "minimize",
    "OptimizeResult",
]
