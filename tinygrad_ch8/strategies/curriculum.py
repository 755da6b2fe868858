"""Strategies (§8.7.6): curriculum learning, a sampler that shows easy examples first.

Curriculum learning (Bengio et al. 2009) is a continuation method over the training set: the
early cost functions average the loss over easy examples only, later ones bring in harder ones
until the whole set is used. Here that is a sampler for the DataLoader. Each example i has a
difficulty d_i; training runs in stages s = 0 … S − 1, and a pacing function g(s) ∈ (0, 1]
gives the share of the data in play at stage s (linear pacing by default:
g(s) = g₀ + (1 − g₀) s / (S − 1)). The pool of stage s is the ⌈g(s) N⌉ easiest examples.

Schedules:
    "easy_first"  draws from the pool only ("baby steps": the hard examples wait their turn).
    "stochastic"  draws a share ``mix`` of each stage uniformly from the whole set and the rest
                  from the pool, so hard examples appear at every stage (the mixed curriculum of
                  Zaremba & Sutskever 2014, who found the pure one can overfit the easy cases).
    "anti"        the pool is the hardest ⌈g(s) N⌉ examples instead (an anti-curriculum, for comparison).
    "uniform"     no curriculum: every stage draws from the whole set.

Each pass over the sampler (one epoch) is one stage, and the stage then advances; it stays at
the last stage once reached. The DataLoader calls ``set_epoch(epoch)`` before each epoch, which
sets the stage to the epoch number (capped at the last stage).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from .. import backend
from ..backend import Array, Seed
from ..tensor import Tensor

SCHEDULES = ("easy_first", "stochastic", "anti", "uniform")


def linear_pacing(start_fraction: float, n_stages: int) -> Callable[[int], float]:
    """g(s) = g₀ + (1 − g₀) s / (S − 1): the share of the data in play grows linearly from g₀ to 1."""
    if not 0 < start_fraction <= 1 or n_stages < 1:
        raise ValueError(
            f"linear_pacing: need 0 < start_fraction <= 1 and n_stages >= 1, "
            f"got {start_fraction} and {n_stages}"
        )

    def pacing(stage: int) -> float:
        progress = min(stage, n_stages - 1) / max(n_stages - 1, 1)
        return start_fraction + (1 - start_fraction) * progress

    return pacing


class CurriculumSampler:
    """Indices of the training examples, stage by stage, easiest first (or as ``schedule`` says).

    Args:
        difficulty: one score per example (array, list or Tensor); larger is harder.
        schedule: one of ``SCHEDULES`` (see the module docstring).
        n_stages: S, the number of stages (epochs) until the whole set is in play.
        pacing: g(stage) -> share of the data in the pool;
            default ``linear_pacing(start_fraction, n_stages)``.
        start_fraction: g₀ for the default pacing.
        mix: the share of each stage drawn from the whole set by the "stochastic" schedule.
        epoch_size: indices per stage (default: the number of examples).
        rng: None, an int seed or a numpy Generator.

    The pool is visited in shuffled passes (every pool example once before any twice); the
    "stochastic" schedule's mixed-in draws are uniform over the whole set.

    Example:
        >>> from tinygrad_ch8.strategies import CurriculumSampler
        >>> difficulty = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4]  # one score per example
        >>> sampler = CurriculumSampler(difficulty, n_stages=4, start_fraction=0.25, rng=0)
        >>> sampler.pool(0).tolist()  # stage 0: the easiest quarter of the examples
        [1, 5]
        >>> sampler.pool(3).tolist()  # the last stage: all of them, easiest first
        [1, 5, 3, 7, 2, 4, 6, 0]
    """

    def __init__(
        self,
        difficulty: Array | Sequence[float] | Tensor,
        schedule: str = "easy_first",
        n_stages: int = 5,
        pacing: Callable[[int], float] | None = None,
        start_fraction: float = 0.25,
        mix: float = 0.2,
        epoch_size: int | None = None,
        rng: Seed = None,
    ):
        if schedule not in SCHEDULES:
            raise ValueError(
                f"CurriculumSampler: schedule must be one of {SCHEDULES}, got {schedule!r}"
            )
        if not 0 <= mix <= 1:
            raise ValueError(f"CurriculumSampler: mix must lie in [0, 1], got {mix}")
        scores = backend.to_numpy(
            difficulty.data if isinstance(difficulty, Tensor) else backend.numpy.asarray(difficulty)
        ).reshape(-1)
        if scores.size == 0:
            raise ValueError("CurriculumSampler: difficulty is empty")
        self.schedule = schedule
        self.n_stages = n_stages
        self.pacing = linear_pacing(start_fraction, n_stages) if pacing is None else pacing
        self.mix = mix if schedule == "stochastic" else 0.0
        self.epoch_size = scores.size if epoch_size is None else epoch_size
        # a stable sort keeps equally hard examples in their given order, so stages are reproducible
        easiest_first = backend.numpy.argsort(scores, kind="stable")
        self.order = easiest_first[::-1].copy() if schedule == "anti" else easiest_first
        self.stage = 0
        self.generator = backend.rng(rng)

    def __len__(self) -> int:
        return self.epoch_size

    def pool(self, stage: int) -> Array:
        """The example indices in play at ``stage`` (host NumPy array, in the schedule's order)."""
        if self.schedule == "uniform":
            return self.order
        share = self.pacing(stage)
        if not 0 < share <= 1:
            raise ValueError(
                f"CurriculumSampler: the pacing gave a share of {share} at stage {stage}; "
                "it must lie in (0, 1]"
            )
        return self.order[: max(1, math.ceil(share * self.order.size))]

    def stage_indices(self, stage: int) -> Array:
        """The ``epoch_size`` indices drawn for ``stage`` (host NumPy array)."""
        np = backend.numpy
        pool = self.pool(stage)
        from_everywhere = self.generator.random(self.epoch_size) < self.mix
        indices = np.empty(self.epoch_size, dtype=np.int64)
        n_pool = int((~from_everywhere).sum())
        n_passes = -(-n_pool // pool.size)  # ceiling division
        shuffled_passes = [self.generator.permutation(pool) for _ in range(n_passes)]
        indices[~from_everywhere] = np.concatenate(shuffled_passes)[:n_pool] if n_passes else []
        indices[from_everywhere] = self.generator.integers(
            0, self.order.size, int(from_everywhere.sum())
        )
        return indices

    def set_epoch(self, epoch: int) -> None:
        """Run ``epoch`` as stage min(epoch, S − 1) (the DataLoader's sampler protocol)."""
        self.stage = min(epoch, self.n_stages - 1)

    def __iter__(self) -> Iterator[int]:
        indices = self.stage_indices(self.stage)
        self.stage = min(self.stage + 1, self.n_stages - 1)
        return iter(indices.tolist())
