"""Optim: Adam (Algorithm 8.7), RMSProp plus momentum with bias-corrected moment estimates; and AdamW.

Section 8.5.3. Adam keeps moving averages of the gradient (the first moment s) and of its
square (the second moment r), both started at zero; dividing them by 1 − ρ^t removes the
bias towards zero of the first steps. AdamW (Loshchilov & Hutter 2019) shrinks the weights
directly instead of adding an L2 penalty's gradient that Adam would rescale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import backend
from ..backend import Array
from ..tensor import Tensor
from .optimizer import Optimizer, check_beta, check_nonnegative


def adam_update(
    param: Array,
    grad: Array,
    state: dict,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
) -> tuple:
    """One Adam step on arrays; returns ``(new_param, new_state)``.

    t ← t + 1;   g ← g + λθ
    s ← ρ1 s + (1 − ρ1) g;   r ← ρ2 r + (1 − ρ2) g ⊙ g
    r_max ← max(r_max, r) with amsgrad (used in place of r below)
    θ ← θ − ε / (1 − ρ1^t) · s / (√r / √(1 − ρ2^t) + δ)
    """
    xp = backend.array_module(param)
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    if weight_decay != 0.0:
        grad = grad + weight_decay * param
    exp_avg = beta1 * state.get("exp_avg", xp.zeros_like(param)) + (1.0 - beta1) * grad
    exp_avg_sq = beta2 * state.get("exp_avg_sq", xp.zeros_like(param)) + (1.0 - beta2) * grad * grad
    new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    second_moment = exp_avg_sq
    if amsgrad:
        second_moment = xp.maximum(state.get("max_exp_avg_sq", xp.zeros_like(param)), exp_avg_sq)
        new_state["max_exp_avg_sq"] = second_moment
    bias_correction1 = 1.0 - beta1**step
    bias_correction2 = 1.0 - beta2**step
    denominator = xp.sqrt(second_moment) / bias_correction2**0.5 + eps
    return param - (lr / bias_correction1) * exp_avg / denominator, new_state


def adamw_update(
    param: Array,
    grad: Array,
    state: dict,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
) -> tuple:
    """One AdamW step: shrink θ ← θ(1 − ελ), then an Adam step without L2 term."""
    return adam_update(
        param * (1.0 - lr * weight_decay),
        grad,
        state,
        lr=lr,
        betas=betas,
        eps=eps,
        weight_decay=0.0,
        amsgrad=amsgrad,
    )


class Adam(Optimizer):
    """Adam: momentum on the gradient, RMSProp's scaling, both moment estimates bias-corrected.

    The book's Algorithm 8.7, with step size ε (default 0.001), decay rates ρ1 = 0.9,
    ρ2 = 0.999, δ = 1e-8, moments s = r = 0 and time step t = 0:

        t ← t + 1
        s ← ρ1 s + (1 − ρ1) g            r ← ρ2 r + (1 − ρ2) g ⊙ g
        ŝ ← s / (1 − ρ1^t)               r̂ ← r / (1 − ρ2^t)
        Δθ = −ε ŝ / (√r̂ + δ)            θ ← θ + Δθ

    Kingma & Ba, "Adam: a method for stochastic optimization" (ICLR 2015); amsgrad from
    Reddi, Kale & Kumar, "On the convergence of Adam and beyond" (ICLR 2018).

    This is ``torch.optim.Adam``'s update, with the same names (``betas`` = (ρ1, ρ2),
    ``eps`` = δ) and defaults. δ sits outside the root of the *corrected* r̂ in both (the
    paper's "efficient version" puts it outside the root of the uncorrected r, which is a
    slightly different δ). ``amsgrad=True`` divides by the root of the largest r seen so
    far, so the effective step never grows. ``weight_decay`` λ adds λθ to the gradient,
    which Adam then rescales like any gradient: for decoupled decay use ``AdamW``.

    Args:
        params: Tensors or parameter groups (see ``Optimizer``).
        lr: the step size ε.
        betas: (ρ1, ρ2), the decay rates of the first and second moment estimates.
        eps: δ, added to √r̂.
        weight_decay: λ of the L2 penalty added to the gradient.
        amsgrad: use the running maximum of r.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = optim.Adam([theta], lr=0.1)
        >>> opt.zero_grad()
        >>> (theta * theta).sum().backward()  # J = ‖θ‖², g = 2θ
        >>> opt.step()
        >>> [round(value, 6) for value in theta.tolist()]  # bias-corrected ŝ/√r̂ = g/|g|: the first step is ε sign(g)
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        super().check_hyperparameters(group)
        if len(group["betas"]) != 2:
            raise ValueError(
                f"invalid betas: {group['betas']} (expected two numbers (beta1, beta2))"
            )
        check_beta("beta1", group["betas"][0])
        check_beta("beta2", group["betas"][1])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One Adam step for every parameter with a gradient (see ``adam_update``)."""
        return self.update_each_parameter(closure, adam_update)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ(1 − ελ) before each Adam step.

    Adam's ``weight_decay`` adds λθ to g, and the division by √r̂ then gives weights with
    large gradients less decay than others. Loshchilov & Hutter, "Decoupled weight decay
    regularization" (ICLR 2019), shrink the weights directly, which for plain SGD is the
    same thing as an L2 penalty and for Adam is not. Same update and defaults as
    ``torch.optim.AdamW`` (note its default λ = 0.01).

    Args:
        params, lr, betas, eps, amsgrad: as for ``Adam``.
        weight_decay: λ; each step multiplies θ by (1 − ελ).

    Example:
        >>> import tinygrad_ch8 as tg
        >>> from tinygrad_ch8 import optim
        >>> theta = tg.Tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = optim.AdamW([theta], lr=0.1, weight_decay=0.5)
        >>> opt.zero_grad()
        >>> (theta * theta).sum().backward()  # J = ‖θ‖², g = 2θ
        >>> opt.step()
        >>> [round(value, 6) for value in theta.tolist()]  # θ(1 − ελ) = 0.95θ, then ε sign(g)
        [0.85, -1.8]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One AdamW step for every parameter with a gradient (see ``adamw_update``)."""
        return self.update_each_parameter(closure, adamw_update)
