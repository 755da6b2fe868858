"""Model design study: per-layer gradient norms against a hand backward pass; the networks' structure."""

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn
from tinygrad_ch8.strategies import (
    auxiliary_network,
    layer_gradient_norms,
    plain_network,
    residual_network,
)


def test_gradient_norms_match_a_hand_written_backward_pass(device):
    tg.set_default_dtype("float64")
    tg.set_default_device(device)
    model = plain_network(5, 4, 1, 3)  # Linear, Sigmoid, Linear
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    norms = layer_gradient_norms(model, (tg.Tensor(X, device=device), tg.Tensor(y, device=device)))
    W1, b1 = model.layers[0].weight.numpy(), model.layers[0].bias.numpy()
    W2, b2 = model.layers[2].weight.numpy(), model.layers[2].bias.numpy()
    h = 1 / (1 + np.exp(-(X @ W1 + b1)))
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - np.eye(3)[y]) / 8  # d mean cross-entropy / d logits
    dW2 = h.T @ dz
    dW1 = X.T @ ((dz @ W2.T) * h * (1 - h))
    assert list(norms) == ["layers.0.weight", "layers.2.weight"]
    assert norms["layers.0.weight"] == pytest.approx(np.linalg.norm(dW1), rel=1e-10)
    assert norms["layers.2.weight"] == pytest.approx(np.linalg.norm(dW2), rel=1e-10)
    assert model.layers[0].weight.grad is None


def test_the_auxiliary_loss_reaches_the_lower_layers_and_the_heads_drop_out_at_inference():
    X, y = tg.data.load_digits("train")
    batch = (X[:64], y[:64])
    tg.manual_seed(0)
    model = auxiliary_network(64, 16, 6, 10, attach_after=(1,), weight=0.3)
    with_aux = layer_gradient_norms(model, batch, loss_fn=model.loss)
    main_only = layer_gradient_norms(model.inference_model(), batch)
    # the main path's weights are the same objects; only layers 0 and 1 (below the head) get the extra term
    first, third = "stages.0.layers.0.weight", "stages.2.layers.0.weight"
    assert with_aux[first] != pytest.approx(main_only["layers.0.layers.0.weight"], rel=1e-6)
    assert with_aux[third] == pytest.approx(main_only["layers.2.layers.0.weight"], rel=1e-6)
    assert "auxiliary_heads.0.weight" in with_aux
    model.eval()
    assert model(tg.Tensor(X[:4])).shape == (4, 10)


def test_builders_keep_depth_and_the_residual_identity_path():
    tg.set_default_dtype("float64")
    plain = plain_network(3, 4, 5, 2, activation=nn.ReLU)
    assert sum(p.ndim == 2 for p in plain.parameters()) == 6
    residual = residual_network(3, 4, 5, 2)
    assert sum(isinstance(layer, nn.Residual) for layer in residual.layers) == 4
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 4)))
    block = residual.layers[2]
    np.testing.assert_allclose(block(x).numpy(), x.numpy() + block.block(x).numpy())
    assert auxiliary_network(3, 4, 6, 2).attached_after == [1, 3]
