"""data: the bundled handwritten digits, a minibatch loader and synthetic problems.

    from tinygrad_ch8 import data
    X, y = data.load_digits("train")                   # backend arrays: (1438, 64) float, (1438,) int64
    for xb, yb in data.DataLoader(X, y, batch_size=32, rng=0):
        ...

The digits are the UCI optical recognition of handwritten digits data (E. Alpaydin and
C. Kaynak, 1998, https://doi.org/10.24432/C50P49), CC BY 4.0; see docs/data.md.
"""

from . import synthetic
from .digits import load_digits
from .external import mnist1d, mnist_idx, read_idx
from .loader import DataLoader
from .preprocessing import standardize
from .synthetic import (
    beale,
    gaussian_blobs,
    ill_conditioned_quadratic,
    planted_sparse_coding,
    rosenbrock,
    spirals,
)

__all__ = [
    "load_digits",
    "DataLoader",
    "standardize",
    "synthetic",
    "spirals",
    "gaussian_blobs",
    "planted_sparse_coding",
    "ill_conditioned_quadratic",
    "rosenbrock",
    "beale",
    "mnist1d",
    "mnist_idx",
    "read_idx",
]
