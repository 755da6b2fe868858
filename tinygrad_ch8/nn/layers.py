"""nn: the layers: ``Linear``, the activations, ``Sequential``, ``ModuleList``, ``Identity``,
``Flatten``, ``Dropout``, ``BatchNorm1d`` and ``Residual``.

Every layer creates its parameters eagerly, in the default dtype and on the default device,
and computes its output from Tensor ops only, so gradients and second derivatives (Hessian-
vector products) flow through any stack of them. Auxiliary classifier heads live in
``auxiliary.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import backend
from .. import functional as F
from ..creation import ones, zeros
from ..functional import affine
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import init as initializers
from .module import Module, Parameter


class Linear(Module):
    """A dense (affine) layer y = x W + b, with W of shape (m, n) = (in_features, out_features).

    Args:
        in_features: m, the size of each input row.
        out_features: n, the size of each output row.
        bias: whether to add b (zeros at start). Switch it off before a batch norm layer,
            whose β does the same job (§8.7.1).
        init: the weight initializer, a name from ``init.INITIALIZERS`` (default Glorot's
            normalized initialization, U(−√(6/(m+n)), √(6/(m+n)))) or a callable
            ``init(shape, rng=..., dtype=...)`` returning an array.
        rng: None (the ``tg.manual_seed`` generator), an int seed or a NumPy Generator.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Callable = "glorot_uniform",
        rng=None,
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        initializer = initializers.get(init)
        weight = initializer(
            (in_features, out_features), rng=rng, dtype=backend.get_default_dtype()
        )
        self.weight = Parameter(weight, device=backend.get_default_device())
        self.bias = Parameter(zeros(out_features).data) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return affine(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class ReLU(Module):
    """max(x, 0): no saturation for positive inputs, the default hidden unit (§8.7.5)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    """σ(x) = 1 / (1 + exp(−x)); saturates at both ends, which slows training of deep stacks."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """tanh(x); zero-centred, but saturating like the sigmoid."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sequential(Module):
    """Modules applied one after another; ``Sequential(a, b)(x) = b(a(x))``.

    The modules are kept in the list ``self.layers``, so their parameters are named
    ``layers.0.weight``, ``layers.1.weight``, ...
    """

    def __init__(self, *layers: Module):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (``layers.0.weight``, ...), as
    PyTorch's ``ModuleList``; it has no ``forward``: the owner decides how to call them.
    A plain Python list of modules held by a module works the same way here."""

    def __init__(self, modules=()):
        super().__init__()
        self.layers = list(modules)

    def append(self, module: Module) -> ModuleList:
        self.layers.append(module)
        return self

    def extend(self, modules) -> ModuleList:
        self.layers.extend(modules)
        return self

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def named_children(self):
        """The modules named ``0``, ``1``, ...: so a ModuleList ``blocks`` gives ``blocks.0.weight``."""
        return ((str(index), module) for index, module in enumerate(self.layers))


class Identity(Module):
    """y = x: a placeholder where a layer is optional (PyTorch's ``Identity``)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Axes ``start_dim`` … ``end_dim`` merged into one; by default every axis but the batch's."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout (Srivastava et al. 2014; the book's §7.12): in training mode each unit is
    zeroed with probability p and the others scaled by 1 / (1 − p); in eval mode y = x.

    Args:
        p: the probability of dropping a unit.
        rng: None (the ``tg.manual_seed`` generator, so a seed fixes the masks), an int seed
            or a NumPy Generator.
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p}")
        self.p = p
        self.rng = backend.rng(rng) if rng is not None else None

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalization (Ioffe & Szegedy 2015; the book's §8.7.1) of (N, C) activations.

    In training mode each feature is normalized with the statistics of the minibatch H:

        μ = mean_N(H),   σ = √(δ + mean_N((H − μ)²)),   H' = (H − μ) / σ,   output γ H' + β,

    with δ = ``eps``. Everything is written with Tensor ops, μ and σ included, so the
    gradient flows through the batch statistics (no detached mean, no cached 1/σ) and second
    derivatives (Hessian-vector products) are exact.

    The running averages used in eval mode follow PyTorch's conventions, which the book does
    not fix: ``momentum`` is the weight of the new batch,

        running_mean ← (1 − momentum) running_mean + momentum μ
        running_var  ← (1 − momentum) running_var  + momentum · N/(N − 1) · mean_N((H − μ)²)

    i.e. normalization uses the biased variance and the running average the unbiased one. In
    eval mode H' = (H − running_mean) / √(running_var + δ).

    Args:
        num_features: C, the number of features (columns).
        eps: δ, keeps σ away from zero.
        momentum: the weight of each new batch in the running averages.
        affine: whether to learn γ (``gamma``, ones at start) and β (``beta``, zeros).
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.gamma = Parameter(ones(num_features).data) if affine else None
        self.beta = Parameter(zeros(num_features).data) if affine else None
        self.register_buffer("running_mean", zeros(num_features))
        self.register_buffer("running_var", ones(num_features))

    @property
    def running_mean(self) -> Tensor:
        return self.buffers_by_name["running_mean"]

    @property
    def running_var(self) -> Tensor:
        return self.buffers_by_name["running_var"]

    def forward(self, h: Tensor) -> Tensor:
        if h.ndim != 2 or h.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d: expected input of shape (N, {self.num_features}), got {h.shape}"
            )
        if self.training:
            count = h.shape[0]
            if count < 2:
                raise ValueError(
                    "BatchNorm1d: training needs at least 2 rows per batch for a variance"
                )
            mean = h.mean(axis=0)
            centered = h - mean
            variance = (centered * centered).mean(axis=0)
            normalized = centered / (variance + self.eps).sqrt()
            self._update_running_statistics(mean, variance, count)
        else:
            normalized = (h - self.running_mean) / (self.running_var + self.eps).sqrt()
        if self.gamma is None:
            return normalized
        return self.gamma * normalized + self.beta

    def _update_running_statistics(self, mean: Tensor, variance: Tensor, count: int) -> None:
        keep, new = 1 - self.momentum, self.momentum
        with no_grad():
            unbiased = variance.data * (count / (count - 1))
            self.running_mean.data[...] = keep * self.running_mean.data + new * mean.data
            self.running_var.data[...] = keep * self.running_var.data + new * unbiased

    def extra_repr(self) -> str:
        affine = self.gamma is not None
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={affine}"


class Residual(Module):
    """A skip connection: y = x + block(x) (He et al. 2016; §8.7.5).

    The identity path gives the gradient a route to lower layers that no saturating unit
    can shrink: ∂y/∂x = I + ∂block/∂x. ``block`` must keep the shape of its input.
    """

    def __init__(self, block: Module):
        super().__init__()
        self.block = block

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)
