"""Optim: a model's parameters seen as one flat vector θ, the view the methods of section 8.6 work in.

Line searches, conjugate directions, BFGS's matrix M and Newton's Hessian H are defined on
a vector θ ∈ ℝⁿ, while a model keeps its parameters as several arrays of different shapes.
These helpers join the arrays into one vector (in the parameters' order) and split a
vector back, on whatever device the parameters live.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import backend
from ..backend import Array
from ..tensor import Tensor


def flatten(arrays: Sequence[Array]) -> Array:
    """One vector holding every array's elements in order: [vec(a₁); vec(a₂); ...]."""
    xp = backend.array_module(arrays[0])
    return xp.concatenate([array.reshape(-1) for array in arrays])


def unflatten(vector: Array, shapes: Sequence[tuple]) -> list:
    """``vector`` cut into consecutive pieces with the given shapes (views, not copies)."""
    pieces, offset = [], 0
    for shape in shapes:
        size = 1
        for extent in shape:
            size *= extent
        pieces.append(vector[offset : offset + size].reshape(shape))
        offset += size
    return pieces


def parameters_vector(params: Sequence[Tensor]) -> Array:
    """θ: a new vector with the parameters' current values."""
    return flatten([param.data for param in params])


def set_parameters(params: Sequence[Tensor], vector: Array) -> None:
    """Write θ back into the parameters, in place (models keep referring to the same arrays)."""
    for param, piece in zip(
        params, unflatten(vector, [param.shape for param in params]), strict=True
    ):
        param.data[...] = piece


def gradient_vector(params: Sequence[Tensor], gradients: Sequence[Tensor | None]) -> Array:
    """g: the gradients joined in the parameters' order; a parameter the loss ignores gets zeros."""
    return flatten(
        [
            backend.array_module(param.data).zeros_like(param.data)
            if gradient is None
            else gradient.data
            for param, gradient in zip(params, gradients, strict=True)
        ]
    )
