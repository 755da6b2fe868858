"""Steepest descent zig-zags; conjugate gradients finish a k-dimensional quadratic in k steps (§8.6.2).

Steepest descent with an exact line search stops where the new gradient is orthogonal to
the old direction, so consecutive steps are at right angles and, in a narrow valley, it
zig-zags across the valley instead of along it. Conjugate gradients choose each direction
A-conjugate to the previous ones (d_iᵀA d_j = 0), so a line minimum along one direction is
never undone by the next: on J(θ) = ½θᵀAθ − bᵀθ in k dimensions they reach the minimum in
at most k steps, in exact arithmetic (in float64 to about 1e-15).

That needs each step to land exactly on the line minimum. Three conjugate-gradient runs show
it: linear CG (``optim.conjugate_gradient``); the book's nonlinear CG, Algorithm 8.9
(Polak–Ribière), with the exact line minimum α = −gᵀd / dᵀAd that a quadratic allows; and the
same algorithm as ``optim.NonlinearCG`` runs it on any loss, with an inexact strong Wolfe line
search. The first two are one method and finish in k steps; the Wolfe search stops near, not
at, each line minimum, and the k-step termination is lost. The problem (a random rotation of
eigenvalues evenly spread over [1, 100], b, and the 2-D start) is drawn from ``--seed``.

What the learner should see: on the left, steepest descent zig-zags down the 2-D valley while
linear CG reaches the minimum in 2 steps; on the right, both exact-search CG curves drop to
round-off at step k (dotted line), the Wolfe-search curve keeps going past it, and steepest
descent has barely started. The x axis counts iterations, one line search each. The claims,
decided in every run:

- ``linear_cg_k_steps``, ``alg89_exact_search_k_steps``: after k steps ‖θ − θ*‖ / ‖θ₀ − θ*‖
  < 1e-10.
- ``wolfe_search_loses_k_steps``: after k steps the Wolfe-search error is more than 100 times
  the exact search's.
- ``steepest_descent_is_slow``: after k steps steepest descent's error is above 1e-3.
- ``two_steps_in_2d``: in the 2-D valley (the start drawn between its axes) linear CG is at the
  minimum (< 1e-10) after 2 steps, steepest descent is not (> 1e-3).

    python examples/cg_vs_steepest_descent.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim, viz

CONDITION = 100.0
EXACT = 1e-10  # "at the minimum": float64 round-off is about 1e-15


def random_spd_matrix(eigenvalues, rng):
    """Q diag(eigenvalues) Qᵀ with a random orthogonal Q."""
    q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
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


def alg89_exact_search(A, b, start, steps: int):
    """Algorithm 8.9 (Polak–Ribière, clipped at 0) with the exact line minimum of the quadratic."""
    theta, g = start.copy(), A @ start - b
    d = -g
    path = [theta]
    for _ in range(steps):
        curvature = d @ A @ d
        if g @ g < 1e-30 or curvature <= 0:  # at θ* to round-off: nothing left to do
            path.append(theta)
            continue
        theta = theta - (g @ d) / curvature * d
        new_g = A @ theta - b
        beta = max(0.0, (new_g - g) @ new_g / (g @ g))
        d, g = -new_g + beta * d, new_g
        path.append(theta)
    return np.array(path)


def wolfe_search_cg(A, b, start, steps: int):
    """Iterates of ``optim.NonlinearCG`` (Polak–Ribière, strong Wolfe line search) on the quadratic."""
    theta = tg.Tensor(start, requires_grad=True)
    A_t, b_t = tg.Tensor(A), tg.Tensor(b)
    cg = optim.NonlinearCG([theta], tolerance_grad=1e-12)
    path = [start]
    for _ in range(steps):
        cg.step(lambda: 0.5 * (theta * (A_t @ theta)).sum() - (b_t * theta).sum())
        path.append(theta.numpy().copy())
    return np.array(path)


def relative_error(A, b, path):
    """‖θ − θ*‖ / ‖θ₀ − θ*‖ along a path."""
    distance = np.linalg.norm(path - np.linalg.solve(A, b), axis=1)
    return distance / distance[0]


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(args.seed)

    # the picture: a narrow 2-D valley, the start 2.5 from its minimum
    rotation = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
    A2 = rotation @ np.diag([1.0, 12.0]) @ rotation.T
    minimum2 = np.array([1.0, 0.5])
    b2 = A2 @ minimum2
    # between the valley's axes (at 0.6 and 0.6 + π/2 rad), where steepest descent must zig-zag
    angle = 0.6 + rng.uniform(np.pi / 8, 3 * np.pi / 8) + np.pi * rng.integers(2)
    start2 = minimum2 + 2.5 * np.array([np.cos(angle), np.sin(angle)])
    paths = {
        "steepest descent (exact line search)": steepest_descent(A2, b2, start2, 30),
        "linear CG": linear_cg(A2, b2, start2, 2),
    }
    sd_2d = relative_error(A2, b2, paths["steepest descent (exact line search)"])
    cg_2d = relative_error(A2, b2, paths["linear CG"])
    claims.check(
        "two_steps_in_2d",
        f"after 2 steps in the 2-D valley (κ = 12): linear CG {cg_2d[2]:.1e} (need < {EXACT:g}), "
        f"steepest descent {sd_2d[2]:.1e} (need > 1e-3)",
        cg_2d[2] < EXACT and sd_2d[2] > 1e-3,
    )

    k = 20  # a second at most: --fast runs the same problem
    A = random_spd_matrix(np.linspace(1.0, CONDITION, k), rng)
    b = rng.standard_normal(k)
    start = np.zeros(k)
    errors = {
        "steepest descent (exact line search)": relative_error(
            A, b, steepest_descent(A, b, start, 2 * k)
        ),
        "linear CG": relative_error(A, b, linear_cg(A, b, start, k)),
        "Alg. 8.9, exact line search": relative_error(A, b, alg89_exact_search(A, b, start, 2 * k)),
        "Alg. 8.9, strong Wolfe search (NonlinearCG)": relative_error(
            A, b, wolfe_search_cg(A, b, start, 2 * k)
        ),
    }
    steepest, linear, exact, wolfe = errors.values()
    claims.check(
        "linear_cg_k_steps",
        f"linear CG after k = {k} steps: {linear[k]:.1e} (need < {EXACT:g})",
        linear[k] < EXACT,
    )
    claims.check(
        "alg89_exact_search_k_steps",
        f"Algorithm 8.9 with the exact line search after k = {k} steps: {exact[k]:.1e} "
        f"(need < {EXACT:g})",
        exact[k] < EXACT,
    )
    claims.check(
        "wolfe_search_loses_k_steps",
        f"Algorithm 8.9 with the strong Wolfe search after k = {k} steps: {wolfe[k]:.1e}, "
        f"{wolfe[k] / exact[k]:.0f}× the exact search's (need > 100×); after 2k: {wolfe[2 * k]:.1e}",
        wolfe[k] > 100 * exact[k],
    )
    claims.check(
        "steepest_descent_is_slow",
        f"steepest descent after k = {k} steps: {steepest[k]:.1e} (need > 1e-3)",
        steepest[k] > 1e-3,
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 4.8))

    def f2(X, Y):
        return (
            0.5 * (A2[0, 0] * X * X + 2 * A2[0, 1] * X * Y + A2[1, 1] * Y * Y)
            - b2[0] * X
            - b2[1] * Y
        )

    viz.plot_contour_paths(
        f2,
        paths,
        xlim=(minimum2[0] - 3.0, minimum2[0] + 3.0),
        ylim=(minimum2[1] - 3.0, minimum2[1] + 3.0),
        ax=left,
        title=f"2-D valley (κ = 12): after 2 steps CG {cg_2d[2]:.0e}, steepest {sd_2d[2]:.0e}",
    )
    viz.plot_curves(
        {name: np.maximum(values, 1e-17) for name, values in errors.items()},
        xlabel="iteration (one line search each)",
        ylabel="‖θ − θ*‖ / ‖θ₀ − θ*‖ (floored at 1e-17)",
        logy=True,
        ax=right,
        title=f"k = {k} dimensions, κ = {CONDITION:.0f}: after k steps, Wolfe {wolfe[k]:.0e}, "
        f"exact {exact[k]:.0e}",
    )
    for line, style in zip(right.get_lines(), ["-", "-", "--", "-."], strict=True):
        line.set_linestyle(style)  # the two exact CG curves coincide: both must show
        line.set_linewidth(3.0 if style == "-" and line.get_label() == "linear CG" else 1.8)
    right.axvline(k, color="gray", linestyle=":", label="k steps")
    right.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    figure.tight_layout()
    save_figure(figure, args, "cg_vs_steepest_descent")
    claims.finish()


if __name__ == "__main__":
    main()
