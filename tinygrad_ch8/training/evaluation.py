"""Training: evaluation of a trained model, in eval mode and without a graph.

``accuracy`` scores a classifier; ``frozen_features`` computes what a stack of fixed blocks
outputs, the input that greedy pretraining's next stage and FitNets' hint regression train on.
Both put the modules in eval mode (batch norm then uses its running averages, dropout is off)
and restore every module's own training flag afterwards, so a frozen teacher stays in eval
while its student trains.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from ..backend import Array
from ..grad_mode import no_grad
from ..nn.module import Module
from ..tensor import Tensor


@contextlib.contextmanager
def evaluating(modules: Sequence[Module]) -> Iterator[None]:
    """Put ``modules`` (and their children) in eval mode with no graph; restore their flags after."""
    modes = [(module, module.training) for block in modules for module in block.modules()]
    try:
        for block in modules:
            block.eval()
        with no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode


def accuracy(model: Module, X: Array | Tensor, y: Array | Tensor, batch_size: int = 1024) -> float:
    """The fraction of rows of X whose arg-max prediction equals y, computed in eval mode."""
    X = X.data if isinstance(X, Tensor) else X
    y = y.data if isinstance(y, Tensor) else y
    correct = 0
    with evaluating([model]):
        for start in range(0, len(X), batch_size):
            logits = model(Tensor.from_array(X[start : start + batch_size]))
            correct += int((logits.data.argmax(axis=1) == y[start : start + batch_size]).sum())
    return correct / max(len(X), 1)


def frozen_features(blocks: Sequence[Module], X: Array | Tensor) -> Array:
    """z = h_k(… h_1(X)) for the given blocks, in eval mode and without a graph (a backend array)."""
    z = Tensor.from_array(X.data if isinstance(X, Tensor) else X)
    with evaluating(blocks):
        for block in blocks:
            z = block(z)
    return z.data
