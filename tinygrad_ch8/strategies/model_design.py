"""Strategies (§8.7.5): models designed to aid optimization, and the per-layer gradient norms that show why.

Often the model is easier to change than the optimizer. Three designs give the lower layers
of a deep network a usable gradient:

* ReLU instead of the sigmoid: σ'(a) ≤ 1/4, so backpropagating through L sigmoid layers
  multiplies the gradient by factors of at most 1/4 times the weights; a ReLU passes it with
  factor 1 wherever the unit is active.
* Residual (skip) connections h_{k+1} = h_k + f(h_k): ∂h_{k+1}/∂h_k = I + ∂f/∂h_k, so there is
  always an identity path from the loss to every layer.
* Auxiliary heads (GoogLeNet): small classifiers on intermediate layers, their losses added
  with weight 0.3, so lower layers get a gradient from a nearby loss; dropped after training.

``layer_gradient_norms`` measures ‖∂J/∂W_k‖ for each weight matrix on a batch; the builders
make the four networks the example compares, alike except for the design choice.
"""

from __future__ import annotations

from collections.abc import Callable

from ..autograd import grad
from ..functional import cross_entropy
from ..grad_mode import enable_grad
from ..nn.auxiliary import AuxiliaryHeads
from ..nn.layers import Linear, Residual, Sequential, Sigmoid
from ..nn.module import Module
from ..tensor import Tensor


def layer_gradient_norms(
    model: Module, batch: tuple, loss_fn: Callable = cross_entropy
) -> dict[str, float]:
    """‖∂J/∂W‖_F, the Frobenius norm of the gradient of each weight matrix, on one batch.

    Args:
        model: any module; its 2-D parameters (dense weights) are measured, in ``named_parameters`` order.
        batch: ``(inputs, targets)``.
        loss_fn: ``loss_fn(model(inputs), targets)`` gives J; for auxiliary heads pass ``model.loss``.

    Returns:
        ``{parameter name: norm}``. The gradients are returned by ``tg.grad``, so no ``.grad`` is
        touched and the model is left as it was.
    """
    inputs, targets = batch
    inputs = inputs if isinstance(inputs, Tensor) else Tensor.from_array(inputs)
    weights = [(name, param) for name, param in model.named_parameters() if param.ndim == 2]
    with enable_grad():
        loss = loss_fn(model(inputs), targets)
        gradients = grad(loss, [param for _, param in weights], allow_unused=True)
    return {
        name: 0.0 if g is None else float((g * g).sum().item()) ** 0.5
        for (name, _), g in zip(weights, gradients, strict=True)
    }


def plain_network(
    in_features: int,
    width: int,
    depth: int,
    out_features: int,
    activation: Callable[[], Module] = Sigmoid,
) -> Sequential:
    """``depth`` hidden layers Linear + activation of ``width`` units, then a Linear output layer."""
    sizes = [in_features] + [width] * depth
    layers = []
    for m, n in zip(sizes, sizes[1:], strict=False):
        layers += [Linear(m, n), activation()]
    return Sequential(*layers, Linear(width, out_features))


def residual_network(
    in_features: int,
    width: int,
    depth: int,
    out_features: int,
    activation: Callable[[], Module] = Sigmoid,
) -> Sequential:
    """The plain network with every hidden layer after the first wrapped as h + f(h)."""
    blocks = [Residual(Sequential(Linear(width, width), activation())) for _ in range(depth - 1)]
    return Sequential(
        Linear(in_features, width), activation(), *blocks, Linear(width, out_features)
    )


def auxiliary_network(
    in_features: int,
    width: int,
    depth: int,
    out_features: int,
    attach_after: tuple[int, ...] = (),
    weight: float = 0.3,
    activation: Callable[[], Module] = Sigmoid,
) -> AuxiliaryHeads:
    """The plain network as stages, with a Linear auxiliary head after each hidden layer in ``attach_after``.

    ``attach_after`` holds 0-based indices of hidden layers (default: a third and two thirds of
    the way up). In training mode the model returns ``(logits, [aux_logits, ...])`` and
    ``model.loss`` adds the auxiliary cross-entropies with ``weight``; ``model.inference_model()``
    is the network without them.
    """
    attach_after = attach_after or (depth // 3 - 1, 2 * depth // 3 - 1)
    sizes = [in_features] + [width] * depth
    stages = [
        Sequential(Linear(m, n), activation()) for m, n in zip(sizes, sizes[1:], strict=False)
    ]
    heads = [(index, Linear(width, out_features)) for index in attach_after]
    return AuxiliaryHeads(stages, head=Linear(width, out_features), auxiliary=heads, weights=weight)
