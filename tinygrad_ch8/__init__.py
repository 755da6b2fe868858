"""tinygrad_ch8: a small reverse-mode autograd engine and every method of Chapter 8 (part II)
of Goodfellow, Bengio & Courville's *Deep Learning*, on NumPy or CuPy.

The layers, bottom up (each imports only those below it): the engine (``backend``,
``grad_mode``, ``Tensor``, ``Function``, ``ops``, ``autograd``, ``functional``) → ``nn`` and
``data`` → ``optim`` → ``training`` → ``strategies`` → ``viz`` and the command line.

    import tinygrad_ch8 as tg
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad          # Tensor([2., 4.])
"""

from .tensor import Tensor  # noqa: I001  (first: the modules below import it)
from . import autograd, functional
from .autograd import grad
from .backend import (
    cuda_available,
    get_default_device,
    get_default_dtype,
    manual_seed,
    set_default_device,
    set_default_dtype,
)
from .backend import float32, float64, int64
from .grad_mode import enable_grad, no_grad
from .functional import cat, concatenate, stack, where
from . import data, nn, optim, training, strategies, viz
from .nn import init
from .serialization import load, save

# Last: `tg.tensor` is the function, as in PyTorch, not the submodule tensor.py (which is
# still `sys.modules["tinygrad_ch8.tensor"]`; the package imports it as `from .tensor import`).
from .creation import arange, eye, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "autograd",
    "functional",
    "grad",
    "no_grad",
    "enable_grad",
    "tensor",
    "concatenate",
    "cat",
    "stack",
    "where",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "arange",
    "eye",
    "rand",
    "randn",
    "float32",
    "float64",
    "int64",
    "manual_seed",
    "set_default_dtype",
    "get_default_dtype",
    "set_default_device",
    "get_default_device",
    "cuda_available",
    "viz",
    "optim",
    "nn",
    "init",
    "data",
    "save",
    "load",
    "training",
    "strategies",
    "__version__",
]
