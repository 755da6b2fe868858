"""Curriculum sampler: the pool of each stage, the share of hard examples, and the stage counter."""

import math

import numpy as np
import pytest

from tinygrad_ch8.data import DataLoader
from tinygrad_ch8.strategies import CurriculumSampler, linear_pacing

N = 1000
DIFFICULTY = (
    np.random.default_rng(0).permutation(N).astype(float)
)  # example i has rank DIFFICULTY[i]


def share_of_data_in_the_pool(stage, n_stages=5, start=0.2):
    return start + (1 - start) * stage / (n_stages - 1)


def test_linear_pacing_goes_from_the_start_share_to_everything():
    pacing = linear_pacing(0.2, 5)
    np.testing.assert_allclose([pacing(s) for s in range(7)], [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("schedule", ["easy_first", "anti"])
def test_each_stage_draws_only_from_its_pool_and_covers_it_evenly(schedule):
    sampler = CurriculumSampler(
        DIFFICULTY, schedule=schedule, n_stages=5, start_fraction=0.2, rng=0
    )
    for stage in range(5):
        indices = sampler.stage_indices(stage)
        pool_size = math.ceil(share_of_data_in_the_pool(stage) * N)
        ranks = DIFFICULTY[indices]
        if schedule == "easy_first":
            assert ranks.max() < pool_size  # only the pool_size easiest examples
        else:
            assert ranks.min() >= N - pool_size  # only the pool_size hardest
        counts = np.bincount(indices, minlength=N)[sampler.pool(stage)]
        assert (
            counts.max() - counts.min() <= 1
        )  # shuffled passes: everyone once before anyone twice
        assert len(indices) == N


def test_the_stochastic_curriculum_mixes_hard_examples_into_every_stage():
    mix, epoch = 0.2, 20_000
    sampler = CurriculumSampler(
        DIFFICULTY,
        schedule="stochastic",
        n_stages=5,
        start_fraction=0.2,
        mix=mix,
        epoch_size=epoch,
        rng=0,
    )
    for stage in range(4):
        outside = share_of_data_in_the_pool(stage)
        ranks = DIFFICULTY[sampler.stage_indices(stage)]
        hard_share = (ranks >= math.ceil(outside * N)).mean()
        expected = mix * (
            1 - outside
        )  # a mixed draw is uniform, so it lands outside the pool this often
        assert hard_share > 0
        assert abs(hard_share - expected) < 5 * math.sqrt(expected * (1 - expected) / epoch)


def test_uniform_is_a_permutation_every_stage():
    sampler = CurriculumSampler(DIFFICULTY, schedule="uniform", rng=0)
    for stage in range(3):
        assert sorted(sampler.stage_indices(stage)) == list(range(N))


def test_iterating_advances_the_stage_and_stops_at_the_last():
    sampler = CurriculumSampler(
        DIFFICULTY, schedule="easy_first", n_stages=3, start_fraction=0.5, rng=0
    )
    largest_rank_seen = []
    for _ in range(4):
        largest_rank_seen.append(DIFFICULTY[list(sampler)].max())
    assert largest_rank_seen[0] < N / 2 <= largest_rank_seen[1] < largest_rank_seen[2] == N - 1
    assert sampler.stage == 2 and largest_rank_seen[3] == N - 1
    assert len(sampler) == N


def test_with_the_data_loader_each_epoch_is_the_next_stage():
    X = np.arange(N, dtype=float)[:, None]
    sampler = CurriculumSampler(
        DIFFICULTY, schedule="easy_first", n_stages=4, start_fraction=0.25, rng=0
    )
    loader = DataLoader(X, np.zeros(N, dtype=np.int64), batch_size=100, sampler=sampler)
    for epoch in range(5):
        rows = np.concatenate([inputs.numpy()[:, 0] for inputs, _ in loader]).astype(int)
        pool_size = math.ceil(min(0.25 + 0.25 * epoch, 1.0) * N)
        assert len(rows) == N and DIFFICULTY[rows].max() == pool_size - 1


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="schedule"):
        CurriculumSampler(DIFFICULTY, schedule="hardest")
    with pytest.raises(ValueError, match="mix"):
        CurriculumSampler(DIFFICULTY, mix=1.5)
    with pytest.raises(ValueError, match="share"):
        CurriculumSampler(DIFFICULTY, pacing=lambda stage: 0.0).stage_indices(0)
