"""nn.Module: discovery of parameters and children, modes, devices, state dicts and strict loading."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn


class TwoBranches(nn.Module):
    """A module with a direct parameter, a child, a list of children and a buffer."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.first = nn.Linear(3, 4)
        self.branches = [nn.Linear(4, 2), nn.Tanh(), nn.Linear(2, 2, bias=False)]
        self.register_buffer("steps", tg.zeros(1))

    def forward(self, x):
        h = self.first(x * self.scale)
        for layer in self.branches:
            h = layer(h)
        return h


def test_parameters_are_found_in_attribute_order_with_dotted_names():
    model = TwoBranches()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "scale",
        "first.weight",
        "first.bias",
        "branches.0.weight",
        "branches.0.bias",
        "branches.2.weight",
    ]
    assert [p.shape for p in model.parameters()] == [(3,), (3, 4), (4,), (4, 2), (2,), (2, 2)]
    assert [name for name, _ in model.named_buffers()] == ["steps"]
    assert list(model.state_dict()) == names[:1] + ["steps"] + names[1:]


def test_sequential_names_its_layers_by_position():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.layers.0.weight",
        "layers.2.layers.0.bias",
    ]
    assert len(model.modules()) == 5


def test_a_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(model.parameters()) == 2


def test_train_and_eval_reach_every_child_and_each_module_keeps_its_own_flag():
    teacher, student = nn.Sequential(nn.BatchNorm1d(2)), nn.Sequential(nn.BatchNorm1d(2))
    assert teacher.training and teacher[0].training  # a new module trains
    teacher.eval()
    assert not teacher[0].training
    student.train()
    assert student[0].training and not teacher[0].training


def test_zero_grad_clears_every_gradient():
    model = TwoBranches()
    model(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_copies_and_round_trips_into_a_fresh_model():
    tg.manual_seed(1)
    source = TwoBranches()
    state = source.state_dict()
    state["first.weight"][0, 0] = 123.0  # editing the copy must not touch the model
    assert source.first.weight.data[0, 0] != 123.0
    tg.manual_seed(2)
    target = TwoBranches()
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = tg.randn(4, 3)
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())


def test_strict_loading_lists_missing_unexpected_and_mismatched_keys_and_changes_nothing():
    model = TwoBranches()
    before = model.state_dict()
    state = model.state_dict()
    del state["first.bias"]
    state["extra.weight"] = np.zeros(2)
    state["branches.0.weight"] = np.zeros((5, 5))
    state["scale"] = np.full(3, 7.0)
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "missing keys: first.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "branches.0.weight: checkpoint (5, 5), model (4, 2)" in message
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_non_strict_loading_skips_missing_and_unexpected_keys_but_not_shape_mismatches():
    model = TwoBranches()
    result = model.load_state_dict({"scale": np.full(3, 2.0), "other": np.zeros(1)}, strict=False)
    np.testing.assert_array_equal(model.scale.numpy(), np.full(3, 2.0, dtype=np.float32))
    assert result.unexpected_keys == ["other"] and "first.weight" in result.missing_keys
    with pytest.raises(ValueError, match="shape mismatches"):
        model.load_state_dict({"scale": np.zeros(4)}, strict=False)


def test_loading_keeps_the_parameter_objects_and_dtype():
    model = TwoBranches()
    weight = model.first.weight
    state = {name: array.astype(np.float64) + 1 for name, array in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.first.weight is weight and weight.dtype == np.float32
    np.testing.assert_allclose(weight.numpy(), state["first.weight"].astype(np.float32))


def test_forward_hooks_see_every_output_until_removed():
    layer = nn.Linear(2, 3)
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    layer(tg.randn(4, 2))
    handle.remove()
    layer(tg.randn(4, 2))
    assert seen == [(4, 3)]


def test_to_moves_parameters_and_buffers_in_place(device):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    expected = model.state_dict()
    model.to(device)
    assert model[0].weight is weight
    assert all(t.device == device for t in model.parameters() + model.buffers())
    out = model(tg.randn(4, 3).to(device))
    assert out.device == device
    for name, array in model.state_dict().items():
        if "running" not in name:
            np.testing.assert_array_equal(tg.Tensor(array).numpy(), expected[name])


def test_parameter_requires_grad_and_plain_ops_give_tensors():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32
    assert type(p * 2) is tg.Tensor
    assert repr(p).startswith("Parameter(")
