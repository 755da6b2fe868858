"""Strategies (§8.7): optimization strategies and meta-algorithms built on the engine, nn and optim.

coordinate_descent    cyclic and block coordinate descent over any function of the engine
sparse_coding         dictionary learning by alternating exact block minimizations
continuation          Gaussian-blurred objectives, each solution starting the next
curriculum            a sampler that shows easy examples first (and its variants)
pretraining           greedy supervised pretraining, layer by layer, then joint fine-tuning
fitnets               a thin deep student trained from a wide teacher's hints and soft targets
model_design          per-layer gradient norms; plain, residual and auxiliary-head networks
"""

from .continuation import ContinuationResult, blurred_objective, continuation, geometric_sigmas
from .coordinate_descent import CoordinateDescentResult, coordinate_descent
from .curriculum import SCHEDULES, CurriculumSampler, linear_pacing
from .fitnets import (
    FitNetResult,
    distillation_loss,
    hint_loss,
    train_distillation,
    train_fitnet,
    train_hints,
)
from .model_design import auxiliary_network, layer_gradient_norms, plain_network, residual_network
from .pretraining import PretrainingResult, greedy_pretrain, pretrain_layer
from .sparse_coding import SparseCodingResult, soft_threshold, sparse_coding

__all__ = [
    "coordinate_descent",
    "CoordinateDescentResult",
    "sparse_coding",
    "SparseCodingResult",
    "soft_threshold",
    "continuation",
    "ContinuationResult",
    "blurred_objective",
    "geometric_sigmas",
    "CurriculumSampler",
    "linear_pacing",
    "SCHEDULES",
    "greedy_pretrain",
    "pretrain_layer",
    "PretrainingResult",
    "layer_gradient_norms",
    "plain_network",
    "residual_network",
    "auxiliary_network",
    "train_fitnet",
    "train_hints",
    "train_distillation",
    "hint_loss",
    "distillation_loss",
    "FitNetResult",
]
