"""Optim: AdaGrad (Algorithm 8.4), per-parameter learning rates shrinking with the squared gradients seen.

Section 8.5.1. Each coordinate's step is divided by the root of the sum of all its past
squared gradients, so steep directions slow down and flat ones keep moving; but the sum
only grows, and on long non-convex runs the steps can shrink too early (compare RMSprop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


def adagrad_update(
    param: Array,
    grad: Array,
    state: dict,
    *,
    lr: float,
    eps: float,
    weight_decay: float,
    initial_accumulator_value: float,
) -> tuple:
    """One AdaGrad step on arrays; returns ``(new_param, new_state)``.

    g ← g + λθ;   r ← r + g ⊙ g;   θ ← θ − ε g / (√r + δ)      (δ = eps)
    """
    xp = backend.array_module(param)
    if weight_decay != 0.0:
        grad = grad + weight_decay * param
    sum_of_squares = state.get("sum", xp.full_like(param, initial_accumulator_value))
    sum_of_squares = sum_of_squares + grad * grad
    new_param = param - lr * grad / (xp.sqrt(sum_of_squares) + eps)
    return new_param, {"sum": sum_of_squares}


class Adagrad(Optimizer):
    """AdaGrad: divide each coordinate's step by the root of its accumulated squared gradients.

    The book's Algorithm 8.4, with global learning rate ε and small constant δ (about 1e-7):

        r ← r + g ⊙ g
        Δθ ← −ε / (δ + √r) ⊙ g
        θ ← θ + Δθ

    Duchi, Hazan & Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization" (JMLR 2011).

    This is also ``torch.optim.Adagrad``'s update: δ (``eps``) sits outside the square root
    in both, √r + eps = δ + √r. Only the default differs: PyTorch's eps is 1e-10, the
    book's δ about 1e-7; pass ``eps=1e-7`` for the book's. ``weight_decay`` λ adds λθ to
    the gradient; ``initial_accumulator_value`` starts r there instead of at 0.

    Args:
        params: Tensors or parameter groups (see ``Optimizer``).
        lr: the global learning rate ε.
        eps: δ, added to √r to avoid a division by zero.
        weight_decay: λ of the L2 penalty added to the gradient.
        initial_accumulator_value: r at the start.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = optim.Adagrad([theta], lr=0.1)
        >>> opt.zero_grad()
        >>> (theta * theta).sum().backward()  # J = ‖θ‖², g = 2θ
        >>> opt.step()
        >>> [round(value, 6) for value in theta.tolist()]  # r = g², so the first step is ε g/√r = ε sign(g)
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 0.01,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ):
        defaults = {
            "lr": lr,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """θ ← θ − ε g / (√r + δ) for every parameter with a gradient (see ``adagrad_update``)."""
        return self.update_each_parameter(closure, adagrad_update)
