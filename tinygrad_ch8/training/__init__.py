"""Training: the layer above ``nn`` and ``optim`` and below the strategies and the command line.

``loop`` holds the one minibatch training loop (``train_classifier``, with its ``History``
and the divergence stop ``Diverged``), which the ``train`` command, the examples and the
strategies all use; ``evaluation`` scores a model (``accuracy``) and computes the outputs of
frozen blocks (``frozen_features``), in eval mode and without a graph; ``diagnostics`` is the
training monitor (``TrainingMonitor``), which plugs into the loop's ``on_step_end``.
"""

from .diagnostics import LayerTrace, ParameterTrace, TrainingMonitor, saturated_fraction
from .evaluation import accuracy, evaluating, frozen_features
from .loop import Diverged, History, loss_closure, main_output, train_classifier

__all__ = [
    "Diverged",
    "History",
    "accuracy",
    "evaluating",
    "frozen_features",
    "loss_closure",
    "main_output",
    "train_classifier",
    "TrainingMonitor",
    "LayerTrace",
    "ParameterTrace",
    "saturated_fraction",
]
