"""Optim: RMSProp (Algorithm 8.5) and RMSProp with Nesterov momentum (Algorithm 8.6).

Section 8.5.2. AdaGrad with its sum of squared gradients replaced by an exponentially
decaying average, so that the history from a distant region of the cost is forgotten and
the steps stay alive once a convex bowl is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .optimizer import Optimizer, check_beta, check_nonnegative


def rmsprop_update(
    param: Array,
    grad: Array,
    state: dict,
    *,
    lr: float,
    alpha: float,
    eps: float,
    momentum: float,
    nesterov: bool,
    weight_decay: float,
) -> tuple:
    """One RMSProp step on arrays; returns ``(new_param, new_state)``.

    g ← g + λθ;   r ← ρr + (1 − ρ) g ⊙ g;   u ← g / (√r + δ)      (ρ = alpha, δ = eps)
    no momentum:  θ ← θ − ε u
    momentum μ:   b ← μb + u;  θ ← θ − ε b
    Nesterov:     b ← μb + u;  θ ← θ − ε (u + μb)
    """
    xp = backend.array_module(param)
    if weight_decay != 0.0:
        grad = grad + weight_decay * param
    square_avg = alpha * state.get("square_avg", xp.zeros_like(param)) + (1.0 - alpha) * grad * grad
    scaled_grad = grad / (xp.sqrt(square_avg) + eps)
    if momentum == 0.0:
        return param - lr * scaled_grad, {"square_avg": square_avg}
    buffer = momentum * state.get("momentum_buffer", xp.zeros_like(param)) + scaled_grad
    direction = scaled_grad + momentum * buffer if nesterov else buffer
    return param - lr * direction, {"square_avg": square_avg, "momentum_buffer": buffer}


class RMSprop(Optimizer):
    """RMSProp: divide each coordinate's step by a moving root-mean-square of its gradients.

    The book's Algorithm 8.5, with learning rate ε, decay rate ρ and small constant δ (about 1e-6):

        r ← ρr + (1 − ρ) g ⊙ g
        Δθ = −ε / √(δ + r) ⊙ g
        θ ← θ + Δθ

    and Algorithm 8.6, RMSProp with Nesterov momentum α and velocity v:

        θ̃ ← θ + αv;   g ← ∇J(θ̃)
        r ← ρr + (1 − ρ) g ⊙ g
        v ← αv − ε / √r ⊙ g
        θ ← θ + v

    Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012).

    Conventions (PyTorch's ``torch.optim.RMSprop`` for everything it has):

    - δ (``eps``) sits *outside* the square root, √r + δ, where Algorithm 8.5 has √(δ + r).
      The two agree once r ≫ δ²; there is no setting that gives √(δ + r) exactly.
    - Momentum μ (the book's α) acts on the scaled gradient u = g / (√r + δ) with a buffer
      of the other sign, b = −v/ε: b ← μb + u; θ ← θ − ε b. At a constant learning rate this
      is the book's velocity form.
    - ``nesterov=True`` (not in PyTorch) is Algorithm 8.6 in Sutskever's reformulation,
      exactly as in ``SGD``: the parameter stored is the book's look-ahead point θ̃ = θ + αv,
      so the gradient is taken at the parameter, and the update is θ̃ ← θ̃ − ε(u + μb) with
      b ← μb + u. The book's θ is θ̃ + εμb. Algorithm 8.6 as printed has no δ, so a zero
      gradient on the first step divides 0 by 0; δ is added here as in the other RMSProp
      updates, u = g / (√r + δ).
    - ``weight_decay`` λ adds λθ to the gradient.

    Args:
        params: Tensors or parameter groups (see ``Optimizer``).
        lr: the learning rate ε.
        alpha: the decay rate ρ of the average of squared gradients.
        eps: δ, added to √r.
        momentum: μ (the book's α); 0 is plain RMSProp (Algorithm 8.5).
        nesterov: Algorithm 8.6 (needs momentum > 0).
        weight_decay: λ of the L2 penalty added to the gradient.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = optim.RMSprop([theta], lr=0.01, alpha=0.99)
        >>> opt.zero_grad()
        >>> (theta * theta).sum().backward()  # J = ‖θ‖², g = 2θ
        >>> opt.step()
        >>> [round(value, 6) for value in theta.tolist()]  # r = (1 − ρ)g², step ε g/√r = (ε/√0.01) sign(g)
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "momentum": momentum,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        check_beta("alpha", group["alpha"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        if group["nesterov"] and group["momentum"] <= 0.0:
            raise ValueError("Nesterov momentum needs momentum > 0")

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One RMSProp step for every parameter with a gradient (see ``rmsprop_update``)."""
        return self.update_each_parameter(closure, rmsprop_update)
