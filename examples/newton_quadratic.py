"""Newton's method solves a quadratic in one step; gradient descent needs many (§8.6.1, Algorithm 8.8).

On J(θ) = ½ (θ − θ*)ᵀ A (θ − θ*) with an ill-conditioned A (condition number κ), Newton's step
θ − H⁻¹g lands exactly on θ* because the quadratic model it minimizes *is* J. Gradient
descent, even with the best constant learning rate 2/(λ_min + λ_max), shrinks the error only
by (κ − 1)/(κ + 1) per step: with that step both eigen-directions shrink by exactly this
factor, so it needs ⌈ln(tol/‖θ0 − θ*‖) / ln((κ − 1)/(κ + 1))⌉ steps, about (κ/2) ln(1/tol).

What the learner should see: in the figure, Newton's path is a single straight segment onto
θ*, while gradient descent zig-zags across the narrow valley for hundreds of steps.

Claims checked in every run (the start θ0 is drawn from ``--seed`` on a circle around θ*,
30° to 60° away from A's eigenvectors so that both directions matter):
- ``newton_one_step``: after one Newton step ‖θ − θ*‖ is at round-off level (≤ 1e-12 in float64).
- ``gd_lr_tuned``: on a log grid of multiples of 2/(λ_min + λ_max), the step size needing the
  fewest steps lies strictly inside the grid (larger steps diverge, smaller ones are slower).
- ``gd_steps_match_theory``: with lr 2/(λ_min + λ_max) gradient descent needs exactly the
  predicted number of steps (± 1).

    python examples/newton_quadratic.py [--fast] [--seed N] [--out DIR]
"""

import math

import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim, viz

ANGLE = 0.5  # the quadratic's axes are rotated, so no coordinate is special
TARGET = np.array([1.0, -0.5])
START_RADIUS = 1.8
TOLERANCE = 1e-6
LR_FACTORS = [2.0**k for k in (-1, -0.5, -0.25, 0, 0.25)]  # × 2/(λ_min + λ_max), a log grid;
# the top value exceeds 2/λ_max, where gradient descent diverges


def quadratic(condition: float):
    """A = R diag(1, κ) Rᵀ, and J(θ) as a Tensor function and as a NumPy grid function."""
    rotation = np.array([[np.cos(ANGLE), -np.sin(ANGLE)], [np.sin(ANGLE), np.cos(ANGLE)]])
    A = rotation @ np.diag([1.0, condition]) @ rotation.T
    A_t, target_t = tg.Tensor(A), tg.Tensor(TARGET)

    def loss(theta):
        e = theta - target_t
        return 0.5 * (e * (A_t @ e)).sum()

    def on_grid(X, Y):
        e1, e2 = X - TARGET[0], Y - TARGET[1]
        return 0.5 * (A[0, 0] * e1 * e1 + 2 * A[0, 1] * e1 * e2 + A[1, 1] * e2 * e2)

    return A, loss, on_grid


def error(point) -> float:
    return float(np.linalg.norm(point - TARGET))


def path_of(make_optimizer, start, loss, steps: int):
    """The iterates until ‖θ − θ*‖ ≤ TOLERANCE (or ``steps`` run out, or θ blows up)."""
    theta = tg.Tensor(start, requires_grad=True)
    optimizer = make_optimizer([theta])
    path = [theta.numpy().copy()]
    while len(path) <= steps and TOLERANCE < error(path[-1]) < 1e6:
        if isinstance(optimizer, optim.Newton):
            optimizer.step(lambda: loss(theta))
        else:
            optimizer.zero_grad()
            loss(theta).backward()
            optimizer.step()
        path.append(theta.numpy().copy())
    return np.array(path)


def steps_to_tolerance(path) -> float:
    return len(path) - 1 if error(path[-1]) <= TOLERANCE else math.inf


def main():
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")
    claims = Claims(args.fast)
    condition = 10.0 if args.fast else 50.0
    A, loss, on_grid = quadratic(condition)
    eigenvalues = np.linalg.eigvalsh(A)
    rng = np.random.default_rng(args.seed)
    # 30° to 60° away from A's eigenvectors (in any quadrant), so both directions matter
    phi = ANGLE + rng.uniform(np.pi / 6, np.pi / 3) + rng.integers(4) * np.pi / 2
    start = TARGET + START_RADIUS * np.array([np.cos(phi), np.sin(phi)])
    print(f"J(θ) = ½(θ − θ*)ᵀA(θ − θ*), condition number κ = {condition:.0f}, θ* = {TARGET}")
    print(f"start θ0 = {np.round(start, 3)} (‖θ0 − θ*‖ = {START_RADIUS})")

    newton_path = path_of(optim.Newton, start, loss, steps=10)
    claims.check(
        "newton_one_step",
        f"‖θ1 − θ*‖ = {error(newton_path[1]):.1e} after one Newton step (need ≤ 1e-12)",
        error(newton_path[1]) <= 1e-12,
    )

    theory_lr = 2 / (eigenvalues[0] + eigenvalues[-1])
    grid = [factor * theory_lr for factor in LR_FACTORS]
    paths = [path_of(lambda p, lr=lr: optim.SGD(p, lr=lr), start, loss, steps=5000) for lr in grid]
    steps = [steps_to_tolerance(path) for path in paths]
    print("gradient descent, steps to ‖θ − θ*‖ ≤ 1e-6 per lr:")
    print("  " + ", ".join(f"{lr:.4f}: {s}" for lr, s in zip(grid, steps, strict=True)))
    best_on_grid(claims, "gd_lr", grid, steps, what="lr (steps to tolerance)")
    gd_path = paths[LR_FACTORS.index(1.0)]

    rate = (condition - 1) / (condition + 1)
    predicted = math.ceil(math.log(TOLERANCE / START_RADIUS) / math.log(rate))
    gd_steps = steps_to_tolerance(gd_path)
    claims.check(
        "gd_steps_match_theory",
        f"gradient descent with lr 2/(λmin + λmax) = {theory_lr:.4f} took {gd_steps} steps; theory "
        f"⌈ln(tol/‖θ0 − θ*‖)/ln({rate:.3f})⌉ = {predicted} (need within ± 1), Newton took "
        f"{steps_to_tolerance(newton_path)}",
        abs(gd_steps - predicted) <= 1,
    )

    reach = START_RADIUS + 0.3
    figure = viz.plot_contour_paths(
        on_grid,
        {"Newton": newton_path, "gradient descent, lr 2/(λmin+λmax)": gd_path},
        xlim=(TARGET[0] - reach, TARGET[0] + reach),
        ylim=(TARGET[1] - reach, TARGET[1] + reach),
        title=f"J = ½(θ−θ*)ᵀA(θ−θ*), κ = {condition:.0f}: steps to ‖θ−θ*‖ ≤ 1e-6",
    )
    save_figure(figure, args, "newton_quadratic")
    claims.finish()


if __name__ == "__main__":
    main()
