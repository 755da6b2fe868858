"""nn: auxiliary classifier heads on intermediate layers (the book's §8.7.5, GoogLeNet's trick).

A deep network is written as a trunk of stages followed by a main head. Small extra heads
read the output of chosen stages and predict the target too; during training their losses
are added with weights,

    L = L_main + Σ_k w_k L_aux_k,

so every stage receives a gradient over a short path from some loss (Szegedy et al. 2015
used w = 0.3). At inference the auxiliary heads are dropped: in eval mode the model returns
only the main output, and ``inference_model()`` gives the trunk and main head alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..functional import cross_entropy
from ..tensor import Tensor
from .layers import Sequential
from .module import Module


class AuxiliaryHeads(Module):
    """Stages, a main head, and auxiliary heads attached after some stages.

    In training mode ``model(x)`` returns ``(main_output, [aux_output, ...])`` (one entry per
    auxiliary head, in the order given); in eval mode it returns ``main_output`` only and the
    auxiliary heads are not computed. ``model.loss(outputs, target)`` turns either form into
    the weighted loss above.

    Args:
        stages: the trunk, applied in order.
        head: the main head, applied to the last stage's output.
        auxiliary: pairs ``(stage_index, head)``: ``head`` reads the output of ``stages[stage_index]``.
        weights: w_k, one per auxiliary head, or one number for all (default 0.3).

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import nn
        >>> stages = [nn.Sequential(nn.Linear(64, 32), nn.Sigmoid()),
        ...           nn.Sequential(nn.Linear(32, 32), nn.Sigmoid())]
        >>> model = nn.AuxiliaryHeads(stages, head=nn.Linear(32, 10), auxiliary=[(0, nn.Linear(32, 10))])
        >>> x, y = tg.randn(5, 64, rng=0), tg.Tensor([0, 1, 2, 3, 4])
        >>> main, (aux,) = model(x)  # training mode: the main and the auxiliary logits
        >>> loss = model.loss((main, [aux]), y)  # L_main + 0.3 L_aux
        >>> model.eval().__class__.__name__, model(x).shape  # eval: the main head only
        ('AuxiliaryHeads', (5, 10))
    """

    def __init__(
        self,
        stages: Sequence[Module],
        head: Module,
        auxiliary: Sequence[tuple[int, Module]],
        weights: float | Sequence[float] = 0.3,
    ):
        super().__init__()
        self.stages = list(stages)
        self.head = head
        self.auxiliary_heads = [aux_head for _, aux_head in auxiliary]
        self.attached_after = [int(index) for index, _ in auxiliary]
        for index in self.attached_after:
            if not 0 <= index < len(self.stages):
                raise ValueError(
                    f"AuxiliaryHeads: no stage {index} among {len(self.stages)} stages"
                )
        count = len(self.auxiliary_heads)
        single_weight = isinstance(weights, (int, float))
        self.weights = [float(weights)] * count if single_weight else [float(w) for w in weights]
        if len(self.weights) != count:
            raise ValueError(
                f"AuxiliaryHeads: {count} auxiliary heads but {len(self.weights)} weights"
            )

    def forward(self, x: Tensor):
        stage_outputs = []
        for stage in self.stages:
            x = stage(x)
            stage_outputs.append(x)
        main_output = self.head(x)
        if not self.training:
            return main_output
        auxiliary_outputs = [
            head(stage_outputs[index])
            for index, head in zip(self.attached_after, self.auxiliary_heads, strict=True)
        ]
        return main_output, auxiliary_outputs

    def loss(self, outputs, target, loss_fn: Callable = cross_entropy) -> Tensor:
        """L = L_main + Σ_k w_k L_aux_k for training outputs; just L_main for eval outputs."""
        if not isinstance(outputs, tuple):
            return loss_fn(outputs, target)
        main_output, auxiliary_outputs = outputs
        total = loss_fn(main_output, target)
        for weight, auxiliary_output in zip(self.weights, auxiliary_outputs, strict=True):
            total = total + weight * loss_fn(auxiliary_output, target)
        return total

    def inference_model(self) -> Sequential:
        """The trunk and the main head without the auxiliary heads (sharing their parameters)."""
        return Sequential(*self.stages, self.head).train(self.training)
