"""Strategies (§8.7.4): FitNets, a thin deep student taught by a wide shallow teacher (Romero et al. 2015).

A deep, thin network is hard to train from the labels alone. FitNets trains it in two stages
from a wide, shallow teacher that was trained first and now only answers questions (it stays
in eval mode and its outputs are computed without a graph):

1. Hints. The student's lower layers up to a "guided" layer, v(x), followed by a small
   regressor r, learn to predict the teacher's middle layer, the "hint" u(x):

       L_hint = ½ ‖u(x) − r(v(x))‖²      (averaged over the minibatch).

   Only the student's lower layers and r move; its upper layers and the teacher do not.
2. Distillation. The whole student trains on the labels and on the teacher's outputs softened
   by a temperature τ, p_T = softmax(z_T / τ) (Hinton et al. 2015):

       L_KD = H(y, softmax(z_S)) + λ τ² H(p_T, softmax(z_S / τ)).

   A high τ spreads the teacher's probability over the wrong classes too, which says which
   digits it finds alike; the factor τ² keeps the soft term's gradient at the same scale
   as τ changes (its gradient shrinks like 1/τ²).

The regressor is needed because the student's guided layer is narrower than the teacher's hint
layer; it is thrown away after stage 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import backend
from ..backend import Array, Seed
from ..data.loader import DataLoader
from ..functional import cross_entropy, softmax
from ..nn.layers import Sequential
from ..nn.module import Module
from ..tensor import Tensor
from ..training import frozen_features, train_classifier


@dataclass
class FitNetResult:
    """The loss of every minibatch step of each stage of ``train_fitnet``."""

    hint_losses: list = field(default_factory=list)
    distillation_losses: list = field(default_factory=list)


def hint_loss(teacher_hint: Tensor, regressed_guided: Tensor) -> Tensor:
    """L_hint = ½ ‖u(x) − r(v(x))‖², summed over the hint's units and averaged over the batch."""
    difference = teacher_hint - regressed_guided
    return 0.5 * (difference * difference).sum() / difference.shape[0]


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    labels: Array | Tensor,
    temperature: float = 4.0,
    soft_weight: float = 1.0,
) -> Tensor:
    """L_KD = H(y, softmax(z_S)) + λ τ² H(softmax(z_T/τ), softmax(z_S/τ)), each averaged over the batch.

    Args:
        student_logits: z_S, (N, C), with its graph.
        teacher_logits: z_T, (N, C); treated as constant.
        labels: y, N integer class indices.
        temperature: τ > 0; τ = 1 gives the teacher's own probabilities.
        soft_weight: λ, the weight of the soft-target term.
    """
    if temperature <= 0:
        raise ValueError(f"distillation_loss: the temperature must be positive, got {temperature}")
    soft_targets = softmax(teacher_logits.detach() / temperature, axis=1)
    soft_term = cross_entropy(student_logits / temperature, soft_targets)
    return cross_entropy(student_logits, labels) + soft_weight * temperature**2 * soft_term


def train_hints(
    teacher: Sequential,
    student: Sequential,
    regressor: Module,
    X: Array | Tensor,
    hint_layer: int,
    guided_layer: int,
    epochs: int,
    make_optimizer: Callable[[list], object],
    batch_size: int = 64,
    rng: Seed = None,
) -> list:
    """Stage 1: fit ``student.layers[:guided_layer]`` and ``regressor`` to the teacher's hint.

    Args:
        teacher: the trained teacher; u(x) is the output of ``teacher.layers[:hint_layer]``.
        student: the student; v(x) is the output of ``student.layers[:guided_layer]``.
        regressor: r, mapping v(x) to the shape of u(x).
        X: training inputs.
        hint_layer, guided_layer: how many leading layers of the teacher / student make u / v.
        epochs: passes over the data.
        make_optimizer: builds an optimizer from a list of parameters.
        batch_size, rng: the minibatches.

    Returns:
        The hint loss of every step.
    """
    hints = frozen_features(teacher.layers[:hint_layer], X)
    guided = Sequential(*student.layers[:guided_layer])
    student.train()

    def loss_of_batch(regressed_guided: Tensor, teacher_hint: Tensor) -> Tensor:
        return hint_loss(teacher_hint, regressed_guided)

    loader = DataLoader(X, hints, batch_size=batch_size, rng=rng)
    return _fit(Sequential(guided, regressor), loss_of_batch, loader, epochs, make_optimizer)


