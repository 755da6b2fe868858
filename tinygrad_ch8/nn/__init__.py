"""nn: modules, layers and initializers for building networks on the engine.

from tinygrad_ch8 import nn
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
"""

from . import init
from .auxiliary import AuxiliaryHeads
from .layers import (
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    Linear,
    ModuleList,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Tanh,
)
from .losses import CrossEntropyLoss, MSELoss
from .mlp import mlp
from .module import HookHandle, IncompatibleKeys, Module, Parameter

__all__ = [
    "Module",
    "Parameter",
    "HookHandle",
    "IncompatibleKeys",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Sequential",
    "ModuleList",
    "Identity",
    "Flatten",
    "Dropout",
    "CrossEntropyLoss",
    "MSELoss",
    "BatchNorm1d",
    "Residual",
    "AuxiliaryHeads",
    "mlp",
    "init",
]
