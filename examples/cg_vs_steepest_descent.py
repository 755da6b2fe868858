"""Steepest descent zig-zags; conjugate gradients finish a k-dimensional quadratic in k steps (§8.6.2).

Steepest descent with an exact line search stops where the new gradient is orthogonal to
the old direction, so consecutive steps are at right angles and, in a narrow valley, it
zig-zags across the valley instead of along it. Conjugate gradients choose each direction
A-conjugate to the previous ones (d_iᵀA d_j = 0), so a line minimum along one direction is
never undone by the next: on J(θ) = ½θᵀAθ − bᵀθ in k dimensions they reach the minimum in
at most k steps (in exact arithmetic; round-off erodes conjugacy slowly). Linear CG is
``optim.conjugate_gradient``; nonlinear CG (Algorithm 8.9, ``optim.NonlinearCG``) does the
same with inexact (strong Wolfe) line searches on any loss.

    python examples/cg_vs_steepest_descent.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim, viz  # noqa: E402


def spd_matrix(eigenvalues, seed: int):
    q, _ = np.linalg.qr(
        np.random.default_rng(seed).standard_normal((len(eigenvalues), len(eigenvalues)))
    )
    return (q * eigenvalues) @ q.T


def steepest_descent(A, b, start, steps: int):
    """Iterates of θ ← θ − αg with the exact line minimum α = gᵀg / gᵀAg."""
    path = [start]
    for _ in range(steps):
        g = A @ path[-1] - b
        if g @ g < 1e-30:  # at θ* to round-off: the exact step length is 0/0
            break
        path.append(path[-1] - (g @ g) / (g @ A @ g) * g)
    return np.array(path)


def linear_cg(A, b, start, steps: int):
    """Iterates of linear CG from ``start``: CG's k-th iterate on A e = b − A start, added to start."""
    residual = b - A @ start
    return np.array(
        [start]
        + [
            start + optim.conjugate_gradient(lambda v: A @ v, residual, max_iter=k).x
            for k in range(1, steps + 1)
        ]
    )


def nonlinear_cg(A, b, start, steps: int):
    """Iterates of ``optim.NonlinearCG`` (Polak–Ribière, strong Wolfe line search) on the same quadratic."""
    theta = tg.Tensor(start, requires_grad=True)
    A_t, b_t = tg.Tensor(A), tg.Tensor(b)
    cg = optim.NonlinearCG([theta], tolerance_grad=1e-12)
    path = [start]
    for _ in range(steps):
        cg.step(lambda: 0.5 * (theta * (A_t @ theta)).sum() - (b_t * theta).sum())
        path.append(theta.numpy().copy())
    return np.array(path)


def error(A, b, path):
    """‖θ − θ*‖ along a path."""
    return np.linalg.norm(path - np.linalg.solve(A, b), axis=1)


def main():
    args = parse_args(__doc__)
    # the picture: a narrow 2-D valley
    rotation = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
    A2 = rotation @ np.diag([1.0, 12.0]) @ rotation.T
    b2 = A2 @ np.array([1.0, 0.5])
    start2 = np.array([-2.0, 0.0])
    paths = {
        "steepest descent (exact line search)": steepest_descent(A2, b2, start2, 30),
        "linear CG": linear_cg(A2, b2, start2, 2),
        "nonlinear CG (Alg. 8.9)": nonlinear_cg(A2, b2, start2, 4),
    }

    # the count: k dimensions, eigenvalues evenly spread over [1, κ]. (In floating point the
    # conjugacy slowly erodes; eigenvalues spread geometrically make CG need a few more than k.)
    k = 10 if args.fast else 20
    condition = 100.0
    A = spd_matrix(np.linspace(1.0, condition, k), seed=1)
    b = np.random.default_rng(2).standard_normal(k)
    start = np.zeros(k)
    errors = {
        "steepest descent": error(A, b, steepest_descent(A, b, start, 4 * k)),
        "linear CG": error(A, b, linear_cg(A, b, start, k)),
        "nonlinear CG": error(A, b, nonlinear_cg(A, b, start, 2 * k)),
    }

    print("2-D valley (κ = 12), distance to θ* after each method's steps:")
    for name, path in paths.items():
        print(f"  {name:38s} {len(path) - 1:3d} steps -> {error(A2, b2, path)[-1]:.1e}")
    print(
        f"{k}-D quadratic with eigenvalues from 1 to {condition:.0f}, ‖θ − θ*‖ relative to the start:"
    )
    for name, values in errors.items():
        relative = values / values[0]
        reached = np.flatnonzero(relative < 1e-8)
        summary = f"{relative[-1]:.1e} after {len(values) - 1} steps"
        if reached.size:
            summary = f"below 1e-8 after {reached[0]} steps"
        print(f"  {name:17s} {summary}")

    figure, (left, right) = plt.subplots(1, 2, figsize=(13.5, 4.8))

    def f2(X, Y):
        return (
            0.5 * (A2[0, 0] * X * X + 2 * A2[0, 1] * X * Y + A2[1, 1] * Y * Y)
            - b2[0] * X
            - b2[1] * Y
        )

    viz.plot_contour_paths(
        f2,
        paths,
        xlim=(-2.5, 2.0),
        ylim=(-1.5, 2.0),
        ax=left,
        title="a 2-D valley: zig-zag against conjugate directions",
    )
    viz.plot_curves(
        {name: values / values[0] for name, values in errors.items()},
        xlabel="step",
        ylabel="‖θ − θ*‖ / ‖θ₀ − θ*‖",
        logy=True,
        ax=right,
        title=f"k = {k} dimensions: CG is exact after k steps",
    )
    right.axvline(k, color="gray", linestyle=":")
    figure.tight_layout()
    save_figure(figure, args, "cg_vs_steepest_descent")


if __name__ == "__main__":
    main()
