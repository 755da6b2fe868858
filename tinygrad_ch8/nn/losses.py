"""nn: the losses as modules, PyTorch's ``nn.CrossEntropyLoss`` and ``nn.MSELoss``.

Each holds its settings and calls the function of the same name in ``functional``, so
``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, target)`` is
``F.cross_entropy(logits, target)``.
"""

from __future__ import annotations

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class CrossEntropyLoss(Module):
    """−log softmax(logits)[target], reduced over the batch (``F.cross_entropy``).

    Args:
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: ε, mixing the target with the uniform distribution over the classes.
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, logits: Tensor, target) -> Tensor:
        return F.cross_entropy(logits, target, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class MSELoss(Module):
    """(prediction − target)², reduced (``F.mse_loss``); ``reduction`` as in CrossEntropyLoss."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, prediction: Tensor, target) -> Tensor:
        return F.mse_loss(prediction, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
