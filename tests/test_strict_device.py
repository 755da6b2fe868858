"""Tests of the test double tests/strict_device.py (it raises where CuPy raises), and the pinned
number of device-to-host copies of one training step and of one L-BFGS iteration."""

from __future__ import annotations

import numpy as np
import pytest
import strict_device as cp

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend, nn, optim
from tinygrad_ch8.training import train_classifier

HOST_ARRAY = r"Unsupported type <class 'numpy.ndarray'>"


# ---------------------------------------------------------------- it raises where CuPy raises
@pytest.mark.parametrize(
    "mix",
    [
        lambda d, h: d + h,
        lambda d, h: h + d,
        lambda d, h: d * h,
        lambda d, h: h @ d,
        lambda d, h: d < h,
        lambda d, h: cp.maximum(d, h),
        lambda d, h: cp.where(d > 0, h, d),
        lambda d, h: cp.concatenate([d, h]),
        lambda d, h: cp.dot(h, d),
        lambda d, h: np.maximum(d, h),  # a NumPy ufunc dispatches to the stand-in, which refuses
    ],
)
def test_mixing_a_device_array_with_a_host_array_raises(mix):
    with pytest.raises(TypeError, match=HOST_ARRAY):
        mix(cp.asarray(np.ones(3)), np.ones(3))


def test_a_zero_dimensional_host_array_is_refused_too():
    with pytest.raises(TypeError, match=HOST_ARRAY):
        cp.asarray(np.ones(3)) * np.asarray(2.0)


def test_python_and_numpy_scalars_mix_and_the_result_stays_on_the_device():
    x = cp.asarray(np.arange(3.0, dtype=np.float32))
    for result in [x + 1, 2.5 * x, x * np.float32(2), cp.maximum(x, 0), x**2]:
        assert isinstance(result, cp.ndarray)
    assert (x * np.float32(2)).dtype == np.float32


def test_a_list_of_numbers_is_host_data_too():
    x = cp.asarray(np.ones(2))
    for mix in [lambda: x + [1.0, 2.0], lambda: cp.where(x > 0, [1.0, 2.0], x)]:
        with pytest.raises(TypeError, match="list"):
            mix()
    assert cp.asarray([1.0, 2.0]).shape == x.reshape([2]).shape == (2,)  # data to upload; a shape


@pytest.mark.parametrize(
    "convert",
    [np.asarray, np.array, lambda x: np.asarray([x, x])],
)
def test_implicit_conversion_to_the_host_raises(convert):
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        convert(cp.asarray(np.ones(3)))


def test_a_numpy_function_the_stand_in_lacks_raises():
    with pytest.raises(TypeError):
        np.histogram(cp.asarray(np.ones(3)))


def test_setting_items_from_a_host_array_raises():
    x = cp.zeros(3)
    with pytest.raises(TypeError, match=HOST_ARRAY):
        x[:2] = np.ones(2)
    x[np.array([0, 2])] = 5.0  # a host index is uploaded, as CuPy does
    np.testing.assert_array_equal(cp.asnumpy(x), [5.0, 0.0, 5.0])


def test_reductions_and_integer_indexing_give_zero_dimensional_device_arrays():
    x = cp.asarray(np.arange(4.0))
    for result in [x.sum(), x.max(), x[1], cp.linalg.norm(x), x @ x]:
        assert isinstance(result, cp.ndarray) and result.shape == ()


def test_scatter_add_accumulates_repeated_indices():
    target = cp.zeros(3)
    cp.cupyx.scatter_add(target, cp.asarray(np.array([0, 0, 2])), cp.asarray(np.ones(3)))
    np.testing.assert_array_equal(cp.asnumpy(target), [2.0, 0.0, 1.0])


def test_cholesky_fails_silently_unless_errors_are_switched_on(transfers):
    indefinite = cp.asarray(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert isinstance(cp.linalg.cholesky(indefinite), cp.ndarray)  # CuPy's default: no error
    with pytest.raises(np.linalg.LinAlgError), cp.cupyx.errstate(linalg="raise"):
        cp.linalg.cholesky(indefinite)
    with pytest.raises(np.linalg.LinAlgError):
        backend.cholesky(indefinite)  # switches the errors on: the status is read back
    assert transfers.to_host == 2


# ---------------------------------------------------------------- the copies are counted
def test_explicit_moves_and_scalar_reads_are_counted(transfers):
    host = np.arange(4.0)
    x = cp.asarray(host)  # host to device: not a device-to-host copy
    y = (x * 2 + 1).sum()
    assert transfers.to_host == 0
    np.testing.assert_array_equal(cp.asnumpy(x), host)
    assert float(y) == 16.0 and y.item() == 16.0 and bool(y) and int(y) == 16
    assert x[x > 1].shape == (2,)  # a boolean mask reads its number of True entries back
    assert transfers.to_host == 6


def batches_of(n_batches, rng):
    X = tg.Tensor(rng.standard_normal((16 * n_batches, 8)), dtype="float32", device="cuda")
    y = tg.Tensor(rng.integers(0, 3, 16 * n_batches), device="cuda")
    return [(X[16 * i : 16 * (i + 1)], y[16 * i : 16 * (i + 1)]) for i in range(n_batches)]


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
        lambda p: optim.Adam(p, lr=1e-3),
        lambda p: optim.RMSprop(p, lr=1e-3, momentum=0.5),
        lambda p: optim.Adagrad(p, lr=0.1),
    ],
)
def test_a_training_step_copies_two_scalars_to_the_host(transfers, make_optimizer):
    """Per step: the loss (divergence check, history, progress bar) and cross_entropy's check of
    the labels' range; per epoch: the count of correct predictions."""
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).to("cuda")
    optimizer = make_optimizer(model.parameters())
    batches = batches_of(3, np.random.default_rng(0))
    transfers.reset()
    history = train_classifier(model, optimizer, batches, epochs=2)
    assert len(history.step_loss) == 6
    assert transfers.to_host == 6 * 2 + 2 * 1


def test_an_lbfgs_iteration_copies_what_its_line_search_needs(transfers):
    """2 for the first evaluation (the value and whether the gradient is finite); 3 per further
    evaluation (the same two and the slope φ'(α)); 5 per iteration (max |g| for convergence, the
    curvature yᵀs for the update (the first: Σ|g| for the first step length), φ'(0), max |d| for
    the line search's tolerance, the step's size): none grows with the history size."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 6))
    A = tg.Tensor(A @ A.T + 6 * np.eye(6), device="cuda")
    iterations = set()
    for max_iter in [1, 3, 6]:
        x = tg.Tensor(np.ones(6), device="cuda", requires_grad=True)
        optimizer = optim.LBFGS(
            [x], max_iter=max_iter, history_size=3, tolerance_grad=1e-30, tolerance_change=1e-30
        )
        transfers.reset()
        optimizer.step(lambda x=x: 0.5 * ((x @ A) * x).sum() + x.sum())
        state = optimizer.state[0]
        assert transfers.to_host == 2 + 3 * (state["nfev"] - 1) + 5 * state["n_iter"]
        iterations.add(state["n_iter"])
    assert len(iterations) == 3
