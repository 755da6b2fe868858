"""nn: the minibatch training loop shared by the ``train`` command, the examples and the strategies.

One epoch: for every minibatch, the optimizer's ``step(closure)`` evaluates the loss, takes
its gradient and updates the parameters (§8.1.3's minibatch SGD, or any optimizer of
``tinygrad_ch8.optim``); the closure form lets line-search and second-order optimizers
re-evaluate the loss as often as they need. After each epoch the model is evaluated on the
held-out data in eval mode (batch norm then uses its running averages).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from .function import no_grad
from .functional import cross_entropy
from .nn.module import Module
from .tensor import Tensor


@dataclass
class History:
    """What ``train_classifier`` measured: the loss of every step, and per epoch the mean
    training loss, the training accuracy (of the predictions made while training), the test
    accuracy and the wall-clock seconds since the start."""

    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def main_output(outputs) -> Tensor:
    """The main prediction; a model with auxiliary heads returns ``(main, [aux, ...])`` in training."""
    return outputs[0] if isinstance(outputs, tuple) else outputs


def accuracy(model: Module, X, y, batch_size: int = 1024) -> float:
    """The fraction of rows of X whose arg-max prediction equals y, computed in eval mode.

    Every module's own training flag is restored afterwards (a frozen teacher stays in eval).
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    X = X.data if isinstance(X, Tensor) else X
    y = y.data if isinstance(y, Tensor) else y
    correct = 0
    try:
        with no_grad():
            for start in range(0, len(X), batch_size):
                predictions = model(Tensor.from_array(X[start : start + batch_size])).data.argmax(
                    axis=1
                )
                correct += int((predictions == y[start : start + batch_size]).sum())
    finally:
        for module, mode in modes:
            module.training = mode
    return correct / max(len(X), 1)


def loss_closure(
    model: Module, loss_fn: Callable, inputs: Tensor, targets: Tensor, outputs_seen: list
):
    """The closure ``optimizer.step`` calls: a fresh forward pass and its loss, graph attached.

    It does not call ``backward()``: the optimizer takes the gradient itself (see
    ``Optimizer.evaluate_closure``). Each call's model outputs are appended to ``outputs_seen``.
    """

    def closure() -> Tensor:
        outputs = model(inputs)
        outputs_seen.append(outputs)
        return loss_fn(outputs, targets)

    return closure


def train_classifier(
    model: Module,
    optimizer,
    train_loader: Iterable,
    epochs: int,
    test_data: tuple | None = None,
    loss_fn: Callable = cross_entropy,
    progress: bool = False,
    on_epoch_end: Callable | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` and return its ``History``.

    Args:
        model: maps a batch of inputs to logits (or to ``(logits, [aux_logits, ...])``).
        optimizer: any ``tinygrad_ch8.optim`` optimizer over the model's parameters.
        train_loader: yields ``(inputs, targets)`` Tensor batches, e.g. ``data.DataLoader``.
        epochs: the number of passes.
        test_data: ``(X, y)`` arrays for the test accuracy after each epoch (None: skip it).
        loss_fn: ``loss_fn(outputs, targets)``; for auxiliary heads pass ``model.loss``.
        progress: show a tqdm bar with the epoch, loss and accuracies.
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch (schedules, logging).
    """
    history = History()
    start_time = time.perf_counter()
    bar = tqdm(range(epochs), desc="epoch", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total_loss, correct, seen = 0.0, 0, 0
        for inputs, targets in train_loader:
            batch_outputs: list = []
            loss = optimizer.step(loss_closure(model, loss_fn, inputs, targets, batch_outputs))
            step_loss = loss.item()
            predictions = main_output(batch_outputs[-1]).data.argmax(axis=1)
            correct += int((predictions == targets.data).sum())
            seen += len(targets)
            total_loss += step_loss * len(targets)
            history.step_loss.append(step_loss)
        history.epoch_loss.append(total_loss / max(seen, 1))
        history.train_accuracy.append(correct / max(seen, 1))
        if test_data is not None:
            history.test_accuracy.append(accuracy(model, *test_data))
        history.seconds.append(time.perf_counter() - start_time)
        postfix = {
            "loss": f"{history.epoch_loss[-1]:.4f}",
            "train acc": f"{history.train_accuracy[-1]:.3f}",
        }
        if history.test_accuracy:
            postfix["test acc"] = f"{history.test_accuracy[-1]:.3f}"
        bar.set_postfix(postfix)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    bar.close()
    return history
