"""Engine tests: tinygrad_ch8.functional beyond the op table: numerical stability at extreme
inputs, hand-computed losses, the forms targets may take, and the errors of bad arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F


@pytest.fixture
def no_warnings():
    """Turn overflow, division by zero and invalid values into failures: stable code meets none.
    (Underflow to 0, as in exp(−2000), is the right answer and stays allowed.)"""
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_exact_and_finite_at_plus_minus_1000(device, dtype, no_warnings):
    x = tg.Tensor(
        np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]),
        requires_grad=True,
        dtype=dtype,
        device=device,
    )
    y = x.sigmoid()
    y.sum().backward()
    values, gradients = y.numpy(), x.grad.numpy()
    assert values[0] == 0.0 and values[-1] == 1.0 and values[2] == 0.5
    assert np.all(np.isfinite(gradients)) and gradients[0] == 0.0 and gradients[-1] == 0.0
    assert gradients[2] == 0.25
    assert y.dtype == x.grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_with_logits_of_1000_is_finite(device, dtype, no_warnings):
    """loss = mean_i (logsumexp(z_i) − z_i[y_i]); with z = (1000, −1000): −log p = 0 for the right
    class and 2000 for the wrong one; the gradient is (softmax(z) − onehot(y)) / N."""
    logits = tg.Tensor(
        np.array([[1000.0, -1000.0], [1000.0, -1000.0]]),
        requires_grad=True,
        dtype=dtype,
        device=device,
    )
    loss = F.cross_entropy(logits, np.array([0, 1]))
    loss.backward()
    assert loss.item() == 1000.0
    np.testing.assert_array_equal(logits.grad.numpy(), [[0.0, 0.0], [0.5, -0.5]])


def test_soft_cross_entropy_with_logits_of_1000_is_finite(device, no_warnings):
    logits = tg.Tensor(np.array([[1000.0, -1000.0]]), requires_grad=True, device=device)
    target = tg.Tensor(np.array([[0.25, 0.75]]), device=device)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    assert loss.item() == 0.75 * 2000.0
    np.testing.assert_array_equal(logits.grad.numpy(), [[0.75, -0.75]])


def test_softmax_and_log_softmax_at_extreme_logits(device, no_warnings):
    x = tg.Tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]), device=device)
    np.testing.assert_allclose(
        F.softmax(x).numpy(), [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15
    )
    np.testing.assert_allclose(F.log_softmax(x).numpy()[0], [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(F.logsumexp(x).numpy(), [1000.0, 5.0 + np.log(3.0)], rtol=1e-15)


def test_softmax_is_invariant_to_adding_a_constant_to_a_row():
    x = np.random.default_rng(0).standard_normal((3, 4))
    shifted = x + np.array([[10.0], [-7.0], [300.0]])
    np.testing.assert_allclose(
        F.softmax(tg.Tensor(shifted)).numpy(), F.softmax(tg.Tensor(x)).numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        F.softmax(tg.Tensor(x), axis=0).numpy().sum(axis=0), np.ones(4), rtol=1e-15
    )


def test_cross_entropy_by_hand():
    """Two samples, three classes: −(log softmax(z₀)[2] + log softmax(z₁)[0]) / 2."""
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = -(3.0 - np.log(np.exp(1.0) + np.exp(2.0) + np.exp(3.0)) + np.log(1 / 3)) / 2
    for target in ([2, 0], np.array([2, 0]), tg.Tensor([2, 0])):
        assert F.cross_entropy(tg.Tensor(z), target).item() == pytest.approx(expected, rel=1e-14)


def test_soft_cross_entropy_with_one_hot_targets_equals_the_index_form():
    z = np.random.default_rng(1).standard_normal((4, 3))
    labels = np.array([0, 2, 2, 1])
    one_hot = tg.Tensor(np.eye(3)[labels])
    assert F.cross_entropy(tg.Tensor(z), one_hot).item() == pytest.approx(
        F.cross_entropy(tg.Tensor(z), labels).item(), rel=1e-14
    )


def test_mse_loss_by_hand():
    prediction = tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    loss = F.mse_loss(prediction, np.array([[1.0, 0.0], [0.0, 4.0]]))
    assert loss.item() == (4.0 + 9.0) / 4
    loss.backward()
    np.testing.assert_array_equal(prediction.grad.numpy(), [[0.0, 1.0], [1.5, 0.0]])


def test_functional_aliases_match_the_methods():
    x = tg.Tensor(np.linspace(-2.0, 2.0, 7))
    np.testing.assert_array_equal(F.relu(x).numpy(), x.relu().numpy())
    np.testing.assert_array_equal(F.sigmoid(x).numpy(), x.sigmoid().numpy())
    np.testing.assert_array_equal(F.tanh(x).numpy(), x.tanh().numpy())


def test_stack_concatenate_and_where_values():
    a, b = tg.Tensor([[1.0, 2.0]]), tg.Tensor([[3.0, 4.0]])
    np.testing.assert_array_equal(tg.concatenate([a, b], axis=0).numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tg.concatenate([a, b], axis=-1).numpy(), [[1.0, 2.0, 3.0, 4.0]])
    assert tg.stack([a, b], axis=1).shape == (1, 2, 2)
    np.testing.assert_array_equal(tg.where(a > 1.5, a, b).numpy(), [[3.0, 2.0]])
    np.testing.assert_array_equal(tg.where(np.array([True, False]), a, 0.0).numpy(), [[1.0, 0.0]])


# ---------------------------------------------------------------- bad arguments
def test_cross_entropy_rejects_bad_targets():
    logits = tg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(N, C\).*\(3,\)"):
        F.cross_entropy(tg.Tensor(np.zeros(3)), [0])
    with pytest.raises(ValueError, match=r"cross_entropy.*\[0, 3\).*3"):
        F.cross_entropy(logits, [0, 3])
    with pytest.raises(ValueError, match=r"cross_entropy.*\(2,\).*\(3,\)"):
        F.cross_entropy(logits, [0, 1, 2])
    with pytest.raises(ValueError, match=r"cross_entropy.*\(2, 3\).*\(2, 2\)"):
        F.cross_entropy(logits, tg.Tensor(np.full((2, 2), 0.5)))


def test_mse_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"mse_loss.*\(2, 3\).*\(3,\)"):
        F.mse_loss(tg.Tensor(np.zeros((2, 3))), tg.Tensor(np.zeros(3)))


def test_concatenate_and_stack_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"concatenate.*\(2, 3\).*\(2, 4\).*axis 0"):
        tg.concatenate([tg.Tensor(np.zeros((2, 3))), tg.Tensor(np.zeros((2, 4)))], axis=0)
    with pytest.raises(ValueError, match=r"concatenate: axis 2"):
        tg.concatenate([tg.Tensor(np.zeros((2, 3)))], axis=2)
    with pytest.raises(ValueError, match=r"stack.*\(2,\).*\(3,\)"):
        tg.stack([tg.Tensor(np.zeros(2)), tg.Tensor(np.zeros(3))])
    with pytest.raises(ValueError, match="at least one"):
        tg.stack([])


def test_where_rejects_a_condition_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"Where.*\(3,\).*broadcast"):
        tg.where(np.array([True, False]), tg.Tensor(np.zeros(3)), tg.Tensor(np.ones(3)))
