"""Training: the layer above ``nn`` and ``optim`` and below the strategies and the command line.

``loop`` holds the one minibatch training loop (``train_classifier``), evaluation
(``accuracy``) and the divergence stop (``Diverged``); ``diagnostics`` the training monitor
(``TrainingMonitor``), which plugs into the loop's ``on_step_end``.
"""

from .diagnostics import LayerTrace, ParameterTrace, TrainingMonitor, saturated_fraction
from .loop import Diverged, History, accuracy, loss_closure, main_output, train_classifier

__all__ = [
    "Diverged",
    "History",
    "accuracy",
    "loss_closure",
    "main_output",
    "train_classifier",
    "TrainingMonitor",
    "LayerTrace",
    "ParameterTrace",
    "saturated_fraction",
]
