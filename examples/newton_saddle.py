"""Newton's method is drawn to saddle points; damped Newton escapes them (§8.6.1).

J(x, y) = x² + y⁴/4 − y²/2 has a saddle at (0, 0) (H = diag(2, −1)) and two minima at
(0, ±1). Near the saddle the Hessian's negative eigenvalue flips Newton's step along y:
θ − H⁻¹g moves *towards* the point where g = 0, whatever its kind, so plain Newton
(Algorithm 8.8 as printed) converges to the saddle. Along y its step is the map
y ← 2y³/(3y² − 1), which sends every |y0| < 1/√5 ≈ 0.447 to 0 (±1/√5 is a 2-cycle); from
farther out plain Newton reaches a minimum, so the pull is local, not universal. Damped
Newton θ − (H + αI)⁻¹g with α above |λ_min| = 1 makes the y-step point downhill, away from
the saddle; ``optim.Newton`` raises α by itself whenever H + αI is not positive definite.
The end points are checked with ``optim.curvature.classify_critical_point`` (Lanczos on
Hessian-vector products).

What the learner should see: from the first start, plain Newton's path runs into the saddle
at (0, 0) in a few steps while both damped paths bend away to a minimum at (0, ±1); the
legend gives the steps each ran (until |∇J| ≤ 1e-6, at most 40).

Claims (``--seed`` draws the starts: x0 in [−1, 1], 0.02 ≤ |y0| ≤ 0.4, inside the basin):
- ``plain_newton_finds_saddle``: plain Newton ends at a saddle from every start.
- ``damped_newton_finds_minimum``: damped Newton (α = 1.2) and ``optim.Newton`` with its own
  α and a line search end at a minimum with J = −1/4 from every start.
- ``saddle_basin_edge``: plain Newton from y0 = 0.9/√5 ends at the saddle, from 1.1/√5 at a
  minimum (the basin is |y0| < 1/√5).

    python examples/newton_saddle.py [--fast] [--seed N] [--out DIR]
"""

import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim, viz
from tinygrad_ch8.optim.curvature import classify_critical_point

GRADIENT_TOL = 1e-6  # above optim.Newton's own stop (tolerance_grad = 1e-7)
BASIN_EDGE = 1 / np.sqrt(5)


def loss(theta):
    return theta[0] ** 2 + theta[1] ** 4 / 4 - theta[1] ** 2 / 2


def on_grid(X, Y):
    return X**2 + Y**4 / 4 - Y**2 / 2


def gradient_at(point):
    theta = tg.Tensor(point, requires_grad=True)
    (gradient,) = tg.grad(loss(theta), theta)
    return gradient.numpy()


def plain_newton_path(start, steps: int):
    """Algorithm 8.8 without any safeguard: θ ← θ − H⁻¹g, H from tg.autograd.hessian."""
    path = [np.array(start, dtype=float)]
    while len(path) <= steps and np.abs(gradient_at(path[-1])).max() > GRADIENT_TOL:
        hessian = tg.autograd.hessian(loss, tg.Tensor(path[-1]))
        path.append(path[-1] - np.linalg.solve(hessian, gradient_at(path[-1])))
    return np.array(path)


def optimizer_path(start, steps: int, **options):
    """``optim.Newton``, one iteration per step, until |∇J| ≤ GRADIENT_TOL."""
    theta = tg.Tensor(np.array(start, dtype=float), requires_grad=True)
    newton = optim.Newton([theta], **options)
    path = [theta.numpy().copy()]
    while len(path) <= steps and np.abs(gradient_at(path[-1])).max() > GRADIENT_TOL:
        newton.step(lambda: loss(theta))
        path.append(theta.numpy().copy())
    return np.array(path)


def kind_of(point) -> str:
    end = tg.Tensor(point, requires_grad=True)
    return classify_critical_point(lambda: loss(end), [end], steps=2, rng=0).kind


def main():
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")
    claims = Claims(args.fast)
    steps = 40
    rng = np.random.default_rng(args.seed)
    count = 3 if args.fast else 8
    starts = np.column_stack(
        [rng.uniform(-1, 1, count), rng.choice([-1, 1], count) * rng.uniform(0.02, 0.4, count)]
    )
    methods = {
        "plain Newton (Alg. 8.8)": lambda start: plain_newton_path(start, steps),
        "damped Newton, α = 1.2": lambda start: optimizer_path(start, steps, damping=1.2),
        "optim.Newton (α raised when needed) + line search": lambda start: optimizer_path(
            start, steps, line_search_fn="backtracking"
        ),
    }
    print("J(x, y) = x² + y⁴/4 − y²/2: saddle at (0, 0), minima at (0, ±1)")
    ends = {name: [] for name in methods}
    first_paths = {}
    for start in starts:
        row = []
        for name, method in methods.items():
            path = method(start)
            first_paths.setdefault(name, path)
            ends[name].append((kind_of(path[-1]), on_grid(*path[-1])))
            row.append(f"{ends[name][-1][0]} after {len(path) - 1}")
        print(f"start ({start[0]: .3f}, {start[1]: .3f}): " + "; ".join(row))

    plain = [kind for kind, _ in ends["plain Newton (Alg. 8.8)"]]
    claims.check(
        "plain_newton_finds_saddle",
        f"plain Newton ends at a saddle from {plain.count('saddle')} of {count} starts with "
        f"|y0| ≤ 0.4 (need all)",
        plain.count("saddle") == count,
    )
    damped = [
        kind == "minimum" and abs(value + 0.25) < 1e-9
        for name in list(methods)[1:]
        for kind, value in ends[name]
    ]
    claims.check(
        "damped_newton_finds_minimum",
        f"the two damped Newtons end at a minimum with J = −1/4 in {sum(damped)} of "
        f"{len(damped)} runs (need all)",
        all(damped),
    )
    inside = kind_of(plain_newton_path([0.5, 0.9 * BASIN_EDGE], steps)[-1])
    outside = kind_of(plain_newton_path([0.5, 1.1 * BASIN_EDGE], steps)[-1])
    claims.check(
        "saddle_basin_edge",
        f"plain Newton from y0 = 0.9/√5 ends at a {inside}, from y0 = 1.1/√5 at a {outside} "
        "(need saddle, then minimum)",
        inside == "saddle" and outside == "minimum",
    )

    figure = viz.plot_contour_paths(
        on_grid,
        first_paths,
        xlim=(-1.2, 1.2),
        ylim=(-1.6, 1.6),
        logscale=False,
        title=f"J = x² + y⁴/4 − y²/2 from ({starts[0][0]:.2f}, {starts[0][1]:.2f}): steps until "
        f"|∇J| ≤ 1e-6\n(saddle at (0, 0), minima at (0, ±1))",
    )
    figure.axes[0].legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12))
    save_figure(figure, args, "newton_saddle")
    claims.finish()


if __name__ == "__main__":
    main()
