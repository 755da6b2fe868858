"""data: ``DataLoader``, which cuts a dataset into minibatches, reshuffled every epoch.

Minibatch methods (§8.1.3) sample a fresh random order of the examples every epoch. The
loader draws that order from its own NumPy Generator, so two loaders built with the same
``rng`` give the same batches, and nothing else that draws random numbers changes them.
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor


class DataLoader:
    """Iterate over ``(X_batch, y_batch)`` pairs of Tensors, one epoch per ``for`` loop.

    Args:
        X: inputs, an array or Tensor whose first axis indexes examples.
        y: targets with the same first axis (labels or regression targets).
        batch_size: rows per batch; the last batch is smaller unless ``drop_last``.
        shuffle: draw a new random order every epoch (otherwise 0, 1, 2, ...).
        drop_last: skip a last batch smaller than ``batch_size``.
        rng: the seed of the loader's own Generator: an int, a Generator, or None (a seed
            drawn once from the ``tg.manual_seed`` generator).
        sampler: decides the order (and choice) of examples instead of ``shuffle``; see below.

    **The sampler protocol** (what a curriculum plugs in). At the start of every epoch the
    loader calls ``sampler.set_epoch(epoch)`` if the sampler has that method (epochs count
    from 0), then iterates ``iter(sampler)`` once. The items it yields are integer indices
    into X, either one at a time (ints) or in groups (1-D integer arrays or lists); all the
    items of one epoch are joined, in order, into that epoch's index sequence, which is cut
    into batches of ``batch_size`` exactly as a shuffled order would be (``drop_last``
    applies). An epoch may use a subset of the examples, or an example more than once. A
    list of indices is a valid sampler that gives the same order every epoch. ``len(loader)``
    with a sampler needs ``len(sampler)`` to be the number of indices it yields per epoch.
    """

    def __init__(
        self,
        X,
        y,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        rng=None,
        sampler=None,
    ):
        self.X = X.data if isinstance(X, Tensor) else backend.as_array(X, copy=False)
        self.y = y.data if isinstance(y, Tensor) else backend.as_array(y, copy=False)
        if len(self.X) != len(self.y):
            raise ValueError(f"DataLoader: X has {len(self.X)} rows but y has {len(self.y)}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.sampler = sampler
        self.generator = (
            backend.rng(rng)
            if rng is not None
            else backend.numpy.random.default_rng(backend.rng(None).integers(2**63))
        )
        self.epoch = 0

    def epoch_indices(self):
        """The host index sequence of the next epoch (advances the epoch counter)."""
        if self.sampler is None:
            count = len(self.X)
            order = (
                self.generator.permutation(count) if self.shuffle else backend.numpy.arange(count)
            )
        else:
            if hasattr(self.sampler, "set_epoch"):
                self.sampler.set_epoch(self.epoch)
            parts = [_host_indices(item) for item in self.sampler]
            order = (
                backend.numpy.concatenate(parts) if parts else backend.numpy.zeros(0, dtype="int64")
            )
            if order.dtype.kind not in "iu":
                raise TypeError(
                    f"DataLoader: the sampler must yield integer indices, got {order.dtype}"
                )
        self.epoch += 1
        return order

    def __iter__(self):
        order = self.epoch_indices()
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            index = backend.to_device(
                order[start : start + self.batch_size], backend.device_of(self.X)
            )
            yield Tensor.from_array(self.X[index]), Tensor.from_array(self.y[index])

    def __len__(self) -> int:
        """Batches per epoch; with a sampler, ``len(sampler)`` must be the number of indices per epoch."""
        count = len(self.X) if self.sampler is None else len(self.sampler)
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)


def _host_indices(item):
    """A sampler's item (an int, a list, a NumPy or CuPy array) as a 1-D host array of indices."""
    host = backend.to_numpy(item) if backend.is_array(item) else backend.numpy.asarray(item)
    return backend.numpy.atleast_1d(host)
