"""nn: ``mlp``, a multilayer perceptron assembled from the layers, as the ``train`` command builds it.

The pieces are the model-side choices of Chapter 8: the initializer (§8.4), the hidden
unit (ReLU against saturating ones, §8.7.5), batch normalization (§8.7.1) and residual
blocks (§8.7.5). Each hidden layer is ``Linear → [BatchNorm1d] → activation``; with batch
norm the Linear layer has no bias, since β takes its place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import backend
from .layers import BatchNorm1d, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from .module import Module

ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
# He's rule keeps ReLU layers at unit scale; Glorot's suits the zero-centred, saturating units.
DEFAULT_INIT = {"relu": "he_uniform", "tanh": "glorot_uniform", "sigmoid": "glorot_uniform"}


def hidden_layer(
    in_features: int,
    out_features: int,
    activation: str,
    batch_norm: bool,
    init: str | Callable,
    rng=None,
) -> Sequential:
    """``Linear → [BatchNorm1d] → activation``; the Linear bias is dropped before batch norm."""
    layers = [Linear(in_features, out_features, bias=not batch_norm, init=init, rng=rng)]
    if batch_norm:
        layers.append(BatchNorm1d(out_features))
    layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)


def mlp(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    activation: str = "relu",
    batch_norm: bool = False,
    residual_blocks: int = 0,
    init: str | Callable | None = None,
    rng=None,
) -> Sequential:
    """A multilayer perceptron: hidden layers, then residual blocks, then a linear output layer.

    Args:
        in_features: input size.
        hidden: the widths of the hidden layers, e.g. ``(256, 128)`` (may be empty).
        out_features: output size (the number of classes for logits).
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        batch_norm: normalize every hidden pre-activation with ``BatchNorm1d``.
        residual_blocks: how many ``Residual(hidden_layer(w, w))`` blocks, y = x + act(BN(x W)),
            follow the hidden layers, at the width w of the last one.
        init: the weight initializer of every layer; None picks He for ReLU, Glorot otherwise.
        rng: None (the ``tg.manual_seed`` generator), an int seed or a NumPy Generator.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"mlp: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
        )
    init = DEFAULT_INIT[activation] if init is None else init
    rng = backend.rng(rng)  # one generator for all layers: an int seed would repeat the same draws
    widths = [in_features, *hidden]
    layers: list[Module] = [
        hidden_layer(m, n, activation, batch_norm, init, rng)
        for m, n in zip(widths[:-1], widths[1:], strict=True)
    ]
    width = widths[-1]
    layers += [
        Residual(hidden_layer(width, width, activation, batch_norm, init, rng))
        for _ in range(residual_blocks)
    ]
    layers.append(Linear(width, out_features, init=init, rng=rng))
    return Sequential(*layers)
