"""nn layers: Linear, activations, BatchNorm1d (against its formulas, to second order), Residual,
auxiliary heads and the mlp builder."""

import functools

import numpy as np
import pytest

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn


def test_linear_computes_x_w_plus_b_with_weight_shape_in_out(device):
    tg.set_default_device(device)
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (3,)
    assert layer.weight.device == device
    layer.bias.data[...] = layer.bias.data + 0.5
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = x @ layer.weight.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(
        layer(tg.Tensor(x, device=device)).numpy(), expected, rtol=1e-6, atol=1e-6
    )


def test_linear_uses_the_default_dtype_and_a_callable_initializer():
    tg.set_default_dtype("float64")
    layer = nn.Linear(2, 3, bias=False, init=functools.partial(tg.init.constant, value=0.25))
    assert layer.bias is None and layer.weight.dtype == np.float64
    np.testing.assert_array_equal(layer.weight.numpy(), np.full((2, 3), 0.25))
    with pytest.raises(ValueError, match="unknown initializer 'nope'"):
        nn.Linear(2, 3, init="nope")


def test_linear_is_reproducible_from_its_rng():
    a, b = nn.Linear(5, 4, rng=3), nn.Linear(5, 4, rng=3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())


@pytest.mark.parametrize(
    "module, function",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    ],
)
def test_activations(module, function):
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(module(tg.Tensor(x)).numpy(), function(x), rtol=1e-12)


def batch_norm_reference(x, gamma, beta, eps):
    """The book's formula with the biased variance: γ (x − μ)/√(δ + mean((x − μ)²)) + β."""
    mean = x.mean(axis=0)
    variance = ((x - mean) ** 2).mean(axis=0)
    return gamma * (x - mean) / np.sqrt(variance + eps) + beta


def test_batch_norm_training_output_and_running_statistics_follow_the_formulas(device):
    tg.set_default_dtype("float64")
    generator = np.random.default_rng(0)
    bn = nn.BatchNorm1d(3, eps=1e-3, momentum=0.2).to(device)
    bn.gamma.data[...] = tg.Tensor([0.5, 2.0, -1.0]).to(device).data
    bn.beta.data[...] = tg.Tensor([0.1, 0.0, 3.0]).to(device).data
    running_mean, running_var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = generator.normal(2.0, 3.0, (8, 3))
        out = bn(tg.Tensor(x, device=device))
        expected = batch_norm_reference(
            x, np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.0, 3.0]), 1e-3
        )
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
        # PyTorch's convention: the running variance averages the unbiased batch variance
        running_mean = 0.8 * running_mean + 0.2 * x.mean(axis=0)
        running_var = 0.8 * running_var + 0.2 * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), running_var, rtol=1e-12)

    bn.eval()
    x = generator.standard_normal((4, 3))
    expected = np.array([0.5, 2.0, -1.0]) * (x - running_mean) / np.sqrt(running_var + 1e-3) + [
        0.1,
        0.0,
        3.0,
    ]
    np.testing.assert_allclose(bn(tg.Tensor(x, device=device)).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(
        bn.running_mean.numpy(), running_mean, rtol=1e-12
    )  # eval does not update


def test_batch_norm_without_affine_has_no_parameters_and_gives_unit_statistics():
    tg.set_default_dtype("float64")
    bn = nn.BatchNorm1d(2, affine=False, eps=0.0)
    assert bn.parameters() == []
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    out = bn(tg.Tensor(np.random.default_rng(1).normal(5, 4, (50, 2)))).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-12)


def test_batch_norm_gradients_are_exact_to_second_order():
    tg.set_default_dtype("float64")
    bn = nn.BatchNorm1d(3)
    generator = np.random.default_rng(2)
    x = generator.standard_normal((5, 3))
    gamma, beta = generator.standard_normal(3), generator.standard_normal(3)

    def normalized(x, gamma, beta):
        bn.gamma, bn.beta = gamma, beta
        return (bn(x) ** 2).tanh()  # non-linear after BN, so the Hessian is not trivial

    assert tg.autograd.gradcheck(normalized, [x, gamma, beta], order=2, raise_exception=True)


