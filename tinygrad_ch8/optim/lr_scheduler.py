"""Optim: learning-rate schedules ε_k, which set each parameter group's ``lr`` as training goes on.

Section 8.3.1: SGD's gradient estimate is noisy and does not vanish at a minimum, so the
learning rate must decrease for SGD to converge (Σε_k = ∞ and Σε_k² < ∞ suffice). Each
schedule is a closed form ε_k = f(k, ε_0) of the number k of ``step()`` calls, with ε_0
the group's ``lr`` when the schedule was made; call ``step()`` after each optimizer step
(or after each epoch: k counts whatever you choose).

    opt = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.lr_scheduler.LinearDecay(opt, tau=1000, final_lr=0.001)
    for batch in batches:
        ...; opt.step(); schedule.step()
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence

from .optimizer import Optimizer


class LRScheduler(abc.ABC):
    """Base class: remembers ε_0 per group and writes ``lr_at(k)`` into the groups on each ``step()``.

    A schedule's hyperparameters (τ, γ, T_max, ...) live in ``self.settings``, a dict, as an
    optimizer's live in its parameter groups, so that ``state_dict`` can save them all.
    """

    def __init__(self, optimizer: Optimizer, settings: dict):
        self.optimizer = optimizer
        self.settings = dict(settings)
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    @abc.abstractmethod
    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        """ε_k for the group at ``group_index``, whose initial rate is ``base_lr``."""

    def step(self) -> None:
        """Advance k by one and set every group's learning rate to ε_k."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as last set."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Everything but the optimizer: k, ε_0 per group and the schedule's settings."""
        return {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "settings": dict(self.settings),
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from ``state_dict()``: k, ε_0 and the settings are those saved."""
        self.last_epoch = state_dict["last_epoch"]
        self.base_lrs = list(state_dict["base_lrs"])
        self.settings = dict(state_dict["settings"])
        self._apply()

    def _apply(self) -> None:
        groups = self.optimizer.param_groups
        for index, (group, base_lr) in enumerate(zip(groups, self.base_lrs, strict=True)):
            group["lr"] = self.lr_at(self.last_epoch, base_lr, index)


class LinearDecay(LRScheduler):
    """The book's schedule (section 8.3.1, Algorithm 8.1): linear from ε_0 to ε_τ, then constant.

        ε_k = (1 − α) ε_0 + α ε_τ,   α = k / τ   for k ≤ τ;     ε_k = ε_τ   for k > τ

    The book suggests τ of a few hundred passes through the data and ε_τ about 1% of ε_0.
    Algorithm 8.1 names ε_k but then updates with ε: the decayed ε_k is meant, and is
    what this schedule feeds the optimizer.

    Args:
        optimizer: the optimizer whose groups' ``lr`` (ε_0) is decayed.
        tau: τ, the step at which the decay ends.
        final_lr: ε_τ, one value or one per parameter group.
    """

    def __init__(self, optimizer: Optimizer, tau: int, final_lr: float | Sequence[float]):
        if tau <= 0:
            raise ValueError(f"invalid tau: {tau} (it must be > 0)")
        groups = len(optimizer.param_groups)
        final_lrs = list(final_lr) if isinstance(final_lr, Sequence) else [final_lr] * groups
        if len(final_lrs) != groups:
            raise ValueError(f"final_lr has {len(final_lrs)} values for {groups} parameter groups")
        if any(not lr >= 0.0 for lr in final_lrs):
            raise ValueError(f"invalid final_lr: {final_lr} (it must be >= 0)")
        super().__init__(optimizer, {"tau": tau, "final_lrs": final_lrs})

    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        alpha = min(k / self.settings["tau"], 1.0)
        return (1.0 - alpha) * base_lr + alpha * self.settings["final_lrs"][group_index]


class StepLR(LRScheduler):
    """ε_k = ε_0 · γ^⌊k / step_size⌋: multiply by γ every ``step_size`` steps (``torch``'s StepLR)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        if step_size <= 0:
            raise ValueError(f"invalid step_size: {step_size} (it must be > 0)")
        if not gamma >= 0.0:
            raise ValueError(f"invalid gamma: {gamma} (it must be >= 0)")
        super().__init__(optimizer, {"step_size": step_size, "gamma": gamma})

    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        return base_lr * self.settings["gamma"] ** (k // self.settings["step_size"])


class ExponentialLR(LRScheduler):
    """ε_k = ε_0 · γ^k: multiply by γ every step (``torch``'s ExponentialLR)."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        if not gamma >= 0.0:
            raise ValueError(f"invalid gamma: {gamma} (it must be >= 0)")
        super().__init__(optimizer, {"gamma": gamma})

    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        return base_lr * self.settings["gamma"] ** k


class CosineAnnealing(LRScheduler):
    """Half a cosine from ε_0 down to η_min over T_max steps, then η_min.

        ε_k = η_min + (ε_0 − η_min) (1 + cos(π k / T_max)) / 2    for k ≤ T_max

    Loshchilov & Hutter, "SGDR: stochastic gradient descent with warm restarts" (ICLR 2017).
    This is ``torch``'s CosineAnnealingLR up to T_max; after T_max PyTorch's rate follows
    the cosine back up, this one stays at η_min (as ``LinearDecay`` stays at ε_τ).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803 (PyTorch's name)
        if T_max <= 0:
            raise ValueError(f"invalid T_max: {T_max} (it must be > 0)")
        if not eta_min >= 0.0:
            raise ValueError(f"invalid eta_min: {eta_min} (it must be >= 0)")
        super().__init__(optimizer, {"T_max": T_max, "eta_min": eta_min})

    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        t_max, eta_min = self.settings["T_max"], self.settings["eta_min"]
        progress = min(k, t_max) / t_max
        return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * progress)) / 2.0


class CosineAnnealingLR(CosineAnnealing):
    """PyTorch's ``CosineAnnealingLR(optimizer, T_max, eta_min)``: the same half cosine, which
    after T_max keeps following the cosine (back up to ε_0 at 2 T_max, and so on) as PyTorch's
    does; ``CosineAnnealing`` instead stays at η_min.

        ε_k = η_min + (ε_0 − η_min) (1 + cos(π k / T_max)) / 2    for every k

    PyTorch computes ε_k by a recurrence from ε_(k−1); this closed form agrees with it to
    rounding (about 1e-16 relative).
    """

    def lr_at(self, k: int, base_lr: float, group_index: int) -> float:
        t_max, eta_min = self.settings["T_max"], self.settings["eta_min"]
        return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * k / t_max)) / 2.0
