"""Engine tests: the Tensor itself (tinygrad_ch8/tensor.py): construction and copying, dtype rules,
reflected operators, comparisons, conversions, and the errors that bad input gets."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ch8 as tg


# ---------------------------------------------------------------- construction and copying
def test_a_tensor_copies_the_array_it_is_given(device):
    source = np.array([1.0, 2.0, 3.0])
    x = tg.Tensor(source, device=device)
    source[0] = 100.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    y = tg.Tensor(x)
    y.data[1] = -5.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])


def test_from_array_wraps_without_copying():
    source = np.array([1.0, 2.0])
    x = tg.Tensor.from_array(source)
    assert x.data is source and x.grad is None and x.grad_fn is None and not x.requires_grad


def test_ops_and_backward_do_not_write_their_inputs():
    a_source, b_source = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.25, -1.5])
    a, b = tg.Tensor(a_source, requires_grad=True), tg.Tensor(b_source, requires_grad=True)
    y = ((a * b + b).exp() @ b).sum() + a[[0, 0, 1]].sum() + tg.where(a_source > 0, a, b).max()
    y.backward()
    np.testing.assert_array_equal(a.numpy(), a_source)
    np.testing.assert_array_equal(b.numpy(), b_source)
    np.testing.assert_array_equal(a_source, [[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_array_equal(b_source, [0.25, -1.5])


def test_changing_dot_grad_in_place_leaves_the_callers_gradient_alone():
    """An optimizer that updates .grad in place (clipping, weight decay) must not reach back into
    the array the caller handed to backward()."""
    seed = np.array([1.0, 2.0, 3.0])
    x = tg.Tensor(np.zeros(3), requires_grad=True)
    (x + 1.0).backward(seed)
    x.grad.data *= 10
    np.testing.assert_array_equal(seed, [1.0, 2.0, 3.0])


def test_leaves_sharing_one_gradient_get_separate_arrays():
    a, b = tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 99.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_properties_and_conversions(device):
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), device=device)
    assert (x.shape, x.ndim, x.numel(), len(x), x.device) == ((2, 3), 2, 6, 2, device)
    assert (x.size(), x.size(1), x.size(-2), x.dim()) == ((2, 3), 3, 2, 2)
    assert isinstance(x.numpy(), np.ndarray)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.sum().item() == 15.0
    with pytest.raises(ValueError, match=r"item\(\).*\(2, 3\)"):
        x.item()
    assert x.to(device) is x
    assert x.astype(x.dtype) is x
    assert "Tensor(" in repr(x)


def test_requires_grad_on_an_integer_array_is_a_type_error():
    with pytest.raises(TypeError, match=r"requires_grad.*int64"):
        tg.Tensor(np.arange(3), requires_grad=True)
    labels = tg.Tensor([0, 2, 1])
    assert labels.dtype.kind == "i"
    with pytest.raises(TypeError, match="requires_grad"):
        labels.requires_grad_()


# ---------------------------------------------------------------- dtype rules
def test_lists_get_the_default_dtype_and_arrays_keep_theirs():
    assert tg.Tensor([1.0, 2.0]).dtype == np.float32
    assert tg.Tensor(1.5).dtype == np.float32
    assert tg.Tensor([1, 2]).dtype.kind == "i"
    assert tg.Tensor(np.ones(2)).dtype == np.float64
    assert tg.Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert tg.Tensor([1.0], dtype="float64").dtype == np.float64


def test_numpy_scalar_keeps_its_dtype():
    assert tg.Tensor(np.float64(1.0)).dtype == np.float64
    assert tg.Tensor(np.float32(1.0)).dtype == np.float32


def test_set_default_dtype_changes_lists_and_creation_functions():
    tg.set_default_dtype("float64")
    assert tg.get_default_dtype() == np.float64
    assert tg.Tensor([1.0]).dtype == np.float64
    assert tg.zeros(2).dtype == tg.ones(2, 3).dtype == tg.randn(2).dtype == np.float64
    tg.set_default_dtype(np.float32)
    assert tg.Tensor([1.0]).dtype == np.float32
    with pytest.raises(TypeError, match=r"float32 or float64.*int32"):
        tg.set_default_dtype("int32")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_take_the_tensors_dtype(dtype):
    x = tg.Tensor(np.array([1.0, 2.0], dtype=dtype))
    for y in [x + 1.5, 1.5 + x, x - 2, 2 - x, x * 0.1, 0.1 * x, x / 3.0, 3.0 / x, x**2, -x]:
        assert y.dtype == dtype
    np.testing.assert_array_equal((x / 3.0).numpy(), np.array([1.0, 2.0], dtype=dtype) / 3.0)


@pytest.mark.parametrize("operator", ["add", "sub", "mul", "div", "matmul"])
def test_float32_meets_float64_like_numpy(operator):
    apply = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "matmul": lambda a, b: a @ b,
    }[operator]
    single = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    double = np.array([[0.5, 4.0], [1.0, 2.0]])
    a = tg.Tensor(single, requires_grad=True)
    b = tg.Tensor(double, requires_grad=True)
    y = apply(a, b)
    assert y.dtype == apply(single, double).dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_numpy_scalars_in_ops_follow_numpy():
    x32 = tg.Tensor(np.ones(2, dtype=np.float32))
    assert (x32 + np.float64(2.0)).dtype == (np.ones(2, np.float32) + np.float64(2.0)).dtype
    assert (x32 * np.float32(2.0)).dtype == np.float32


# ---------------------------------------------------------------- reflected operators and comparisons
def test_numpy_arrays_on_the_left_give_tensors():
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    other = np.array([3.0, 5.0])
    results = [other + x, other - x, other * x, other / x, np.eye(2) @ x]
    assert all(isinstance(r, tg.Tensor) for r in results)
    np.testing.assert_allclose(results[1].numpy(), [2.0, 3.0])
    np.testing.assert_allclose(results[3].numpy(), [3.0, 2.5])
    sum(r.sum() for r in results).backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - 1 + other - other / x.numpy() ** 2 + 1)


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask, expected in [
        (x < 2, [1, 0, 0]),
        (x <= 2, [1, 1, 0]),
        (x > 2, [0, 0, 1]),
        (x >= 2, [0, 1, 1]),
    ]:
        assert mask.dtype == bool and mask.grad_fn is None and not mask.requires_grad
        np.testing.assert_array_equal(mask.numpy(), np.array(expected, dtype=bool))


def test_argmax_gives_integer_indices():
    x = tg.Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [1, 0])
    assert x.argmax(axis=1).grad_fn is None


# ---------------------------------------------------------------- bad input
def test_matmul_shape_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\).*\(3\).*\(4\)"):
        tg.Tensor(np.ones((2, 3))) @ tg.Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul.*\(3,\).*\(2, 2\)"):
        tg.Tensor(np.ones(3)) @ tg.Tensor(np.ones((2, 2)))


def test_batched_matmul_with_batch_axes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"(?i)matmul.*\(2, 2, 3\).*\(3, 3, 5\)"):
        tg.Tensor(np.ones((2, 2, 3))) @ tg.Tensor(np.ones((3, 3, 5)))


@pytest.mark.parametrize(
    "op_name, apply",
    [
        ("Add", lambda a, b: a + b),
        ("Mul", lambda a, b: a * b),
        ("Div", lambda a, b: a / b),
    ],
)
def test_broadcasting_mismatch_names_the_op_and_the_shapes(op_name, apply):
    with pytest.raises(ValueError, match=rf"{op_name}.*\(2, 3\).*\(4,\).*broadcast"):
        apply(tg.Tensor(np.ones((2, 3))), tg.Tensor(np.ones(4)))


def test_shape_errors_of_shape_methods():
    x = tg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"broadcast_to.*\(2, 3\).*\(4, 3\)"):
        x.broadcast_to((4, 3))
    with pytest.raises(ValueError, match=r"permute.*\(0, 0\).*\(2, 3\)"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"sum: axis 2.*2 dimensions"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"max: axis \(0, 5\)"):
        x.max(axis=(0, 5))


def test_pow_needs_a_number_exponent():
    with pytest.raises(TypeError, match=r"pow.*Tensor"):
        tg.Tensor([1.0]) ** tg.Tensor([2.0])


def test_combining_with_an_unsupported_type_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        tg.Tensor([1.0]) + "a"


def test_mixing_devices_names_both_devices(cuda):
    with pytest.raises(ValueError, match=r"Add.*cpu.*cuda.*\.to\("):
        tg.Tensor([1.0], device="cpu") + tg.Tensor([1.0], device=cuda)
