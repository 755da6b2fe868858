"""Learning-rate schedules: ε_k against each schedule's formula, per group, and through a checkpoint."""

import math

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim
from tinygrad_ch8.optim import lr_scheduler


def sgd(lr=0.5, groups=1):
    params = [
        {"params": [tg.Tensor(np.ones(2), requires_grad=True)], "lr": lr * (i + 1)}
        for i in range(groups)
    ]
    return optim.SGD(params, lr=lr)


def rates(schedule, steps):
    """ε_0, ε_1, ..., ε_steps of the first group, as the optimizer sees them."""
    seen = [schedule.optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        schedule.step()
        seen.append(schedule.optimizer.param_groups[0]["lr"])
    return seen


def test_linear_decay_is_the_books_schedule():
    eps0, eps_tau, tau = 0.5, 0.005, 4
    seen = rates(lr_scheduler.LinearDecay(sgd(eps0), tau=tau, final_lr=eps_tau), 7)
    expected = [(1 - k / tau) * eps0 + (k / tau) * eps_tau for k in range(tau + 1)] + [eps_tau] * 3
    assert seen == pytest.approx(expected, rel=1e-15)
    assert seen[2] == pytest.approx((eps0 + eps_tau) / 2)


def test_linear_decay_per_group_final_rates():
    optimizer = sgd(0.5, groups=2)
    schedule = lr_scheduler.LinearDecay(optimizer, tau=2, final_lr=[0.1, 0.2])
    schedule.step()
    assert schedule.get_last_lr() == pytest.approx([0.3, 0.6])
    schedule.step()
    schedule.step()
    assert schedule.get_last_lr() == pytest.approx([0.1, 0.2])


def test_step_lr():
    seen = rates(lr_scheduler.StepLR(sgd(0.5), step_size=3, gamma=0.1), 7)
    assert seen == pytest.approx([0.5] * 3 + [0.05] * 3 + [0.005] * 2, rel=1e-15)


def test_exponential_lr_on_every_group():
    optimizer = sgd(0.5, groups=2)
    schedule = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for _ in range(5):
        schedule.step()
    assert schedule.get_last_lr() == pytest.approx([0.5 * 0.9**5, 1.0 * 0.9**5], rel=1e-15)


def test_cosine_annealing_goes_down_half_a_cosine_and_stays():
    eps0, eta_min, t_max = 0.5, 0.01, 8
    seen = rates(lr_scheduler.CosineAnnealing(sgd(eps0), T_max=t_max, eta_min=eta_min), 10)
    expected = [
        eta_min + (eps0 - eta_min) * (1 + math.cos(math.pi * k / t_max)) / 2
        for k in range(t_max + 1)
    ]
    assert seen[: t_max + 1] == pytest.approx(expected, rel=1e-14)
    assert seen[t_max // 2] == pytest.approx((eps0 + eta_min) / 2)
    assert seen[t_max:] == pytest.approx([eta_min] * 3)


def test_the_optimizer_steps_with_the_decayed_rate():
    """Algorithm 8.1 with ε_k: θ_{k+1} = θ_k − ε_k g on f = θ²/2 (g = θ), so θ shrinks by (1 − ε_k)."""
    theta = tg.Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([theta], lr=0.4)
    schedule = lr_scheduler.LinearDecay(optimizer, tau=2, final_lr=0.0)
    expected = 1.0
    for eps_k in (0.4, 0.2, 0.0, 0.0):
        optimizer.zero_grad()
        (0.5 * theta * theta).sum().backward()
        optimizer.step()
        schedule.step()
        expected *= 1 - eps_k
        assert theta.item() == pytest.approx(expected, rel=1e-15)


def test_state_dict_resumes_the_schedule():
    schedule = lr_scheduler.CosineAnnealingLR(sgd(0.5), T_max=10)
    for _ in range(3):
        schedule.step()
    saved = schedule.state_dict()
    assert "optimizer" not in saved
    fresh = lr_scheduler.CosineAnnealingLR(sgd(0.5), T_max=99)
    fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == schedule.get_last_lr()
    schedule.step()
    fresh.step()
    assert fresh.get_last_lr() == schedule.get_last_lr()


@pytest.mark.parametrize(
    "make, named",
    [
        (lambda o: lr_scheduler.LinearDecay(o, tau=0, final_lr=0.1), "tau"),
        (lambda o: lr_scheduler.LinearDecay(o, tau=5, final_lr=-0.1), "final_lr"),
        (lambda o: lr_scheduler.LinearDecay(o, tau=5, final_lr=[0.1, 0.2]), "groups"),
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), "gamma"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
    ],
)
def test_bad_schedule_settings_raise(make, named):
    with pytest.raises(ValueError, match=named):
        make(sgd())
