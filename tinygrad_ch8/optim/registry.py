"""Optim: ``OPTIMIZERS``, the one table from an optimizer's name to its class.

``minimize(method=...)``, the ``train`` command's ``--optimizer`` and the ``compare``
command's list all read this table, so a new optimizer becomes available to each of them by
one line here.
"""

from __future__ import annotations

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .bfgs import BFGS
from .cg import NonlinearCG
from .lbfgs import LBFGS
from .newton import Newton
from .newton_cg import NewtonCG
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "lbfgs": LBFGS,
    "bfgs": BFGS,
    "cg": NonlinearCG,
    "newton": Newton,
    "newton-cg": NewtonCG,
}
ALIASES = {"l-bfgs": "lbfgs"}  # SciPy's spelling, accepted by minimize


def optimizer_class(name: str, caller: str = "optimizer") -> type[Optimizer]:
    """The class registered as ``name`` (case ignored; ``"L-BFGS"`` is ``"lbfgs"``).

    Raises:
        ValueError: naming ``caller``, the unknown name and the known ones.
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key not in OPTIMIZERS:
        raise ValueError(
            f"{caller}: unknown method {name!r}; expected one of {', '.join(OPTIMIZERS)}"
        )
    return OPTIMIZERS[key]
