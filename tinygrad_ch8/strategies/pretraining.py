"""Strategies (§8.7.4): greedy supervised pretraining, one hidden layer at a time, then joint fine-tuning.

A deep network f = g ∘ h_L ∘ … ∘ h_1 is hard to train from scratch when its units saturate
(the gradient reaching h_1 through many sigmoid layers is tiny). Greedy supervised
pretraining (Bengio et al. 2007) breaks the problem into shallow ones:

    stage 1:  train h_1 with a temporary output layer g_1, minimizing J(g_1(h_1(x)), y);
    stage k:  freeze h_1 … h_{k−1}; train h_k and a new output layer g_k on their outputs,
              minimizing J(g_k(h_k(z)), y) with z = h_{k−1}(… h_1(x));
    finally:  keep g_L as the network's output layer and fine-tune all of f jointly.

Each stage is a one-hidden-layer problem, whose gradient reaches its layer directly. "Frozen"
is literal here: the outputs of the layers below are computed once per stage without
recording a graph, and the optimizer of the stage holds only h_k and g_k, so nothing else can
move. The temporary heads g_1 … g_{L−1} are thrown away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import backend
from ..backend import Array, Seed
from ..data.loader import DataLoader
from ..nn.layers import Linear, Sequential
from ..nn.module import Module
from ..tensor import Tensor
from ..training import History, frozen_features, train_classifier


@dataclass
class PretrainingResult:
    """What ``greedy_pretrain`` built and measured.

    Attributes:
        model: ``Sequential(*blocks, output_layer)``, the pretrained (and fine-tuned) network.
        stage_histories: the ``History`` of each greedy stage, block 1 first.
        fine_tune_history: the ``History`` of the joint fine-tuning (None without it).
    """

    model: Sequential
    stage_histories: list = field(default_factory=list)
    fine_tune_history: History | None = None


def pretrain_layer(
    frozen: Sequence[Module],
    block: Module,
    head: Module,
    X: Array | Tensor,
    y: Array | Tensor,
    epochs: int,
    make_optimizer: Callable[[list], object],
    batch_size: int = 64,
    rng: Seed = None,
    test_data: tuple | None = None,
) -> History:
    """One greedy stage: train ``block`` and ``head`` on the outputs of the ``frozen`` blocks below.

    Args:
        frozen: h_1 … h_{k−1}, applied to X and left unchanged (may be empty).
        block: h_k, the layer this stage trains.
        head: g_k, a new output layer reading h_k's output.
        X, y: training inputs and integer labels.
        epochs: passes over the data.
        make_optimizer: builds the stage's optimizer from a list of parameters,
            e.g. ``lambda params: optim.SGD(params, lr=0.1)``.
        batch_size, rng: the minibatches (``rng`` seeds their order).
        test_data: ``(X_test, y_test)``; the test accuracy of g_k ∘ h_k ∘ frozen after each epoch.

    Returns:
        The stage's ``History``.
    """
    stage_model = Sequential(block, head)
    features = frozen_features(frozen, X)
    if test_data is not None:
        test_data = (frozen_features(frozen, test_data[0]), test_data[1])
    loader = DataLoader(features, y, batch_size=batch_size, rng=rng)
    optimizer = make_optimizer(stage_model.parameters())
    return train_classifier(stage_model, optimizer, loader, epochs, test_data=test_data)


def greedy_pretrain(
    blocks: Sequence[Module],
    X: Array | Tensor,
    y: Array | Tensor,
    n_classes: int,
    epochs_per_layer: int,
    make_optimizer: Callable[[list], object],
    fine_tune_epochs: int = 0,
    batch_size: int = 64,
    rng: Seed = None,
    test_data: tuple | None = None,
    make_head: Callable[[int, int], Module] | None = None,
) -> PretrainingResult:
    """Greedy supervised pretraining of ``blocks`` (h_1 … h_L), then optional joint fine-tuning.

    Args:
        blocks: the hidden layers h_1 … h_L (each e.g. ``Sequential(Linear(m, n), Sigmoid())``);
            they are trained in place.
        X, y: training inputs (n, features) and integer labels.
        n_classes: the width of every output layer.
        epochs_per_layer: passes over the data in each greedy stage.
        make_optimizer: builds an optimizer from a list of parameters (one per stage and one
            for fine-tuning), e.g. ``lambda params: optim.SGD(params, lr=0.1)``.
        fine_tune_epochs: passes of joint training of the whole network afterwards.
        batch_size, rng: the minibatches (``rng`` seeds their order in every stage).
        test_data: ``(X_test, y_test)`` for per-epoch test accuracy.
        make_head: ``make_head(in_features, n_classes)`` builds each output layer g_k; default
            ``Linear``. Its input size is the width of h_k's output, read from a forward pass.

    Returns:
        A ``PretrainingResult``; ``result.model`` is ``Sequential(*blocks, g_L)``.
    """
    if not blocks:
        raise ValueError("greedy_pretrain: needs at least one hidden block")
    make_head = Linear if make_head is None else make_head
    X = X.data if isinstance(X, Tensor) else X
    result = PretrainingResult(model=Sequential())
    head = None
    for k, block in enumerate(blocks):
        width = frozen_features(blocks[: k + 1], X[:1]).shape[1]
        head = make_head(width, n_classes).to(backend.device_of(X))  # where the data is
        result.stage_histories.append(
            pretrain_layer(
                blocks[:k],
                block,
                head,
                X,
                y,
                epochs_per_layer,
                make_optimizer,
                batch_size,
                rng,
                test_data,
            )
        )
    result.model = Sequential(*blocks, head)
    if fine_tune_epochs > 0:
        loader = DataLoader(X, y, batch_size=batch_size, rng=rng)
        result.fine_tune_history = train_classifier(
            result.model,
            make_optimizer(result.model.parameters()),
            loader,
            fine_tune_epochs,
            test_data=test_data,
        )
    return result
