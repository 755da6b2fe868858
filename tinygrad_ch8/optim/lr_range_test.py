"""Optim: the learning-rate range test (Smith 2017), a step size ε from one short run.

Choosing ε is the first decision of §8.3 and the one that matters most. Smith ("Cyclical
Learning Rates for Training Neural Networks", WACV 2017, §3.3) trains for one pass while ε
grows exponentially from ``min_lr`` to ``max_lr``,

    ε_k = ε_min · (ε_max / ε_min)^(k / (K − 1)),   k = 0, ..., K − 1,

and reads the curve of the loss against ε: flat where ε is too small to make progress, then
falling, then rising or blowing up where ε is too large. The losses of single minibatches are
noisy, so they are smoothed by a bias-corrected exponential moving average of their logarithms
(a geometric mean: the loss spans orders of magnitude),

    m_k = β m_{k−1} + (1 − β) log L_k,   L̄_k = exp(m_k / (1 − β^(k+1))),

and the suggestion is the ε where the smoothed loss falls fastest relative to its size, the
most negative d log L̄ / d log ε (a secant over a few steps, before L̄'s lowest point). On
the quadratic ½λθ² one step multiplies the loss by (1 − ελ)², so that point is ε = 1/λ, the best fixed step. (Averaging the losses themselves
instead, as fastai does, caps how fast L̄ can fall at a factor β per step, so every step after
the loss has collapsed looks equally steep and the first of them, too small an ε, is picked.)
The sweep stops early once L̄ exceeds
``divergence_factor`` times its lowest value or a loss is not finite. Afterwards the parameters
and the optimizer's state are put back as they were (``restore=True``): the test is a probe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer


@dataclass
class LRRangeResult:
    """What ``lr_range_test`` measured: one entry per step taken, and the suggested ε."""

    learning_rates: list[float]
    losses: list[float]
    smoothed_losses: list[float]
    suggestion: float


def steepest_drop(
    learning_rates: Sequence[float], smoothed_losses: Sequence[float], window: int = 3
) -> float:
    """The ε where log L̄ falls fastest against log ε, before L̄ reaches its lowest value.

    The slope at step k is the secant from step k − ``window`` to step k + ``window`` (cut at
    the ends): the minibatch noise left in L̄ makes differences of neighbouring points
    unreliable, most of all at the start, where ε is too small to change the loss at all.
    """
    if len(learning_rates) < 3:
        raise ValueError(
            f"steepest_drop: needs at least 3 points of the sweep, got {len(learning_rates)}"
        )
    log_lr = [math.log(lr) for lr in learning_rates]
    log_loss = [math.log(loss) for loss in smoothed_losses]
    bottom = min(range(len(log_loss)), key=log_loss.__getitem__)
    last = len(log_lr) - 1

    def slope(k: int) -> float:
        before, after = max(k - window, 0), min(k + window, last)
        return (log_loss[after] - log_loss[before]) / (log_lr[after] - log_lr[before])

    return learning_rates[min(range(max(bottom, 1) + 1), key=slope)]


def lr_range_test(
    optimizer: Optimizer,
    loss_fn: Callable[[object], Tensor],
    batches: Sequence,
    min_lr: float = 1e-5,
    max_lr: float = 10.0,
    smoothing: float = 0.9,
    divergence_factor: float = 4.0,
    restore: bool = True,
) -> LRRangeResult:
    """Sweep ε exponentially from ``min_lr`` to ``max_lr`` over one pass through ``batches``.

    Args:
        optimizer: a first-order optimizer with an ``lr`` (every group gets the swept value).
        loss_fn: ``loss_fn(batch)`` returns the (positive) loss on one batch, with its graph.
        batches: one pass of batches (a sequence: its length sets the schedule), e.g.
            ``list(data.DataLoader(X, y, batch_size=32))``.
        min_lr, max_lr: the ends of the sweep.
        smoothing: β of the moving average of the log-losses (0: no smoothing).
        divergence_factor: stop once the smoothed loss exceeds this times its lowest value.
        restore: put the parameters and the optimizer's state back afterwards.

    Returns:
        ``LRRangeResult(learning_rates, losses, smoothed_losses, suggestion)``, the losses
        being those of each batch before its step.

    Example (softmax regression on the digits):

    >>> from tinygrad_ch8 import data, nn, optim
    >>> import tinygrad_ch8.functional as F
    >>> X, y = data.load_digits("train")
    >>> model = nn.Linear(64, 10, rng=0)
    >>> batches = list(data.DataLoader(X / 16, y, batch_size=8, rng=0))  # 180 steps
    >>> result = optim.lr_range_test(
    ...     optim.SGD(model.parameters(), lr=0.1), lambda b: F.cross_entropy(model(b[0]), b[1]), batches
    ... )
    >>> 0.5 < result.suggestion < 5  # about 2 here
    True
    """
    if not 0 < min_lr < max_lr:
        raise ValueError(f"lr_range_test: need 0 < min_lr < max_lr, got {min_lr} and {max_lr}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_range_test: smoothing must be in [0, 1), got {smoothing}")
    if "lr" not in optimizer.defaults:
        raise ValueError(f"lr_range_test: {type(optimizer).__name__} has no learning rate to sweep")
    batches = list(batches)
    if len(batches) < 3:
        raise ValueError(f"lr_range_test: needs at least 3 batches, got {len(batches)}")
    params = optimizer.parameters()
    saved_values = [param.data.copy() for param in params]
    saved_state = optimizer.state_dict()
    growth = (max_lr / min_lr) ** (1 / (len(batches) - 1))
    learning_rates, losses, smoothed = [], [], []
    average = 0.0
    try:
        for k, batch in enumerate(batches):
            lr = min_lr * growth**k
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = optimizer.step(lambda batch=batch: loss_fn(batch)).item()
            if not math.isfinite(loss) or loss <= 0:
                break  # a loss of 0 has no logarithm; there is nothing left to learn anyway
            average = smoothing * average + (1 - smoothing) * math.log(loss)
            learning_rates.append(lr)
            losses.append(loss)
            smoothed.append(math.exp(average / (1 - smoothing ** (k + 1))))
            if smoothed[-1] > divergence_factor * min(smoothed):
                break
    finally:
        if restore:
            with no_grad():
                for param, values in zip(params, saved_values, strict=True):
                    param.data[...] = values
                    param.grad = None
            optimizer.load_state_dict(saved_state)
    if len(learning_rates) < 3:
        raise ValueError(
            f"lr_range_test: the sweep ended after {len(learning_rates)} steps, at ε = {lr:.3g} "
            "(the loss was not finite or not positive, or it grew divergence_factor times): "
            "start lower (min_lr)"
        )
    return LRRangeResult(learning_rates, losses, smoothed, steepest_drop(learning_rates, smoothed))
