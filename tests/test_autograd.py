"""Engine tests: the backward pass, ``tg.grad``, Hessian-vector products, ``hessian``, ``gradcheck``
and anomaly detection (tinygrad_ch8/autograd.py and function.py)."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8.function import Function

EXAMPLES = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def leaf(array, device="cpu") -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=np.float64), requires_grad=True, device=device)


def central_difference_jacobian(gradient_of, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Column j is (∇f(x + ε e_j) − ∇f(x − ε e_j)) / 2ε: the Hessian from gradients, column by column."""
    columns = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        up = gradient_of(x + step.reshape(x.shape)).reshape(-1)
        down = gradient_of(x - step.reshape(x.shape)).reshape(-1)
        columns.append((up - down) / (2 * eps))
    return np.stack(columns, axis=1)


# ---------------------------------------------------------------- Hessian-vector products
@EXAMPLES
@given(n=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_hvp_of_a_quadratic_form_is_the_symmetrized_matrix_times_v(device, n, seed):
    """f(x) = ½ xᵀAx + bᵀx has H = (A + Aᵀ)/2 everywhere, so Hv is exact for a non-symmetric A."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    b, x, v = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    matrix, offset = tg.Tensor(a, device=device), tg.Tensor(b, device=device)

    def quadratic(x):
        return 0.5 * (x * (matrix @ x)).sum() + (offset * x).sum()

    value, product = tg.autograd.hvp(
        quadratic, tg.Tensor(x, device=device), tg.Tensor(v, device=device)
    )
    np.testing.assert_allclose(value.item(), 0.5 * x @ a @ x + b @ x, rtol=1e-12, atol=1e-12)
    assert not value.requires_grad
    np.testing.assert_allclose(product.numpy(), (a + a.T) / 2 @ v, rtol=1e-12, atol=1e-12)
    assert product.device == device


MLP_SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}


def mlp_problem(rng, device):
    """A tanh MLP with a cross-entropy loss: smooth, so its Hessian is well defined everywhere."""
    inputs = tg.Tensor(rng.standard_normal((5, 3)), device=device)
    labels = rng.integers(0, 2, size=5)

    def loss(w1, b1, w2, b2):
        return F.cross_entropy((inputs @ w1 + b1).tanh() @ w2 + b2, labels)

    parameters = [rng.standard_normal(shape) for shape in MLP_SHAPES.values()]
    return loss, parameters


def split(flat: np.ndarray) -> list:
    pieces, start = [], 0
    for shape in MLP_SHAPES.values():
        size = int(np.prod(shape))
        pieces.append(flat[start : start + size].reshape(shape))
        start += size
    return pieces


def test_hvp_of_an_mlp_loss_matches_finite_differences_column_by_column(device):
    loss, parameters = mlp_problem(np.random.default_rng(1), device)
    flat = np.concatenate([p.reshape(-1) for p in parameters])

    def gradient_of(theta):
        xs = [leaf(p, device) for p in split(theta)]
        return np.concatenate([g.numpy().reshape(-1) for g in tg.grad(loss(*xs), xs)])

    numeric = central_difference_jacobian(gradient_of, flat)
    columns = []
    for j in range(flat.size):
        basis = np.zeros(flat.size)
        basis[j] = 1.0
        directions = [tg.Tensor(d, device=device) for d in split(basis)]
        _, product = tg.autograd.hvp(
            loss, [tg.Tensor(p, device=device) for p in parameters], directions
        )
        assert isinstance(product, tuple) and [p.shape for p in product] == list(
            MLP_SHAPES.values()
        )
        columns.append(np.concatenate([p.numpy().reshape(-1) for p in product]))
    exact = np.stack(columns, axis=1)
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(exact, exact.T, rtol=1e-12, atol=1e-14)
    hessian = tg.autograd.hessian(loss, [tg.Tensor(p, device=device) for p in parameters])
    np.testing.assert_allclose(tg.Tensor.from_array(hessian).numpy(), exact, rtol=1e-12, atol=1e-14)


def test_hvp_does_not_need_or_change_requires_grad_of_its_inputs():
    x = tg.Tensor([1.0, 2.0], dtype="float64")
    _, product = tg.autograd.hvp(lambda x: (x**3).sum(), x, np.array([1.0, 1.0]))
    np.testing.assert_allclose(product.numpy(), [6.0, 12.0])
    assert not x.requires_grad and x.grad is None


def test_hvp_of_a_linear_function_is_zero():
    _, product = tg.autograd.hvp(
        lambda x: (3.0 * x).sum(), tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, -1.0])
    )
    np.testing.assert_array_equal(product.numpy(), [0.0, 0.0])


def test_hvp_rejects_a_vector_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"hvp.*\(3,\).*\(2,\)"):
        tg.autograd.hvp(lambda x: (x * x).sum(), tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 2.0, 3.0]))


def test_hvp_skips_the_products_that_only_give_the_inputs_own_gradients(device, monkeypatch):
    """hvp's first pass leaves every product that would be a leaf's gradient (a weight's aᵀ gy,
    in each operand position, batched and broadcast too) uncomputed, and Hv stays bit for bit
    the double backward's, which computes them."""
    from tinygrad_ch8 import ops

    rng = np.random.default_rng(4)
    inputs = tg.Tensor(rng.standard_normal((2, 5, 3)), device=device)  # a batch of 2 blocks
    labels = rng.integers(0, 4, size=4)
    shapes = [(3, 6), (6,), (4, 5), (6, 4)]

    def loss(w1, b1, left, w2):
        h = F.affine(inputs, w1, b1).tanh()  # Affine, W broadcast over the blocks
        h = (left @ h).sum(axis=0)  # the leaf as the first operand of a batched product
        return F.cross_entropy(h @ w2, labels)  # and as the second of a plain one

    arrays = [rng.standard_normal(shape) for shape in shapes]
    vectors = [tg.Tensor(rng.standard_normal(shape), device=device) for shape in shapes]
    products = []
    real_forward = ops.MatMul.forward

    def counting_forward(self, a, b):
        products.append((a.shape, b.shape))
        return real_forward(self, a, b)

    monkeypatch.setattr(ops.MatMul, "forward", counting_forward)  # _GraphOnlyMatMul has its own
    xs = [leaf(a, device) for a in arrays]
    gradients = tg.grad(loss(*xs), xs, create_graph=True)
    expected = tg.grad(gradients, xs, grad_outputs=vectors)
    computed_by_double_backward = len(products)
    products.clear()
    _, hv = tg.autograd.hvp(loss, [tg.Tensor(a, device=device) for a in arrays], vectors)
    assert len(products) == computed_by_double_backward - 3  # w1, left and w2's own gradients
    for got, want in zip(hv, expected, strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    monkeypatch.setattr(ops.MatMul, "forward", real_forward)
    first = [tg.Tensor(a, requires_grad=True, device=device) for a in arrays]  # the switch is off
    for got, want in zip(tg.grad(loss(*first), first), gradients, strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_hessian_shape_rules_and_values():
    """One input of shape s gives shape s + s; several give one (n, n) matrix over all their elements."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3))

    def cubic(x):
        return (x**3).sum() + (x[0] * x[1]).sum()

    single = tg.autograd.hessian(cubic, x)
    assert single.shape == (2, 3, 2, 3)
    expected = np.diag(6 * x.reshape(-1))
    for j in range(3):  # the cross term x[0, j] * x[1, j]
        expected[j, 3 + j] = expected[3 + j, j] = 1.0
    np.testing.assert_allclose(single.reshape(6, 6), expected, rtol=1e-12)

    w, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    joint = tg.autograd.hessian(lambda w, b: ((w + b) ** 2).sum(), [w, b])
    assert joint.shape == (9, 9)
    numeric = central_difference_jacobian(
        lambda theta: np.concatenate(
            [
                2 * (theta[:6].reshape(2, 3) + theta[6:]).reshape(-1),
                (2 * (theta[:6].reshape(2, 3) + theta[6:])).sum(axis=0),
            ]
        ),
        np.concatenate([w.reshape(-1), b]),
    )
    np.testing.assert_allclose(joint, numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- the backward pass
def test_a_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = tg.Tensor([1.0], requires_grad=True, dtype="float64")
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.00001**100_000], rtol=1e-9)


def test_gradients_accumulate_over_two_backward_calls(device):
    x = leaf([1.0, -2.0, 3.0], device)
    (x * x).sum().backward()
    (3.0 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, -2.0, 3.0]) + 3.0)


def test_accumulation_adds_in_place_only_where_no_one_else_sees_the_old_gradient(device):
    """PyTorch's rule: .grad's array is reused when only its leaf refers to it; a gradient the
    user holds (the Tensor or its array) keeps its values, and under create_graph the sum is
    a new tensor in the graph."""
    x = leaf([1.0, -2.0, 3.0], device)
    (x * 2.0).sum().backward()
    first_array = id(x.grad.data)
    (x * 3.0).sum().backward()
    assert id(x.grad.data) == first_array  # added in place: nothing else held it
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0, 5.0])

    held = x.grad
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(held.numpy(), [5.0, 5.0, 5.0])  # the user's tensor is unchanged
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 6.0])
    assert x.grad is not held

    held_array = x.grad.data
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(tg.Tensor.from_array(held_array).numpy(), [6.0, 6.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0, 7.0])
    del held, held_array

    (x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad  # 7 + 2x, recorded: a second derivative can flow through it
    (g,) = tg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0, 2.0])


def test_two_leaves_never_share_a_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.ones(2)
    for _ in range(3):
        (a + b).backward(seed)
        assert a.grad.data is not b.grad.data and a.grad.data is not seed
    a.grad.data[0] = 100.0
    np.testing.assert_allclose(b.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(seed, [1.0, 1.0])


def test_a_shared_subexpression_gets_the_sum_of_its_uses():
    x = leaf([2.0])
    h = x * x
    (h * h + h).sum().backward()  # d/dx (x⁴ + x²) = 4x³ + 2x
    np.testing.assert_allclose(x.grad.numpy(), [4 * 8 + 4])


def test_no_grad_records_nothing_and_enable_grad_records_inside_it():
    x = leaf([1.0, 2.0])
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None and z.requires_grad
    w = x * 2
    assert w.grad_fn is not None


def test_no_grad_and_enable_grad_decorate_functions_as_in_pytorch():
    x = leaf([1.0, 2.0])

    @tg.no_grad()
    def scaled(t, depth):  # recursion: each call enters its own context
        inner = scaled(t, depth - 1) if depth else t
        assert not tg.autograd.is_grad_enabled()
        return inner * 2

    @tg.enable_grad()
    def recorded(t):
        return t * 2

    assert scaled(x, 3).grad_fn is None
    assert tg.autograd.is_grad_enabled()
    with tg.no_grad():
        assert recorded(x).grad_fn is not None
        assert not tg.autograd.is_grad_enabled()


def test_retain_graph_allows_a_second_pass():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_a_second_backward_through_a_released_graph_says_to_retain_it():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        tg.grad(y, x)


def test_only_ops_that_read_their_output_keep_a_reference_to_it():
    """Exp, tanh and σ keep a weak reference to their output; other ops keep none (one object
    fewer per node for the garbage collector), until a hook asks for the output's gradient."""
    x = leaf([0.5, -1.0])
    exponential, total = x.exp(), x + x
    assert exponential.grad_fn.output is exponential
    assert total.grad_fn.output is None
    total.retain_grad()
    assert total.grad_fn.output is total
    (exponential * total).sum().backward()
    np.testing.assert_allclose(total.grad.numpy(), np.exp([0.5, -1.0]))


def test_python_numbers_become_shared_read_only_constants():
    x = leaf([1.0, 2.0])
    first, second = (x * 3.0).grad_fn.inputs[1], (x * 3.0).grad_fn.inputs[1]
    assert first is second and not first.requires_grad
    with pytest.raises(ValueError, match="read-only"):
        first.data[...] = 4.0
    y = x + 1.0
    with tg.no_grad():
        y += 5.0  # changes y's own array, not the shared 1.0
    np.testing.assert_allclose((x + 1.0).numpy(), [2.0, 3.0])
    np.testing.assert_allclose(y.numpy(), [7.0, 8.0])
    labels = tg.Tensor(np.array([1, 2]))  # a float next to integers has the default dtype
    previous = tg.get_default_dtype()
    try:
        assert labels._lift(2.5).dtype == previous
        tg.set_default_dtype("float64" if previous == np.float32 else "float32")
        assert labels._lift(2.5).dtype == tg.get_default_dtype() != previous
    finally:
        tg.set_default_dtype(previous)


def test_saved_tensors_are_released_after_backward_and_kept_with_retain_graph():
    for retain, alive_after in [(False, False), (True, True)]:
        x = leaf(np.ones(3))
        hidden = x * 2
        reference = weakref.ref(hidden)
        out = hidden.exp().sum()
        del hidden
        assert reference() is not None  # the graph holds it for the backward pass
        out.backward(retain_graph=retain)
        assert (reference() is not None) == alive_after
        assert out.grad_fn.released != retain


def test_detach_shares_values_and_stops_the_gradient():
    x = leaf([3.0, -1.0])
    d = x.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.data, x.data)
    (x * x.detach()).sum().backward()  # d/dx (x · const) = const
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -1.0])


