"""Optim: stochastic gradient descent with momentum and Nesterov momentum (Algorithms 8.1-8.3).

The baselines of section 8.3 that every adaptive method of 8.5 is compared with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..backend import Array
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


def sgd_update(
    param: Array,
    grad: Array,
    state: dict,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
) -> tuple:
    """One SGD step on arrays, PyTorch's convention; returns ``(new_param, new_state)``.

    g ← g + λθ                                    (weight_decay λ)
    b ← g on the first step, else b ← μb + (1 − dampening) g
    d ← g + μb with Nesterov, else d ← b          (d ← g without momentum)
    θ ← θ − ε d
    """
    if weight_decay != 0.0:
        grad = grad + weight_decay * param
    if momentum == 0.0:
        return param - lr * grad, state
    if "momentum_buffer" in state:
        buffer = momentum * state["momentum_buffer"] + (1.0 - dampening) * grad
    else:
        buffer = grad.copy()
    direction = grad + momentum * buffer if nesterov else buffer
    return param - lr * direction, {"momentum_buffer": buffer}


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    The book (section 8.3), with learning rate ε, momentum α and velocity v:

        Algorithm 8.1 (SGD):       θ ← θ − ε g
        Algorithm 8.2 (momentum):  v ← αv − ε g;   θ ← θ + v
        Algorithm 8.3 (Nesterov):  θ̃ ← θ + αv;  g ← ∇J(θ̃);  v ← αv − ε g;  θ ← θ + v

    Momentum: Polyak (1964); Nesterov: Nesterov (1983), for deep learning Sutskever et al.,
    "On the importance of initialization and momentum in deep learning" (ICML 2013).

    PyTorch's convention, used here so that the same hyperparameters give the same
    trajectory as ``torch.optim.SGD``:

    - Momentum is written with a buffer of accumulated *gradients* b = −v/ε, of the other
      sign: b ← μb + g; θ ← θ − ε b (with μ = α). At a constant learning rate this is the
      book's trajectory exactly (the first step b = g is the book's v = −εg). When ε changes
      (a schedule) the two differ: the book's v keeps the old ε in its memory, b does not.
    - Nesterov is Sutskever's reformulation: the parameter stored is the book's look-ahead
      point θ̃ = θ + αv, so the gradient is simply taken at the parameter and the update is
      θ̃ ← θ̃ − ε(g + μb). The book's θ is recovered as θ̃ − αv = θ̃ + εμb.
    - ``weight_decay`` λ adds λθ to the gradient (an L2 penalty λ/2‖θ‖² in the cost).
    - ``dampening`` scales the new gradient in the buffer by (1 − dampening), from the
      second step on (PyTorch's rule); the book has none.

    Args:
        params: Tensors or parameter groups (see ``Optimizer``).
        lr: the learning rate ε.
        momentum: μ (the book's α); 0 is plain SGD.
        nesterov: use Nesterov momentum (needs momentum > 0 and no dampening).
        weight_decay: λ of the L2 penalty added to the gradient.
        dampening: the buffer's damping of new gradients.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = optim.SGD([theta], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (theta * theta).sum().backward()  # J = ‖θ‖², g = 2θ
        ...     opt.step()
        >>> [round(value, 6) for value in theta.tolist()]  # θ₁ = 0.8θ₀, b₂ = 0.9·2θ₀ + 2θ₁, θ₂ = 0.46θ₀
        [0.46, -0.92]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "dampening": dampening,
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("dampening", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0.0 or group["dampening"] != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """θ ← θ − ε d for every parameter with a gradient (see ``sgd_update``)."""
        return self.update_each_parameter(closure, sgd_update)
