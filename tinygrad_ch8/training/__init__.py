"""Training: the layer above ``nn`` and ``optim`` and below the strategies and the command line.

``loop`` holds the one minibatch training loop (``train_classifier``), evaluation
(``accuracy``) and the divergence stop (``Diverged``).
"""

from .loop import Diverged, History, accuracy, loss_closure, main_output, train_classifier

__all__ = ["Diverged", "History", "accuracy", "loss_closure", "main_output", "train_classifier"]