def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    gx, gy = tg.grad((x * y).sum(), [x, y])
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(gy.numpy(), [3.0])
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad


def test_grad_with_grad_outputs_gives_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    (gx,) = tg.grad(x * x, x, grad_outputs=tg.Tensor(np.array([1.0, 0.0, -1.0])))
    np.testing.assert_allclose(gx.numpy(), [2.0, 0.0, -6.0])


def test_grad_of_several_outputs_sums_their_gradients():
    x = leaf([1.0, 2.0])
    (gx,) = tg.grad([(x * x).sum(), (3.0 * x).sum()], [x])
    np.testing.assert_allclose(gx.numpy(), [2.0 + 3.0, 4.0 + 3.0])


def test_backward_fills_leaves_only():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    (hidden * hidden).sum().backward()
    assert hidden.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 8 * np.array([1.0, 2.0]))


def test_grad_needs_one_grad_output_per_output():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"2 outputs but 1 grad_outputs"):
        tg.grad([x * 2.0, x * 3.0], x, grad_outputs=[tg.Tensor(np.ones(2))])


def test_grad_of_an_unused_input_raises_unless_allow_unused():
    x, unused = leaf([1.0]), leaf(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(2, 2\)\).*allow_unused=True"):
        tg.grad((x * x).sum(), [x, unused])
    gx, gu = tg.grad((x * x).sum(), [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gu is None


def test_create_graph_makes_dot_grad_differentiable():
    x = leaf([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    np.testing.assert_allclose(first.numpy(), [3.0, 12.0])
    x.grad = None
    first.sum().backward()  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_third_derivative_through_nested_create_graph():
    x = leaf([2.0])
    (g1,) = tg.grad((x**4).sum(), x, create_graph=True)
    (g2,) = tg.grad(g1.sum(), x, create_graph=True)
    (g3,) = tg.grad(g2.sum(), x)
    np.testing.assert_allclose([g1.item(), g2.item(), g3.item()], [32.0, 48.0, 48.0])


def test_backward_of_a_non_scalar_takes_a_gradient_and_refuses_without_one():
    x = leaf(np.ones((2, 3)))
    y = x * 2
    with pytest.raises(RuntimeError, match=r"non-scalar.*\(2, 3\).*grad="):
        y.backward()
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_allclose(x.grad.numpy(), np.ones((2, 3)))


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_of_a_tensor_without_a_graph_says_so():
    with pytest.raises(RuntimeError, match="requires_grad"):
        tg.Tensor([1.0]).sum().backward()


# ---------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_op_whose_forward_gave_nan():
    x = leaf([-1.0, 2.0])
    with np.errstate(invalid="ignore"), tg.autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"forward of Log"):
            x.log()


def test_detect_anomaly_names_the_op_whose_backward_gave_inf():
    """sqrt(x) is finite at 0 but its derivative 1/(2√x) is not: the failure is in the backward pass."""
    x = leaf([0.0, 4.0])
    y = x.sqrt().sum()
    with np.errstate(divide="ignore"), tg.autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"backward of Pow"):
            y.backward()


def test_without_detect_anomaly_inf_gradients_pass_silently():
    x = leaf([0.0, 4.0])
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == pytest.approx(0.25)


def test_detect_anomaly_is_quiet_on_finite_values():
    x = leaf([1.0, 4.0])
    with tg.autograd.detect_anomaly():
        x.sqrt().log().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / (2 * np.array([1.0, 4.0])))
    assert not tg.autograd.is_anomaly_enabled()


# ---------------------------------------------------------------- gradcheck
class SquareWithWrongGradient(Function):
    """y = x²; its backward returns 2.01 x instead of 2x (a deliberate mistake for gradcheck to catch)."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return (gy * self.inputs[0] * 2.01,)


class SquareWithFirstOrderOnlyGradient(Function):
    """y = x²; gx = gy · 2x with x detached: right value, but its own derivative is lost."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return (gy * self.inputs[0].detach() * 2,)


def test_gradcheck_accepts_right_gradients_to_second_order():
    x = np.random.default_rng(3).uniform(0.5, 2.0, (2, 3))
    assert tg.autograd.gradcheck(lambda x: (x.log() * x).sum(axis=1), [x], order=2)
    assert tg.autograd.gradcheck(lambda a, b: a @ b, [x, np.ascontiguousarray(x.T)], order=2)


def test_gradcheck_accepts_non_contiguous_inputs():
    x = np.random.default_rng(4).uniform(0.5, 2.0, (2, 3))
    assert tg.autograd.gradcheck(lambda a, b: a @ b, [x, x.T])
    assert tg.autograd.gradcheck(lambda a: (a * a).sum(), [np.asfortranarray(x)])


def test_gradcheck_order_2_of_a_linear_function_passes():
    assert tg.autograd.gradcheck(lambda x: 2.0 * x + 1.0, [np.array([0.5, -1.0])], order=2)


def test_gradcheck_catches_a_wrong_first_derivative():
    x = np.array([0.5, -1.0, 2.0])
    assert not tg.autograd.gradcheck(lambda x: SquareWithWrongGradient()(x), [x])
    with pytest.raises(AssertionError, match="input 0"):
        tg.autograd.gradcheck(lambda x: SquareWithWrongGradient()(x), [x], raise_exception=True)


def test_gradcheck_order_2_catches_a_first_order_only_backward():
    x = np.array([0.5, -1.0, 2.0])
    assert tg.autograd.gradcheck(lambda x: SquareWithFirstOrderOnlyGradient()(x), [x], order=1)
    assert not tg.autograd.gradcheck(lambda x: SquareWithFirstOrderOnlyGradient()(x), [x], order=2)
