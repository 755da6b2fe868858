"""Damped Newton: as the damping α grows, the step becomes gradient descent with step 1/α (§8.6.1).

The book regularizes Newton's step with α on the diagonal, θ ← θ − (H + αI)⁻¹ g (eq. 8.28),
and notes that for large α the step approaches the gradient step −g/α. In H's eigenbasis
(eigenvalues λ_i) the two differ, coordinate by coordinate, by the factor λ_i / (λ_i + α):
the relative gap ‖(H + αI)⁻¹g − g/α‖ / ‖g/α‖ is at most λ_max / (λ_max + α), which falls
like λ_max/α once α ≫ λ_max; at α = 0 the step is Newton's, which solves the local quadratic.

The problem: softmax regression with a small L2 penalty (1e-2/2 ‖θ‖², which also fixes the bias that
softmax leaves free) on 3 Gaussian classes in
5 dimensions (18 parameters, float64), the data and the starting point drawn from ``--seed``;
H is positive definite everywhere, so ``optim.Newton`` uses the α it is given. The start is
near θ = 0 (N(0, 0.1²) entries): from far away (N(0, 1)) the undamped step overshoots on this
cost, which is almost linear there, and the run diverges; damping or a line search fixes that.

What the learner should see: on the left, the measured gap of one step from the start (dots)
under its bound λ_max/(λ_max + α) (line), falling to 0 as α grows; on the right, the cost of
damped Newton runs (solid) and of gradient descent with step 1/α (dashed, same colour): the
undamped run is done in a handful of iterations, and the pairs become one curve as α grows.

    python examples/damped_newton.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, optim

FEATURES, CLASSES = 5, 3
PENALTY = 1e-2


def softmax_regression(X, y):
    X = tg.Tensor(X)

    def loss(theta):
        """Mean cross-entropy of softmax(X W + b) + (λ/2)‖θ‖², θ = [vec(W); b]."""
        W = theta[: FEATURES * CLASSES].reshape(FEATURES, CLASSES)
        return (
            F.cross_entropy(X @ W + theta[FEATURES * CLASSES :], y)
            + 0.5 * PENALTY * (theta * theta).sum()
        )

    return loss


def run(loss, theta0, iterations: int, damping: float | None = None, lr: float | None = None):
    """The iterates of damped Newton (``damping``) or of gradient descent (``lr``)."""
    theta = tg.Tensor(theta0.copy(), requires_grad=True)
    if damping is not None:
        optimizer = optim.Newton([theta], damping=damping, tolerance_grad=0.0, tolerance_change=0.0)
    else:
        optimizer = optim.SGD([theta], lr=lr)
    iterates = [theta0.copy()]
    for _ in range(iterations):
        if damping is None:
            optimizer.zero_grad()
            loss(theta).backward()
            optimizer.step()
        else:
            optimizer.step(lambda: loss(theta))
        iterates.append(theta.numpy().copy())
    return np.array(iterates)


def values(loss, iterates) -> np.ndarray:
    with tg.no_grad():
        return np.array([loss(tg.Tensor(theta)).item() for theta in iterates])


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    rng = np.random.default_rng(args.seed)
    X, y, _ = data.gaussian_blobs(
        200, CLASSES, FEATURES, spread=1.5, center_box=2.0, rng=rng, dtype="float64"
    )
    loss = softmax_regression(X, y)
    n = (FEATURES + 1) * CLASSES
    theta0 = rng.normal(0.0, 0.1, n)

    start = tg.Tensor(theta0, requires_grad=True)
    (gradient,) = tg.grad(loss(start), [start])
    g = gradient.numpy()
    eigenvalues = np.linalg.eigvalsh(tg.autograd.hessian(loss, [tg.Tensor(theta0)]))
    lam_max = float(eigenvalues[-1])
    print(f"Hessian at the start: λ_min {eigenvalues[0]:.3g}, λ_max {lam_max:.3g}")

    dampings = lam_max * np.logspace(-3, 3, 13)
    gaps, bounds = [], []
    for alpha in dampings:
        step = run(loss, theta0, 1, damping=float(alpha))[1] - theta0
        gaps.append(np.linalg.norm(step + g / alpha) / np.linalg.norm(g / alpha))
        bounds.append(lam_max / (lam_max + alpha))
    gaps, bounds = np.array(gaps), np.array(bounds)
    claims.check(
        "gap_under_bound",
        f"‖step − (−g/α)‖/‖g/α‖ ≤ λ_max/(λ_max + α) at {np.sum(gaps <= bounds + 1e-12)} of "
        f"{len(dampings)} dampings α = 1e-3 … 1e3 λ_max (need all)",
        bool(np.all(gaps <= bounds + 1e-12)),
    )
    claims.check(
        "gap_falls_to_zero",
        f"gap {gaps[0]:.3f} at α = 1e-3 λ_max, {gaps[6]:.3f} at λ_max, {gaps[-1]:.1e} at 1e3 λ_max "
        f"(need decreasing at every α and < 1e-3 at the largest)",
        bool(np.all(np.diff(gaps) < 0) and gaps[-1] < 1e-3),
    )

    iterations = 10 if args.fast else 60
    minimum = run(loss, theta0, 30, damping=0.0)[-1]
    j_star = float(values(loss, [minimum])[0])
    runs = {}
    for factor in (0.0, 0.1, 1.0, 10.0, 100.0):
        alpha = factor * lam_max
        newton = run(loss, theta0, iterations, damping=alpha)
        descent = run(loss, theta0, iterations, lr=1 / alpha) if alpha > 0 else None
        runs[factor] = (newton, descent)
    newton_steps = int(np.argmax(values(loss, runs[0.0][0]) - j_star < 1e-10))
    claims.check(
        "undamped_newton_converges_fast",
        f"undamped Newton reaches J − J* < 1e-10 in {newton_steps} iterations (need 1 … 8)",
        0 < newton_steps <= 8,
    )
    if not claims.needs_full_run("runs_merge", "60 iterations of each run"):
        scale = np.linalg.norm(theta0 - minimum)
        separation = {
            factor: np.linalg.norm(newton - descent, axis=1).max() / scale
            for factor, (newton, descent) in runs.items()
            if descent is not None
        }
        claims.check(
            "runs_merge",
            "max_k ‖θ_k(Newton, α) − θ_k(GD, 1/α)‖ / ‖θ_0 − θ*‖ over 60 iterations: "
            + ", ".join(f"{v:.1e} at α = {f:g} λ_max" for f, v in separation.items())
            + " (need decreasing, and < 1e-2 at 100 λ_max)",
            bool(np.all(np.diff(list(separation.values())) < 0) and separation[100.0] < 1e-2),
        )

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    left.loglog(dampings / lam_max, bounds, "-", color="grey", label="bound λ_max / (λ_max + α)")
    left.loglog(dampings / lam_max, gaps, "o", color="tab:blue", label="measured, one step")
    left.set(
        title="How far the damped Newton step is from −g/α",
        xlabel="damping α / λ_max",
        ylabel="‖step + g/α‖ / ‖g/α‖",
    )
    left.legend(loc="lower left", fontsize=8)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(runs)))
    for colour, (factor, (newton, descent)) in zip(colours, runs.items(), strict=True):
        right.semilogy(
            np.maximum(values(loss, newton) - j_star, 1e-16),
            color=colour,
            label=f"Newton, α = {factor:g} λ_max",
        )
        if descent is not None:
            right.semilogy(
                np.maximum(values(loss, descent) - j_star, 1e-16),
                "--",
                color=colour,
                label="GD, ε = 1/α",
            )
    right.set(
        title="Damped Newton (solid) and gradient descent with step 1/α (dashed)",
        xlabel="iteration",
        ylabel="J − J* (nats, log scale, floor 1e-16)",
    )
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    save_figure(figure, args, "damped_newton")
    claims.finish()


if __name__ == "__main__":
    main()
