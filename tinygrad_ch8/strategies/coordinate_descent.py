"""Strategies (§8.7.2): coordinate descent and block coordinate descent over any function of the engine.

Coordinate descent minimizes f(x) one coordinate x_i at a time, holding the others fixed, and
cycles through the coordinates; block coordinate descent does the same with groups of
coordinates (blocks) x_B. Each block step here is a Newton step on the block,

    x_B ← x_B − t H_BB⁻¹ g_B,    g_B = ∂f/∂x_B,    H_BB = ∂²f/∂x_B²,

with H_BB the exact block Hessian from double backward (``tg.autograd.hessian`` on f
restricted to the block). When f is quadratic in x_B (and H_BB is positive definite) the
full step t = 1 lands on the exact minimizer of the block, so this *is* exact block
minimization. Otherwise the step length t comes from a backtracking (Armijo) line search
(``optim.line_search.backtracking``), and where H_BB is not positive definite the direction
is damped, −(H_BB + τI)⁻¹ g_B with the smallest τ tried that makes H_BB + τI positive
definite (``optim.newton.newton_direction``, the helper Newton's method uses), so every
accepted step lowers f and f never increases.

The method works well when the coordinates barely interact (a separable f is solved in one
sweep) and crawls when one variable's best value depends strongly on another's: on the
book's example f(x) = (x₁ − x₂)² + α(x₁² + x₂²) with small α, each coordinate step moves x₁
only to x₂/(1 + α), so every sweep shrinks x by just (1 + α)⁻².
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import backend
from ..autograd import hessian
from ..backend import Array
from ..grad_mode import no_grad
from ..optim.closure import loss_and_gradients
from ..optim.line_search import backtracking
from ..optim.newton import newton_direction
from ..tensor import Tensor


@dataclass
class CoordinateDescentResult:
    """What ``coordinate_descent`` found.

    Attributes:
        x: the final point (a backend array shaped like ``x0``).
        values: f at the start and after every block step.
        path: the point at the start and after every block step, shape (len(values), n).
        n_sweeps: the number of full passes over the blocks that ran.
    """

    x: Array
    values: list = field(default_factory=list)
    path: Array | None = None
    n_sweeps: int = 0


def coordinate_descent(
    fn: Callable[[Tensor], Tensor],
    x0: Array | Sequence[float] | Tensor,
    blocks: Sequence[Sequence[int]] | None = None,
    max_sweeps: int = 100,
    tol: float = 0.0,
    newton_steps: int = 1,
    armijo: float = 1e-4,
) -> CoordinateDescentResult:
    """Minimize ``fn`` by cyclic (block) coordinate descent.

    Args:
        fn: maps a 1-D Tensor x of n coordinates to a scalar Tensor f(x).
        x0: the starting point, n values (list, array or Tensor); its float dtype is kept.
        blocks: the index groups x_B visited in turn each sweep; None gives one block per
            coordinate (plain cyclic coordinate descent). They may overlap or leave some
            coordinates out.
        max_sweeps: the largest number of passes over all blocks.
        tol: stop after a sweep that lowered f by no more than ``tol``.
        newton_steps: line-searched Newton steps per block visit. One is exact for a block in
            which f is quadratic; more approach the exact block minimizer of a smooth convex f.
        armijo: the sufficient-decrease constant c: a step t is accepted when
            f(x_B + t d) ≤ f(x_B) + c t g_Bᵀd.

    Returns:
        A ``CoordinateDescentResult`` with the point, f and the path after every block step.
    """
    x = backend.as_array(x0.data if isinstance(x0, Tensor) else x0)
    if x.ndim != 1:
        raise ValueError(
            f"coordinate_descent: x0 must be a vector of coordinates, got shape {x.shape}"
        )
    xp = backend.array_module(x)
    n = x.shape[0]
    blocks = [[i] for i in range(n)] if blocks is None else [list(block) for block in blocks]
    for block in blocks:
        if not block or min(block) < -n or max(block) >= n:
            raise ValueError(
                f"coordinate_descent: block {block} must hold indices of the {n} coordinates"
            )
    value = _evaluate(fn, x)
    values, path = [value], [x.copy()]
    sweeps = 0
    while sweeps < max_sweeps:
        value_before_sweep = value
        for block in blocks:
            for _ in range(newton_steps):
                x, value = _block_step(fn, x, xp.asarray(block), value, armijo)
            values.append(value)
            path.append(x.copy())
        sweeps += 1
        if value_before_sweep - value <= tol:
            break
    return CoordinateDescentResult(x=x, values=values, path=xp.stack(path), n_sweeps=sweeps)


def _evaluate(fn, x) -> float:
    with no_grad():
        return float(fn(Tensor.from_array(x)).item())


def _block_step(fn, x, block, value: float, armijo: float):
    """One line-searched Newton step on the coordinates ``block`` of ``x``: (new x, f(new x))."""
    xp = backend.array_module(x)
    # f restricted to the block: x = x_rest + z S, where the rows of S pick the block's coordinates
    selector = xp.zeros((len(block), x.shape[0]), dtype=x.dtype)
    selector[xp.arange(len(block)), block] = 1
    rest = x.copy()
    rest[block] = 0

    def restricted(z: Tensor) -> Tensor:
        return fn(Tensor.from_array(rest) + z @ Tensor.from_array(selector))

    def value_and_gradient(z):
        leaf = Tensor.from_array(z).requires_grad_()
        restricted_value, (g,) = loss_and_gradients(
            lambda: restricted(leaf), [leaf], caller="coordinate_descent"
        )
        return float(restricted_value.item()), g.data

    z = x[block].copy()
    _, g = value_and_gradient(z)
    direction, _ = newton_direction(hessian(restricted, z), g)
    slope = float(g @ direction)
    if slope >= 0:  # a zero gradient: the block is already at a stationary point
        return x, value

    def phi(t: float) -> tuple[float, float]:
        trial_value, trial_gradient = value_and_gradient(z + t * direction)
        return trial_value, float(trial_gradient @ direction)

    search = backtracking(phi, value, slope, alpha=1.0, c1=armijo, max_evaluations=60)
    if not search.success:
        return x, value
    stepped = x.copy()
    stepped[block] = z + search.alpha * direction
    return stepped, search.value
