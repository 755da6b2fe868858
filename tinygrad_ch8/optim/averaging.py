"""Optim: Polyak averaging (section 8.7.3), the average of the points an optimizer visits.

A wrapper beside any optimizer, not an optimizer itself: it never changes the trajectory.
An optimizer that oscillates across a narrow valley keeps jumping from wall to wall, but
the average of the points it visits sits near the bottom; evaluating with the averaged
weights then beats evaluating with the last ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from .. import backend
from ..nn.module import Module
from ..tensor import Tensor


class PolyakAveraging:
    """Keep a running average θ̂ of parameters and swap it in for evaluation.

    ``decay=None``, the uniform average of the book (Polyak & Juditsky 1992), over the t
    calls of ``update()`` so far:

        θ̂(t) = (1/t) Σ_{i=1..t} θ(i),   kept incrementally as θ̂(t) = (1 − 1/t) θ̂(t−1) + θ(t)/t

    ``decay=α`` (a float in [0, 1)), the exponential moving average the book recommends for
    non-convex problems, where points from long ago in a distant basin should be forgotten:

        θ̂(t) = α θ̂(t−1) + (1 − α) θ(t),   started at θ̂(1) = θ(1)

    What is averaged:

    - ``PolyakAveraging(model.parameters())`` (or any iterable of Tensors): those tensors.
    - ``PolyakAveraging(model)`` with an ``nn.Module``: its parameters *and* its float
      buffers, so batch normalization's running mean and variance are averaged and
      swapped along with the weights they belong to.

    Call ``update()`` after each optimizer step; inside ``with averaging.swapped():`` the
    tensors hold θ̂, and afterwards (also after an exception) exactly the live θ again.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([0.0], dtype="float64", requires_grad=True)
        >>> averaging = optim.PolyakAveraging([theta])
        >>> for value in (1.0, 2.0, 6.0):  # the points an optimizer visited
        ...     theta.data[...] = value
        ...     averaging.update()
        >>> with averaging.swapped():
        ...     print(theta.tolist())  # θ̂ = (1 + 2 + 6)/3
        [3.0]
        >>> theta.tolist()  # the live θ again
        [6.0]
    """

    def __init__(self, params: Module | Iterable[Tensor], decay: float | None = None):
        if decay is not None and not 0.0 <= decay < 1.0:
            raise ValueError(
                f"invalid decay: {decay} (None for the uniform average, or a float in [0, 1))"
            )
        tensors = (
            params.parameters() + params.buffers() if isinstance(params, Module) else list(params)
        )
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"PolyakAveraging averages Tensors, got {type(tensor).__name__}")
        self.tensors = [
            tensor for tensor in tensors if backend.is_float(tensor.dtype)
        ]  # not counters
        self.decay = decay
        self.num_updates = 0
        self.averages = [tensor.data.copy() for tensor in self.tensors]

    def update(self) -> None:
        """Fold the current values θ(t) into the average θ̂."""
        self.num_updates += 1
        if self.num_updates == 1:
            weight = 1.0
        elif self.decay is None:
            weight = 1.0 / self.num_updates
        else:
            weight = 1.0 - self.decay
        for average, tensor in zip(self.averages, self.tensors, strict=True):
            average[...] = (1.0 - weight) * average + weight * tensor.data

    @contextlib.contextmanager
    def swapped(self) -> Iterator[PolyakAveraging]:
        """Inside the block the tensors hold θ̂; on leaving it they hold the live θ again, exactly."""
        if self.num_updates == 0:
            raise RuntimeError(
                "PolyakAveraging has no average yet: call update() after an optimizer step"
            )
        live = [tensor.data.copy() for tensor in self.tensors]
        try:
            for tensor, average in zip(self.tensors, self.averages, strict=True):
                tensor.data[...] = average
            yield self
        finally:
            for tensor, values in zip(self.tensors, live, strict=True):
                tensor.data[...] = values

    def state_dict(self) -> dict:
        """The average by tensor position, the number of updates and the decay; arrays are copies."""
        return {
            "decay": self.decay,
            "num_updates": self.num_updates,
            "averages": [average.copy() for average in self.averages],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if len(state_dict["averages"]) != len(self.tensors):
            raise ValueError(
                f"load_state_dict: {len(state_dict['averages'])} saved averages "
                f"for {len(self.tensors)} tensors"
            )
        self.decay = state_dict["decay"]
        self.num_updates = state_dict["num_updates"]
        self.averages = [
            backend.to_device(average, tensor.device).copy()
            for average, tensor in zip(state_dict["averages"], self.tensors, strict=True)
        ]
