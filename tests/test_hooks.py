"""Hooks in PyTorch's names: ``Tensor.retain_grad``, ``Tensor.register_hook`` and
``Module.register_forward_hook``, each against a gradient worked out by hand."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn


def leaf(values):
    return tg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_retain_grad_keeps_a_non_leaf_gradient_and_adds_it_up_over_passes():
    x = leaf([1.0, -2.0])
    h = x * 3.0  # a non-leaf: without retain_grad its .grad stays None
    h.retain_grad()
    untouched = x * 2.0
    loss = (h * h).sum()  # dL/dh = 2h = 6x
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), [6.0, -12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, -36.0])  # dL/dx = 3 · 6x
    assert untouched.grad is None
    loss.backward()
    np.testing.assert_allclose(h.grad.numpy(), [12.0, -24.0])


def test_retain_grad_on_a_tensor_without_gradient_raises():
    with pytest.raises(RuntimeError, match="retain_grad"):
        tg.Tensor([1.0]).retain_grad()
    with pytest.raises(RuntimeError, match="register_hook"):
        tg.Tensor([1.0]).register_hook(print)


def test_a_retained_gradient_is_not_shared_with_a_leaf():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    total = x + y  # Add hands the same gradient array to both inputs and to `total`
    total.retain_grad()
    total.sum().backward()
    total.grad.data[...] = 0
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])


def test_hook_sees_the_total_gradient_once_and_its_replacement_flows_on():
    x = leaf([1.0, 2.0])
    h = x * x
    calls = []
    h.register_hook(lambda g: calls.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 10.0)  # the second hook replaces the gradient
    h.retain_grad()
    loss = (h * 2.0).sum() + (h * 3.0).sum()  # h used twice: dL/dh = 5
    loss.backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [5.0, 5.0])
    np.testing.assert_allclose(h.grad.numpy(), [50.0, 50.0])  # .grad holds the gradient after hooks
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 200.0])  # 50 · 2x


def test_a_hook_changing_the_shape_is_refused():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: g.sum())
    with pytest.raises(ValueError, match=r"register_hook: .* shape \(\) .* shape \(2,\)"):
        h.sum().backward()


def test_leaf_hook_sees_this_pass_before_it_is_added_into_grad():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2.0)
    (x * x + x).sum().backward()  # two contributions, 2x and 1: the hook sees their sum
    np.testing.assert_allclose(seen[0], [3.0, 5.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 10.0])
    handle.remove()
    (x * 1.0).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 11.0])


def test_hooks_also_run_in_autograd_grad_but_grad_leaves_retained_grads_alone():
    x = leaf([1.0, 2.0])
    h = x * x
    h.retain_grad()
    h.register_hook(lambda g: g * 0.5)
    x.register_hook(lambda g: g + 1.0)
    (gx,) = tg.grad(h.sum(), x)
    np.testing.assert_allclose(gx.numpy(), [2.0, 3.0])  # 0.5 · 2x, then + 1
    assert h.grad is None and x.grad is None


def test_hooks_run_with_create_graph_so_the_replacement_is_differentiated():
    x = leaf([3.0])
    h = x * x
    h.register_hook(lambda g: g * x)  # dL/dx becomes x · 2x = 2x²
    h.sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [18.0])
    (second,) = tg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), [12.0])  # d(2x²)/dx = 4x


def test_forward_hook_replacement_and_removal_leave_the_model_as_before():
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = tg.randn(5, 3)
    before = model(x).numpy()
    attributes = {id(module): dict(vars(module)) for module in model.modules()}
    seen = []
    handles = [
        module.register_forward_hook(lambda m, inputs, output: seen.append(output.shape))
        for module in model.modules()
    ]
    doubled = model[1].register_forward_hook(lambda m, inputs, output: output * 2.0)
    hooked = model(x).numpy()
    assert seen == [(5, 4), (5, 4), (5, 2), (5, 2)]  # children first, the Sequential last
    tanh = np.tanh(x.numpy() @ model[0].weight.numpy() + model[0].bias.numpy())
    np.testing.assert_allclose(
        hooked, 2 * tanh @ model[2].weight.numpy() + model[2].bias.numpy(), rtol=1e-5
    )
    for handle in [*handles, doubled]:
        handle.remove()
    doubled.remove()  # removing twice is harmless, as in PyTorch
    np.testing.assert_array_equal(model(x).numpy(), before)
    assert all(module.forward_hooks == [] for module in model.modules())
    assert {id(module): dict(vars(module)) for module in model.modules()} == attributes
