"""FitNets: the hint and distillation losses against hand formulas; what each stage may change."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.strategies import distillation_loss, hint_loss, train_fitnet, train_hints


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_hint_loss_is_half_the_squared_distance_averaged_over_the_batch():
    rng = np.random.default_rng(0)
    u, r = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    assert hint_loss(tg.Tensor(u), tg.Tensor(r)).item() == pytest.approx(
        0.5 * ((u - r) ** 2).sum() / 5
    )


@pytest.mark.parametrize("temperature, soft_weight", [(1.0, 1.0), (4.0, 0.5), (2.0, 0.0)])
def test_distillation_loss_matches_the_formula_and_ignores_the_teacher_gradient(
    temperature, soft_weight
):
    rng = np.random.default_rng(1)
    z_s, z_t, labels = (
        rng.standard_normal((6, 4)),
        3 * rng.standard_normal((6, 4)),
        rng.integers(0, 4, 6),
    )
    hard = -log_softmax(z_s)[np.arange(6), labels].mean()
    p_t = np.exp(log_softmax(z_t / temperature))
    soft = -(p_t * log_softmax(z_s / temperature)).sum(axis=1).mean()
    student, teacher = tg.Tensor(z_s, requires_grad=True), tg.Tensor(z_t, requires_grad=True)
    loss = distillation_loss(student, teacher, labels, temperature, soft_weight)
    assert loss.item() == pytest.approx(hard + soft_weight * temperature**2 * soft, rel=1e-10)
    g_student, g_teacher = tg.grad(loss, [student, teacher], allow_unused=True)
    assert g_teacher is None  # the teacher's outputs are targets, not something to move
    # d/dz_S: (softmax(z_S) − onehot(y))/N + λ τ (softmax(z_S/τ) − p_T)/N
    onehot = np.eye(4)[labels]
    expected = (np.exp(log_softmax(z_s)) - onehot) / 6 + soft_weight * temperature * (
        np.exp(log_softmax(z_s / temperature)) - p_t
    ) / 6
    np.testing.assert_allclose(g_student.numpy(), expected, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(student, teacher, labels, temperature=0.0)


def models():
    tg.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    student = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3))
    return teacher, student, nn.Linear(3, 16)


def snapshot(module):
    return [p.numpy().copy() for p in module.parameters()]


def unchanged(before, module):
    return [np.array_equal(a, p.numpy()) for a, p in zip(before, module.parameters(), strict=True)]


def test_the_hint_stage_moves_only_the_students_lower_layers_and_the_regressor():
    X, y, _ = tg.data.gaussian_blobs(120, n_classes=3, n_features=4, rng=0)
    teacher, student, regressor = models()
    teacher.eval()
    teacher_before, student_before = snapshot(teacher), snapshot(student)
    regressor_before = snapshot(regressor)
    losses = train_hints(
        teacher,
        student,
        regressor,
        X,
        hint_layer=2,
        guided_layer=2,
        epochs=5,
        make_optimizer=lambda p: optim.Adam(p, lr=1e-2),
        batch_size=16,
        rng=0,
    )
    assert all(unchanged(teacher_before, teacher))
    # student.parameters(): layers.0 weight, bias (guided: moved), layers.2 and layers.4 (above: untouched)
    assert unchanged(student_before, student) == [False, False, True, True, True, True]
    assert not any(unchanged(regressor_before, regressor))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert not teacher.training and student.training


def test_train_fitnet_keeps_the_teacher_in_eval_mode_and_unchanged_while_the_whole_student_trains():
    X, y, _ = tg.data.gaussian_blobs(120, n_classes=3, n_features=4, rng=0)
    teacher, student, regressor = models()
    teacher_modes = []
    teacher.register_forward_hook(
        lambda module, inputs, output: teacher_modes.append(module.training)
    )
    teacher_before, student_before = snapshot(teacher), snapshot(student)
    result = train_fitnet(
        teacher,
        student,
        regressor,
        X,
        y,
        hint_layer=2,
        guided_layer=2,
        make_optimizer=lambda p: optim.Adam(p, lr=1e-2),
        hint_epochs=2,
        distillation_epochs=2,
        batch_size=16,
        rng=0,
    )
    assert teacher_modes and not any(teacher_modes)
    assert all(unchanged(teacher_before, teacher)) and not any(unchanged(student_before, student))
    assert len(result.hint_losses) == len(result.distillation_losses) == 2 * 8
