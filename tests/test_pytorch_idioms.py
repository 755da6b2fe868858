"""The PyTorch idioms a newcomer types first: each does what PyTorch does, or raises an error that
names what to write here instead (docs/differences-from-pytorch.md lists them). Also the five
engine bugs found by comparing with PyTorch, each with its regression test.

The values expected here are PyTorch's, worked out by hand (tests/test_pytorch_parity.py
compares with PyTorch itself when it is installed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn, optim


# ---------------------------------------------------------------- the five engine bugs
def test_pow_zero_and_one_have_finite_derivatives_at_zero():
    x = tg.Tensor([0.0, 2.0], requires_grad=True, dtype="float64")
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # c·x^(c−1) would give NaN at 0
    # second derivative of x**1 (times x, so the first derivative has a graph): d²/dx² x² = 2
    _, hv = tg.autograd.hvp(
        lambda t: (t**1 * t).sum(), tg.Tensor([0.0, 1.0], dtype="float64"), [1.0, 0.0]
    )
    np.testing.assert_array_equal(hv.numpy(), [2.0, 0.0])
    (g,) = tg.grad((x**1).sum(), x, create_graph=True)
    assert np.isfinite(g.numpy()).all()


@pytest.mark.parametrize("axes", [(0, 1, 5), (-4, 1, 0), (0, 0, 1), (0, 1)])
def test_permute_rejects_axes_that_are_not_a_permutation(axes):
    x = tg.Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="permute"):
        x.permute(*axes)


def test_logsumexp_and_softmax_handle_infinite_logits_as_pytorch():
    x = tg.Tensor([[-math.inf, -math.inf], [math.inf, 0.0]], dtype="float64")
    with np.errstate(divide="ignore"):  # log(0) = −∞ is the answer here
        np.testing.assert_array_equal(F.logsumexp(x, axis=1).numpy(), [-math.inf, math.inf])
    masked = tg.Tensor([[0.0, -math.inf, 1.0]], requires_grad=True, dtype="float64")
    probabilities = F.softmax(masked, dim=1).numpy()
    np.testing.assert_allclose(probabilities, [[1 / (1 + math.e), 0.0, math.e / (1 + math.e)]])
    assert F.log_softmax(masked, dim=1).numpy()[0, 1] == -math.inf
    loss = F.cross_entropy(masked, [2])
    loss.backward()
    np.testing.assert_allclose(loss.item(), math.log(1 + math.e) - 1)
    np.testing.assert_allclose(masked.grad.numpy(), probabilities - [[0.0, 0.0, 1.0]])


def test_zero_dimensional_results_hold_writable_arrays():
    x = tg.Tensor(3.0, requires_grad=True)
    y = x * x
    assert isinstance(y.data, np.ndarray) and y.data.shape == ()
    y.backward()
    x.grad.data[...] = 0  # a NumPy scalar would raise TypeError here
    assert x.grad.item() == 0.0
    assert isinstance((tg.Tensor(2.0) + 1).exp().data, np.ndarray)


def test_gradient_with_respect_to_a_same_shape_reshape_is_that_nodes():
    h = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    viewed = h.reshape(3)
    broadcast = h.broadcast_to((3,))
    assert viewed is not h and broadcast is not h
    out = 3 * viewed + 5 * h + 7 * broadcast
    gh, gv, gb = tg.grad(out.sum(), [h, viewed, broadcast])
    np.testing.assert_array_equal(gh.numpy(), [15.0] * 3)  # PyTorch: 3 + 5 + 7
    np.testing.assert_array_equal(gv.numpy(), [3.0] * 3)
    np.testing.assert_array_equal(gb.numpy(), [7.0] * 3)


# ---------------------------------------------------------------- the silent differences
def test_transpose_swaps_two_axes_as_pytorch():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), np.arange(6.0).reshape(2, 3).T)
    cube = tg.Tensor(np.zeros((2, 3, 4)))
    assert cube.transpose(0, 2).shape == (4, 3, 2) and cube.transpose(-1, 1).shape == (2, 4, 3)
    assert cube.T.shape == (4, 3, 2)  # .T still reverses every axis
    for wrong in [(), (1, 0, 2), ((1, 0),)]:
        with pytest.raises(TypeError, match="permute"):
            cube.transpose(*wrong)


def test_minus_equals_under_no_grad_updates_the_leaf_in_place():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    leaf = w
    with tg.no_grad():
        w -= 0.1 * w.grad
    assert w is leaf and w.data is data and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)


def test_in_place_operators_on_a_leaf_that_requires_grad_raise_while_recording():
    w = tg.Tensor([1.0], requires_grad=True)
    for update in (
        lambda: w.__isub__(1.0),
        lambda: w.__iadd__(1.0),
        lambda: w.__imul__(2.0),
        lambda: w.__itruediv__(2.0),
    ):
        with pytest.raises(RuntimeError, match="no_grad"):
            update()
    for method in (lambda: w.add_(1.0), lambda: w.zero_(), lambda: w.mul_(2.0)):
        with pytest.raises(RuntimeError, match="no_grad"):
            method()


def test_augmented_assignment_on_a_graph_tensor_records_the_op():
    w = tg.Tensor([2.0], requires_grad=True)
    loss = w * w
    loss += 3 * w  # PyTorch records this in-place add; here the name is rebound to loss + 3w
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [7.0])
    accumulated = tg.zeros(1)
    accumulated += w * 2  # a constant tensor gains a graph, as PyTorch's in-place add does
    assert accumulated.requires_grad


def test_in_place_methods_outside_the_graph():
    x = tg.Tensor([1.0, 2.0])
    same = x
    x.add_(1.0).mul_(2.0)
    np.testing.assert_array_equal(x.numpy(), [4.0, 6.0])
    x.add_(tg.Tensor([1.0, 1.0]), alpha=0.5).sub_(0.5).div_(2.0)
    np.testing.assert_array_equal(x.numpy(), [2.0, 3.0])
    x.copy_([7.0, 8.0])
    np.testing.assert_array_equal(x.numpy(), [7.0, 8.0])
    x.fill_(5.0)
    np.testing.assert_array_equal(x.numpy(), [5.0, 5.0])
    x.zero_()
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0])
    x += 1
    x *= 3
    x /= 2
    assert x is same
    np.testing.assert_array_equal(x.numpy(), [1.5, 1.5])
    labels = tg.tensor([1, 2])
    with pytest.raises(TypeError):  # float into an integer tensor: PyTorch refuses too
        labels += 0.5
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        x += tg.Tensor([1.0, 2.0, 3.0])


def test_grad_zero_():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    (3 * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_numpy_asarray_gives_the_values(device):
    t = tg.Tensor([[1.0, 2.0]], device=device)
    if device == "cpu":
        array = np.asarray(t)
        assert array.dtype == np.float32 and array.shape == (1, 2)
        np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [[1.0, 2.0]])
    else:
        with pytest.raises(TypeError, match=r"\.numpy\(\)"):
            np.asarray(t)


# ---------------------------------------------------------------- Tensor methods
def test_size_numel_dim():
    x = tg.Tensor(np.zeros((2, 3)))
    assert x.size() == (2, 3) and x.size(0) == 2 and x.size(-1) == 3
    assert x.numel() == 6 and x.dim() == 2
    with pytest.raises(ValueError, match="size: dim 2"):
        x.size(2)


def test_shape_methods():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.view(6, 4).shape == (6, 4) and x.view(-1).shape == (24,)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert tg.zeros(1, 3, 1).squeeze().shape == (3,)
    assert tg.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert tg.zeros(1, 3, 1).squeeze(1).shape == (1, 3, 1)  # not of length 1: unchanged
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.permute((1, 2, 0)).shape == (3, 4, 2)
    assert tg.zeros(2, 3).t().shape == (3, 2) and tg.zeros(3).t().shape == (3,)
    with pytest.raises(ValueError, match="permute"):
        x.t()
    assert tg.zeros(3, 1).expand(2, -1, 4).shape == (2, 3, 4)


def test_reductions_accept_dim_and_keepdim():
    x = tg.Tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    np.testing.assert_array_equal(x.sum(dim=1).numpy(), [8.0, 13.0])
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(dim=(0, 1)).item() == pytest.approx(3.5)
    assert x.mean(dim=[0, 1], keepdim=True).shape == (1, 1)
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), [1, 2])
    assert x.argmax(dim=0, keepdim=True).shape == (1, 3)
    assert x.argmax().item() == 5 and x.argmin(dim=1).tolist() == [0, 1]
    np.testing.assert_array_equal(x.amax(dim=0).numpy(), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(x.amin(1).numpy(), [1.0, 3.0])
    with pytest.raises(TypeError, match="not both"):
        x.sum(axis=0, dim=0)


def test_max_with_dim_returns_values_and_indices():
    x = tg.Tensor([[1.0, 5.0, 5.0], [4.0, 3.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 4.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # the first maximum
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # PyTorch: to the index
    kept = x.max(1, keepdim=True)
    assert kept.values.shape == (2, 1) and kept.indices.shape == (2, 1)
    assert x.min(dim=0).indices.tolist() == [0, 1, 1]
    # without dim, or with NumPy's axis=, max gives the values (gradient shared among ties)
    assert x.max().item() == 5.0
    x.grad = None
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


def test_clamp_and_pow():
    x = tg.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = x.clamp(min=-1.0, max=1.0)
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(x.clip(0.0).numpy(), [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.pow(2).numpy(), [4.0, 0.25, 9.0])
    with pytest.raises(ValueError, match="clamp"):
        x.clamp()


def test_conversions():
    x = tg.Tensor([1.5, -2.5], requires_grad=True)
    assert x.double().dtype == np.float64 and x.double().requires_grad
    assert x.double().float().dtype == np.float32
    labels = x.long()
    assert labels.dtype == np.int64 and labels.tolist() == [1, -2] and not labels.requires_grad
    assert x.to(tg.float64).dtype == np.float64 and x.cpu() is x
    copy = x.clone()
    assert copy.data is not x.data and copy.grad_fn is not None
    copy.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert float(tg.Tensor([2.5])) == 2.5 and int(tg.Tensor(7.9)) == 7
    with pytest.raises(ValueError, match="one element"):
        float(x)
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_hvp_and_ops_accept_lists():
    value, hv = tg.autograd.hvp(
        lambda x: (x * x * x).sum(), tg.Tensor([1.0, 2.0, 3.0]), [1.0, 0.0, 0.0]
    )
    assert value.item() == 36.0
    np.testing.assert_array_equal(hv.numpy(), [6.0, 0.0, 0.0])  # H = diag(6x)
    np.testing.assert_array_equal((tg.Tensor([1.0, 2.0]) * [3.0, 4.0]).numpy(), [3.0, 8.0])


# ---------------------------------------------------------------- creation at the package root
def test_creation_functions():
    assert callable(tg.tensor)  # the function, not the submodule tensor.py
    t = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and t.dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.arange(4).tolist() == [0, 1, 2, 3] and tg.arange(4).dtype == np.int64
    assert tg.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and tg.arange(0.0, 1).dtype == np.float32
    assert tg.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tg.full((2,), 3).dtype == np.int64
    like = tg.Tensor(np.ones((2, 3)))  # float64
    assert tg.zeros_like(like).dtype == np.float64 and tg.zeros_like(like).shape == (2, 3)
    assert tg.ones_like(like, dtype=tg.float32).numpy().sum() == 6
    np.testing.assert_array_equal(tg.eye(2).numpy(), np.eye(2))
    assert tg.eye(2, 3).shape == (2, 3)
    tg.manual_seed(3)
    first = tg.rand(2, 3)
    tg.manual_seed(3)
    assert first.shape == (2, 3) and (first.numpy() == tg.rand(2, 3).numpy()).all()
    assert ((first.numpy() >= 0) & (first.numpy() < 1)).all()
    assert tg.cat([tg.ones(2, 1), tg.zeros(2, 2)], dim=1).shape == (2, 3)
    assert tg.stack([tg.ones(2), tg.zeros(2)], dim=1).shape == (2, 2)
    assert (tg.float32, tg.float64, tg.int64) == (np.float32, np.float64, np.int64)


def test_softmax_and_log_softmax_take_dim():
    x = tg.Tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(F.softmax(x, dim=0).numpy().sum(axis=0), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(F.log_softmax(x, dim=1).numpy(), F.log_softmax(x, axis=1).numpy())


# ---------------------------------------------------------------- nn
def test_dropout_is_inverted_off_in_eval_and_seeded():
    layer = nn.Dropout(0.25)
    x = tg.ones(1000, 20)
    tg.manual_seed(5)
    y = layer(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01  # 20,000 draws: 4.5 standard deviations
    tg.manual_seed(5)
    np.testing.assert_array_equal(layer(x).numpy(), y)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="p must"):
        nn.Dropout(1.5)


def test_identity_flatten_and_module_list():
    x = tg.Tensor(np.zeros((2, 3, 4)))
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(0)(x).shape == (24,)

    class Blocks(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2)])
            self.blocks.append(nn.ReLU())

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Blocks()
    assert len(model.blocks) == 3 and isinstance(model.blocks[1], nn.Linear)
    assert list(model.state_dict()) == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    assert model(tg.zeros(4, 3)).shape == (4, 2)


def test_loss_modules_equal_the_functions():
    logits = tg.Tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    target = [1, 2]
    assert nn.CrossEntropyLoss()(logits, target).item() == F.cross_entropy(logits, target).item()
    each = nn.CrossEntropyLoss(reduction="none")(logits, target)
    assert each.shape == (2,)
    np.testing.assert_allclose(
        each.numpy().sum(), F.cross_entropy(logits, target, reduction="sum").item(), rtol=1e-6
    )
    assert nn.MSELoss()(logits, tg.zeros(2, 3)).item() == pytest.approx(
        float((logits.numpy() ** 2).mean())
    )
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(logits, logits, reduction="average")


def test_label_smoothing_mixes_in_the_uniform_target():
    logits = tg.Tensor([[2.0, 0.0, -1.0]], dtype="float64")
    log_p = F.log_softmax(logits, dim=1).numpy()[0]
    smoothed = F.cross_entropy(logits, [0], label_smoothing=0.3).item()
    assert smoothed == pytest.approx(-(0.7 + 0.1) * log_p[0] - 0.1 * log_p[1] - 0.1 * log_p[2])


def test_module_tree_methods():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU", "Sequential"]
    assert [name for name, _ in model.named_children()] == ["layers.0", "layers.1", "layers.2"]
    assert [name for name, _ in model.named_modules()] == [
        "",
        "layers.0",
        "layers.1",
        "layers.2",
        "layers.2.layers.0",
    ]
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]  # children first
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    assert model.cpu() is model


def test_apply_with_in_place_initializers():
    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight, rng=0)
            nn.init.zeros_(module.bias)

    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).apply(init_weights)
    first = model[0].weight
    np.testing.assert_array_equal(first.numpy(), nn.init.glorot_uniform((4, 6), rng=0))
    assert first.requires_grad and model[2].bias.numpy().sum() == 0


def test_in_place_initializers_use_the_in_out_layout():
    weight = nn.Parameter(np.zeros((400, 100), dtype=np.float32))  # fan_in 400, fan_out 100
    nn.init.kaiming_normal_(weight, rng=1)
    assert weight.numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    nn.init.kaiming_uniform_(weight, mode="fan_out", nonlinearity="relu", rng=1)
    assert np.abs(weight.numpy()).max() <= math.sqrt(6 / 100)
    assert np.abs(weight.numpy()).max() > 0.99 * math.sqrt(6 / 100)
    nn.init.xavier_normal_(weight, gain=nn.init.calculate_gain("tanh"), rng=1)
    assert weight.numpy().std() == pytest.approx(5 / 3 * math.sqrt(2 / 500), rel=0.02)
    nn.init.orthogonal_(weight, rng=1)
    np.testing.assert_allclose(weight.numpy().T @ weight.numpy(), np.eye(100), atol=1e-5)
    nn.init.uniform_(weight, -0.1, 0.1, rng=1)
    assert np.abs(weight.numpy()).max() <= 0.1
    nn.init.normal_(weight, mean=1.0, std=0.01, rng=1)
    assert weight.numpy().mean() == pytest.approx(1.0, abs=1e-3)
    nn.init.constant_(weight, 0.5)
    assert (weight.numpy() == 0.5).all()
    nn.init.ones_(weight)
    assert (weight.numpy() == 1.0).all()
    with pytest.raises(ValueError, match="fan_in"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")


# ---------------------------------------------------------------- optim
def test_zero_grad_set_to_none():
    w = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None
    model = nn.Linear(2, 1)
    model(tg.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad.numpy().sum() == 0
    model.zero_grad()
    assert model.weight.grad is None


def test_cosine_annealing_lr_follows_pytorch_after_t_max():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(8):
        schedule.step()
        rates.append(opt.param_groups[0]["lr"])
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(9)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)
    assert rates[4] == pytest.approx(0.2) and rates[8] == pytest.approx(1.0)  # back up, as PyTorch


# ---------------------------------------------------------------- a PyTorch-style script
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(64, 32)
        self.norm = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.out(self.drop(self.norm(self.hidden(x)).relu()))


def train_epoch(model, criterion, optimizer, scheduler, X, y, epoch):
    """One epoch in PyTorch's style; the dropout masks are seeded by the epoch, so a run resumed
    at an epoch boundary draws the same masks as one that never stopped."""
    tg.manual_seed(1000 + epoch)
    model.train()
    losses = []
    for start in range(0, len(X), 64):
        inputs = tg.tensor(X[start : start + 64])
        labels = tg.tensor(y[start : start + 64]).long()
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    return losses


def fresh_run():
    tg.manual_seed(0)
    model = Classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    return model, optimizer, scheduler


EPOCHS = 4


def test_a_pytorch_style_training_script_learns_and_resumes_from_a_checkpoint(tmp_path):
    X_train, y_train = tg.data.load_digits("train", flatten=False)  # images: the model uses view
    X_test, y_test = tg.data.load_digits("test", flatten=False)
    criterion = nn.CrossEntropyLoss()
    model, optimizer, scheduler = fresh_run()
    losses = []
    for epoch in range(EPOCHS):
        losses += train_epoch(model, criterion, optimizer, scheduler, X_train, y_train, epoch)
        if epoch == 1:  # a checkpoint mid-run, as a PyTorch user writes it
            checkpoint = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
            }
            tg.save(checkpoint, tmp_path / "checkpoint.npz")
    model.eval()
    with tg.no_grad():
        predictions = model(tg.tensor(X_test)).argmax(dim=1)
    accuracy = float((predictions == tg.tensor(y_test)).numpy().mean())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert accuracy > 0.9
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)

    resumed, resumed_optimizer, resumed_scheduler = fresh_run()
    checkpoint = tg.load(tmp_path / "checkpoint.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    resumed_losses = []
    for epoch in range(checkpoint["epoch"] + 1, EPOCHS):
        resumed_losses += train_epoch(
            resumed, criterion, resumed_optimizer, resumed_scheduler, X_train, y_train, epoch
        )
    assert resumed_losses == losses[-len(resumed_losses) :]  # the same trajectory, bit for bit
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
