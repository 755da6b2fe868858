"""Optim: the optimizers of Chapter 8 (sections 8.3, 8.5, 8.6, 8.7), their schedules and averaging.

First-order methods (8.3, 8.5) are PyTorch-shaped classes over a pure update function on
arrays: ``SGD`` (with momentum and Nesterov), ``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``.
``lr_scheduler`` decays their learning rate; ``lr_range_test`` suggests one (Smith 2017);
``PolyakAveraging`` (8.7) averages the parameters they visit. Approximate second-order
methods (8.6: ``Newton``, ``NewtonCG``, ``NonlinearCG``, ``BFGS``, ``LBFGS``) take a closure;
``minimize`` runs any of them on one function, SciPy-style.

``OPTIMIZERS`` (``registry.py``) maps each optimizer's lower-case name to its class. The
math of each method is also a public pure function on arrays (``sgd_update``, ...,
``bfgs_update``, ``two_loop_direction``, ``newton_direction``); ``loss_and_gradients`` is
the closure contract every optimizer calls.
"""

from . import curvature, line_search, lr_scheduler
from .adagrad import Adagrad, adagrad_update
from .adam import Adam, AdamW, adam_update, adamw_update
from .averaging import PolyakAveraging
from .bfgs import BFGS, bfgs_update
from .cg import NonlinearCG, conjugate_gradient
from .closure import loss_and_gradients
from .lbfgs import LBFGS, two_loop_direction
from .lr_range_test import LRRangeResult, lr_range_test
from .minimize import OptimizeResult, minimize
from .newton import Newton, newton_direction
from .newton_cg import NewtonCG
from .optimizer import Optimizer
from .registry import OPTIMIZERS
from .rmsprop import RMSprop, rmsprop_update
from .sgd import SGD, sgd_update

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
    "loss_and_gradients",
    "sgd_update",
    "adagrad_update",
    "rmsprop_update",
    "adam_update",
    "adamw_update",
    "bfgs_update",
    "two_loop_direction",
    "newton_direction",
]
