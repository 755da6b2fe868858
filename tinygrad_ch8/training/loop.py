"""Training: the one minibatch training loop, shared by the ``train`` command, the examples and the strategies.

One epoch: for every minibatch, the optimizer's ``step(closure)`` evaluates the loss, takes
its gradient and updates the parameters (§8.1.3's minibatch SGD, or any optimizer of
``tinygrad_ch8.optim``); the closure form lets line-search and second-order optimizers
re-evaluate the loss as often as they need. After each epoch the model is evaluated on the
held-out data in eval mode (batch norm then uses its running averages).

The loop stops at the first loss that is NaN or Inf by raising ``Diverged`` (the parameters
then hold the update that produced it; the caller keeps the last good checkpoint).
``on_step_end`` and ``on_epoch_end`` are where a caller hooks in (a training monitor, a
schedule, a checkpoint, a request to stop).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..functional import cross_entropy
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from .evaluation import accuracy


class Diverged(FloatingPointError):
    """The loss became NaN or Inf: raised by ``train_classifier`` at the step where it happened."""

    def __init__(self, epoch: int, step: int, loss: float):
        self.epoch, self.step, self.loss = epoch, step, loss
        super().__init__(f"diverged at epoch {epoch + 1}, step {step + 1} (loss {loss})")


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


def main_output(outputs: Tensor | tuple) -> Tensor:
    """The main prediction; a model with auxiliary heads returns ``(main, [aux, ...])`` in training."""
    return outputs[0] if isinstance(outputs, tuple) else outputs


def loss_closure(
    model: Module, loss_fn: Callable, inputs: Tensor, targets: Tensor, outputs_seen: list
) -> Callable[[], Tensor]:
    """The closure ``optimizer.step`` calls: a fresh forward pass and its loss, graph attached.

    It does not call ``backward()``: the optimizer takes the gradient itself (see
    ``optim.loss_and_gradients``). Each call's model outputs are appended to ``outputs_seen``.
    """

    def closure() -> Tensor:
        outputs = model(inputs)
        outputs_seen.append(outputs)
        return loss_fn(outputs, targets)

    return closure


def _progress_bar(epochs: range, shown: bool):
    """A tqdm bar over the epochs when ``shown`` (tqdm is imported only then).

    tqdm's plain bar, not ``tqdm.auto``: in a notebook without ipywidgets the latter warns on
    every import. The finished bar stays as the run's summary line (a cleared one would leave
    a line of spaces in logs and notebooks).
    """
    if not shown:
        return _NoBar(epochs)
    try:
        from tqdm import tqdm
    except ImportError as error:
        raise ImportError(
            "the progress bar needs tqdm: pip install tqdm (it comes with tinygrad-ch8)"
        ) from error
    return tqdm(epochs, desc="epoch", unit="epoch")


class _NoBar:
    """What the loop uses instead of a bar when none is shown: the epochs, and nothing printed."""

    def __init__(self, epochs: range):
        self.epochs = epochs

    def __iter__(self):
        return iter(self.epochs)

    def set_postfix(self, postfix: dict) -> None:
        pass

    def close(self) -> None:
        pass


def train_classifier(
    model: Module,
    optimizer: Optimizer,
    train_loader: Iterable,
    epochs: int,
    test_data: tuple | None = None,
    loss_fn: Callable = cross_entropy,
    progress: bool = False,
    on_epoch_end: Callable | None = None,
    on_step_end: Callable | None = None,
    start_epoch: int = 0,
    history: History | None = None,
    classifies: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` and return its ``History``.

    Args:
        model: maps a batch of inputs to logits (or to ``(logits, [aux_logits, ...])``).
        optimizer: any ``tinygrad_ch8.optim`` optimizer over the model's parameters.
        train_loader: yields ``(inputs, targets)`` Tensor batches, e.g. ``data.DataLoader``.
        epochs: the number of passes.
        test_data: ``(X, y)`` arrays for the test accuracy after each epoch (None: skip it).
        loss_fn: ``loss_fn(outputs, targets)``; for auxiliary heads pass ``model.loss``.
        progress: show a tqdm bar with the epoch, loss and accuracies (needs tqdm).
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch (schedules,
            checkpoints, logging).
        on_step_end: called as ``on_step_end(step, loss)`` after each optimizer step, ``step``
            counting from 0 over the whole run (a training monitor, a request to stop).
        start_epoch: the first epoch's index, when a run resumes (epochs ``start_epoch`` to
            ``epochs - 1`` run).
        history: the ``History`` to append to, when a run resumes (None: a new one).
        classifies: the targets are class labels, so the training accuracy is measured;
            False for other targets (a regression onto hints, row numbers a loss looks up),
            whose ``History`` then has losses only.

    Raises:
        Diverged: at the first step whose loss is NaN or Inf.
    """
    history = History() if history is None else history
    start_time = time.perf_counter() - (history.seconds[-1] if history.seconds else 0.0)
    bar = _progress_bar(range(start_epoch, epochs), progress)
    try:  # an exception (Diverged, a request to stop) must not leave a half-drawn bar
        for epoch in bar:
            model.train()
            total_loss, correct, seen = 0.0, 0, 0
            for step_in_epoch, (inputs, targets) in enumerate(train_loader):
                batch_outputs: list = []
                loss = optimizer.step(loss_closure(model, loss_fn, inputs, targets, batch_outputs))
                step_loss = loss.item()
                if not math.isfinite(step_loss):
                    raise Diverged(epoch, step_in_epoch, step_loss)
                if classifies:
                    predictions = main_output(batch_outputs[-1]).data.argmax(axis=1)
                    correct += (
                        predictions == targets.data
                    ).sum()  # on the device: read once an epoch
                seen += len(targets)
                total_loss += step_loss * len(targets)
                history.step_loss.append(step_loss)
                if on_step_end is not None:
                    on_step_end(len(history.step_loss) - 1, step_loss)
            history.epoch_loss.append(total_loss / max(seen, 1))
            if classifies:
                history.train_accuracy.append(int(correct) / max(seen, 1))
            if test_data is not None:
                history.test_accuracy.append(accuracy(model, *test_data))
            history.seconds.append(time.perf_counter() - start_time)
            postfix = {"loss": f"{history.epoch_loss[-1]:.4f}"}
            if history.train_accuracy:
                postfix["train acc"] = f"{history.train_accuracy[-1]:.3f}"
            if history.test_accuracy:
                postfix["test acc"] = f"{history.test_accuracy[-1]:.3f}"
            bar.set_postfix(postfix)
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    finally:
        bar.close()
    return history
