"""Greedy supervised pretraining: each stage trains only its block and a new head; then all are fine-tuned."""

import numpy as np

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.strategies import greedy_pretrain, pretrain_layer
from tinygrad_ch8.training import frozen_features


def blobs():
    X, y, _ = tg.data.gaussian_blobs(240, n_classes=3, n_features=4, spread=0.7, rng=0)
    return X, y


def sigmoid_blocks(sizes):
    return [
        nn.Sequential(nn.Linear(a, b), nn.Sigmoid()) for a, b in zip(sizes, sizes[1:], strict=False)
    ]


def snapshot(module):
    return {name: p.numpy().copy() for name, p in module.named_parameters()}


def changed(before, module):
    return {
        name: not np.array_equal(before[name], p.numpy()) for name, p in module.named_parameters()
    }


def test_a_stage_moves_its_block_and_head_and_leaves_the_frozen_blocks_and_their_modes_alone():
    X, y = blobs()
    frozen = sigmoid_blocks([4, 8, 8])
    block, head = nn.Sequential(nn.Linear(8, 6), nn.Sigmoid()), nn.Linear(6, 3)
    frozen[1].eval()  # a block below may be in either mode; the stage must hand it back as it was
    frozen_before, block_before, head_before = (
        [snapshot(b) for b in frozen],
        snapshot(block),
        snapshot(head),
    )
    pretrain_layer(
        frozen, block, head, X, y, epochs=2, make_optimizer=lambda p: optim.SGD(p, lr=0.5), rng=0
    )
    for module, before in zip(frozen, frozen_before, strict=True):
        assert not any(changed(before, module).values())
    assert all(changed(block_before, block).values()) and all(changed(head_before, head).values())
    assert frozen[0].training and not frozen[1].training


def test_frozen_features_are_the_blocks_applied_in_order_without_a_graph():
    X, _ = blobs()
    blocks = sigmoid_blocks([4, 5, 3])
    features = frozen_features(blocks, X)
    W0, b0 = blocks[0].layers[0].weight.numpy(), blocks[0].layers[0].bias.numpy()
    W1, b1 = blocks[1].layers[0].weight.numpy(), blocks[1].layers[0].bias.numpy()
    sigmoid = lambda a: 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(features, sigmoid(sigmoid(X @ W0 + b0) @ W1 + b1), rtol=1e-5)
    np.testing.assert_array_equal(frozen_features([], X), X)


def test_greedy_pretrain_gives_each_stage_only_its_block_and_head_then_fine_tunes_everything():
    X, y = blobs()
    blocks = sigmoid_blocks([4, 8, 8, 8])
    handed_to_optimizers = []

    def make_optimizer(params):
        handed_to_optimizers.append(list(params))
        return optim.SGD(params, lr=0.5)

    result = greedy_pretrain(
        blocks,
        X,
        y,
        n_classes=3,
        epochs_per_layer=8,
        make_optimizer=make_optimizer,
        fine_tune_epochs=2,
        batch_size=16,
        rng=0,
    )
    assert len(handed_to_optimizers) == len(blocks) + 1
    for k, block in enumerate(blocks):
        stage_params = handed_to_optimizers[k]
        # exactly block k's weight and bias and the new head's weight and bias
        assert len(stage_params) == 4
        assert stage_params[0] is block.layers[0].weight and stage_params[1] is block.layers[0].bias
        others = [p for other in blocks if other is not block for p in other.parameters()]
        assert not any(p is q for p in stage_params for q in others)
    assert result.model.layers[:3] == blocks
    assert [id(p) for p in handed_to_optimizers[-1]] == [id(p) for p in result.model.parameters()]
    assert (
        handed_to_optimizers[-1][-1] is handed_to_optimizers[2][-1]
    )  # the last stage's head is kept
    assert len(result.stage_histories) == 3 and len(result.fine_tune_history.epoch_loss) == 2
    assert tg.training.accuracy(result.model, X, y) > 0.9  # well-separated blobs