def train_distillation(
    teacher: Module,
    student: Module,
    X: Array | Tensor,
    y: Array | Tensor,
    epochs: int,
    make_optimizer: Callable[[list], object],
    temperature: float = 4.0,
    soft_weight: float = 1.0,
    batch_size: int = 64,
    rng: Seed = None,
) -> list:
    """Stage 2: train every layer of ``student`` on ``distillation_loss`` against the teacher's logits.

    Returns:
        The distillation loss of every step.
    """
    X = X.data if isinstance(X, Tensor) else X
    y = y.data if isinstance(y, Tensor) else y
    teacher_logits = frozen_features([teacher], X)
    student.train()

    def loss_of_batch(student_logits: Tensor, rows: Tensor) -> Tensor:
        return distillation_loss(
            student_logits,
            Tensor.from_array(teacher_logits[rows.data]),
            y[rows.data],
            temperature,
            soft_weight,
        )

    # the loader's targets are row numbers, so one batch can fetch both its labels and the teacher's logits
    rows = backend.array_module(X).arange(len(X))
    loader = DataLoader(X, rows, batch_size=batch_size, rng=rng)
    return _fit(student, loss_of_batch, loader, epochs, make_optimizer)


def train_fitnet(
    teacher: Sequential,
    student: Sequential,
    regressor: Module,
    X: Array | Tensor,
    y: Array | Tensor,
    hint_layer: int,
    guided_layer: int,
    make_optimizer: Callable[[list], object],
    hint_epochs: int,
    distillation_epochs: int,
    temperature: float = 4.0,
    soft_weight: float = 1.0,
    batch_size: int = 64,
    rng: Seed = None,
) -> FitNetResult:
    """Both FitNets stages: ``train_hints`` then ``train_distillation``. The teacher is put in eval mode.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import nn, optim
        >>> from tinygrad_ch8.strategies import train_fitnet
        >>> tg.manual_seed(0)
        >>> X = tg.randn(64, 8, rng=0).numpy()
        >>> y = (X[:, 0] > 0).astype("int64")
        >>> teacher = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))  # trained first
        >>> student = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> result = train_fitnet(
        ...     teacher, student, nn.Linear(4, 32), X, y, hint_layer=2, guided_layer=2,
        ...     make_optimizer=lambda params: optim.Adam(params, lr=1e-2),
        ...     hint_epochs=2, distillation_epochs=2, batch_size=16, rng=0,
        ... )
        >>> len(result.hint_losses), len(result.distillation_losses)  # 4 steps per epoch
        (8, 8)
    """
    teacher.eval()
    return FitNetResult(
        hint_losses=train_hints(
            teacher,
            student,
            regressor,
            X,
            hint_layer,
            guided_layer,
            hint_epochs,
            make_optimizer,
            batch_size,
            rng,
        ),
        distillation_losses=train_distillation(
            teacher,
            student,
            X,
            y,
            distillation_epochs,
            make_optimizer,
            temperature,
            soft_weight,
            batch_size,
            rng,
        ),
    )


def _fit(
    model: Module,
    loss_fn: Callable,
    loader: DataLoader,
    epochs: int,
    make_optimizer: Callable[[list], object],
) -> list:
    """``train_classifier`` on ``loss_fn(model(inputs), targets)``, whose targets are not labels.

    Returns the loss of every step.
    """
    optimizer = make_optimizer(model.parameters())
    history = train_classifier(model, optimizer, loader, epochs, loss_fn=loss_fn, classifies=False)
    return history.step_loss
