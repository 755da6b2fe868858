"""Strategies (§8.7.6): continuation by Gaussian blurring, from an easy smooth objective to the real one.

A continuation method minimizes a sequence of objectives J⁽⁰⁾, ..., J⁽ⁿ⁾ that grow harder, each
started from the solution of the one before. Blurring gives such a sequence for any J:

    J_σ(θ) = E_{ε∼N(0, I)} J(θ + σε),

the average of J over a Gaussian of width σ around θ. A large σ washes out bumps narrower than
σ (for J = cos(ωθ) exactly: J_σ = exp(−ω²σ²/2) cos(ωθ)), so J_σ may have one basin where J has
many; shrinking σ to 0 returns to J, and if each solution lies in the basin of the next
objective's best minimum, the last one is found. Nothing guarantees that (a narrow, deep global
minimum is blurred away too), which is why the book calls these methods heuristics.

J_σ is estimated by sampling with *common random numbers*: each stage draws its m noise
vectors ε₁ … ε_m once, so Ĵ_σ(θ) = (1/m) Σ_j J(θ + σε_j) is one fixed smooth function that
plain gradient descent can minimize, rather than a new random function at every step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import backend
from ..backend import Array, Seed
from ..grad_mode import no_grad
from ..optim.sgd import SGD
from ..tensor import Tensor


@dataclass
class ContinuationResult:
    """What ``continuation`` found.

    Attributes:
        x: the final point (a backend array shaped like ``x0``).
        sigmas: σ of each stage, in the order they ran.
        stage_starts: the point each stage started from (stage i starts where stage i − 1 ended).
        stage_ends: the point each stage ended at.
        path: every gradient-descent iterate, shape (1 + stages × steps, d).
        values: J (not the blurred objective) at each point of ``path``.
    """

    x: Array
    sigmas: list
    stage_starts: list = field(default_factory=list)
    stage_ends: list = field(default_factory=list)
    path: Array | None = None
    values: list = field(default_factory=list)


def geometric_sigmas(
    sigma_max: float, sigma_min: float, n_stages: int, final_zero: bool = True
) -> list:
    """σ_i = σ_max (σ_min/σ_max)^(i/(n−1)) for i = 0 … n−1, then σ = 0 (J itself) when ``final_zero``."""
    if n_stages < 1 or not 0 < sigma_min <= sigma_max:
        raise ValueError(
            f"geometric_sigmas: need n_stages >= 1 and 0 < sigma_min <= sigma_max, "
            f"got {n_stages}, {sigma_min}, {sigma_max}"
        )
    ratio = sigma_min / sigma_max
    sigmas = [sigma_max * ratio ** (i / max(n_stages - 1, 1)) for i in range(n_stages)]
    return sigmas + [0.0] if final_zero else sigmas


def blurred_objective(
    fn: Callable[[Tensor], Tensor], theta: Tensor, sigma: float, noise: Array
) -> Tensor:
    """Ĵ_σ(θ) = (1/m) Σ_j J(θ + σ ε_j), the sampled Gaussian blur of J at θ (a scalar Tensor).

    Args:
        fn: J, taking a Tensor of points (m, d) to their m values (a Tensor of shape (m,)).
        theta: θ, a Tensor of shape (d,); the result is differentiable in it.
        sigma: σ, the blur width; 0 gives J(θ) itself.
        noise: the standard normal vectors ε_j, an array of shape (m, d) on θ's device. Passing
            the same ``noise`` at every θ (common random numbers) makes Ĵ_σ one fixed function.
    """
    points = theta.reshape(1, -1)
    if sigma == 0:
        return fn(points).sum()
    return fn(points + Tensor.from_array(sigma * noise)).mean()


def continuation(
    fn: Callable[[Tensor], Tensor],
    x0: Array | Sequence[float] | Tensor,
    sigmas: Sequence[float],
    n_steps: int = 200,
    lr: float = 0.01,
    n_samples: int = 64,
    rng: Seed = None,
) -> ContinuationResult:
    """Minimize the blurred objectives J_σ for each σ in ``sigmas`` in turn, each from the last one's end.

    Each stage runs ``n_steps`` of gradient descent θ ← θ − ε ∇Ĵ_σ(θ) (``optim.SGD``, one
    ``step(closure)`` each) on the sampled blur Ĵ_σ of ``blurred_objective``, with noise drawn afresh for each stage and fixed within it.
    A σ of 0 is J itself.

    Args:
        fn: J, taking a Tensor of points (m, d) to their m values (shape (m,)).
        x0: the starting point, d values (list, array or Tensor).
        sigmas: the blur widths, normally shrinking and ending with 0 (see ``geometric_sigmas``).
        n_steps: gradient-descent steps per stage.
        lr: ε, the step size.
        n_samples: m, noise vectors per stage.
        rng: None, an int seed or a numpy Generator for the noise.

    Returns:
        A ``ContinuationResult``.

    Example:
        >>> from tinygrad_ch8.strategies import continuation, geometric_sigmas
        >>> def well(p, centre, width):
        ...     return (-((p - centre) ** 2) / width).exp()
        >>> def two_wells(p):  # a narrow well at 3, a wider and deeper one at 0
        ...     return (0.05 * p * p - well(p, 3.0, 0.1) - well(p, 0.0, 0.5)).sum(axis=1)
        >>> result = continuation(two_wells, [3.0], geometric_sigmas(2.0, 0.1, 5), lr=0.05, rng=0)
        >>> bool(abs(float(result.x[0])) < 0.5)  # started in the well at 3, ends in the one at 0
        True
    """
    theta = backend.as_array(x0.data if isinstance(x0, Tensor) else x0).reshape(-1)
    xp = backend.array_module(theta)
    generator = backend.rng(rng)
    result = ContinuationResult(x=theta, sigmas=[float(s) for s in sigmas])
    path = [theta.copy()]
    result.values.append(_value(fn, theta))
    for sigma in result.sigmas:
        result.stage_starts.append(theta.copy())
        noise = backend.to_device(
            generator.standard_normal((n_samples, theta.shape[0])).astype(theta.dtype),
            backend.device_of(theta),
        )
        leaf = Tensor.from_array(theta.copy()).requires_grad_()
        descent = SGD([leaf], lr=lr)
        for _ in range(n_steps):
            descent.step(functools.partial(blurred_objective, fn, leaf, sigma, noise))
            path.append(leaf.data.copy())
            result.values.append(_value(fn, leaf.data))
        theta = leaf.data.copy()
        result.stage_ends.append(theta.copy())
    result.x = theta
    result.path = xp.stack(path)
    return result


def _value(fn, theta) -> float:
    with no_grad():
        return float(fn(Tensor.from_array(theta.reshape(1, -1))).sum().item())