def test_batch_norm_input_gradient_sums_to_zero_over_the_batch():
    """Shifting one feature of every row leaves the normalized output unchanged: Σ_n ∂L/∂x_nj = 0."""
    tg.set_default_dtype("float64")
    bn = nn.BatchNorm1d(4)
    x = tg.Tensor(np.random.default_rng(3).standard_normal((6, 4)), requires_grad=True)
    (bn(x) * tg.Tensor(np.arange(24.0).reshape(6, 4))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=0), 0, atol=1e-10)


def test_batch_norm_rejects_a_single_row_in_training_and_a_wrong_width():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="at least 2 rows"):
        bn(tg.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\)"):
        bn(tg.randn(4, 2))
    bn.eval()
    assert bn(tg.randn(1, 3)).shape == (1, 3)


def test_residual_adds_the_identity_and_its_jacobian():
    tg.set_default_dtype("float64")
    block = nn.Linear(3, 3, bias=False)
    x = tg.Tensor(np.random.default_rng(4).standard_normal((2, 3)), requires_grad=True)
    y = nn.Residual(block)(x)
    np.testing.assert_allclose(y.numpy(), x.numpy() + x.numpy() @ block.weight.numpy())
    y.sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), 1 + block.weight.numpy().sum(axis=1) * np.ones((2, 1))
    )


def auxiliary_model():
    stages = [nn.Sequential(nn.Linear(4, 5), nn.Tanh()), nn.Sequential(nn.Linear(5, 5), nn.Tanh())]
    return nn.AuxiliaryHeads(
        stages, head=nn.Linear(5, 3), auxiliary=[(0, nn.Linear(5, 3))], weights=0.3
    )


def test_auxiliary_heads_add_weighted_losses_in_training_and_vanish_in_eval():
    model = auxiliary_model()
    x, y = tg.randn(6, 4), np.array([0, 1, 2, 0, 1, 2])
    main, (aux,) = model(x)
    hidden = model.stages[0](x)
    np.testing.assert_allclose(aux.numpy(), model.auxiliary_heads[0](hidden).numpy(), rtol=1e-6)
    expected = F.cross_entropy(main, y).item() + 0.3 * F.cross_entropy(aux, y).item()
    assert model.loss((main, [aux]), y).item() == pytest.approx(expected, rel=1e-6)

    calls = []
    model.auxiliary_heads[0].register_forward_hook(lambda *args: calls.append(1))
    model.eval()
    logits = model(x)
    assert isinstance(logits, tg.Tensor) and calls == []
    np.testing.assert_allclose(logits.numpy(), main.numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.inference_model()(x).numpy(), logits.numpy(), rtol=1e-6)
    assert model.loss(logits, y).item() == pytest.approx(F.cross_entropy(main, y).item(), rel=1e-6)


def test_auxiliary_head_gradient_reaches_the_early_stage_over_a_short_path():
    model = auxiliary_model()
    x, y = tg.randn(6, 4), np.array([0, 1, 2, 0, 1, 2])
    main, aux = model(x)
    F.cross_entropy(aux[0], y).backward()
    assert model.stages[0][0].weight.grad is not None and model.stages[1][0].weight.grad is None
    with pytest.raises(ValueError, match="no stage 5"):
        nn.AuxiliaryHeads(model.stages, model.head, auxiliary=[(5, nn.Linear(5, 3))])


def test_mlp_builds_the_requested_layers():
    model = nn.mlp(64, [32, 16], 10, activation="tanh", batch_norm=True, residual_blocks=2)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    assert shapes == [(64, 32), (32, 16), (16, 16), (16, 16), (16, 10)]
    assert [m.bias is None for m in linears] == [
        True,
        True,
        True,
        True,
        False,
    ]  # β replaces the bias
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == 4
    assert sum(isinstance(m, nn.Residual) for m in model.modules()) == 2
    assert model(tg.randn(3, 64)).shape == (3, 10)
    assert len(nn.mlp(8, [], 2).parameters()) == 2
    with pytest.raises(ValueError, match="activation"):
        nn.mlp(8, [4], 2, activation="softplus")
