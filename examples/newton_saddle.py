"""Newton's method is drawn to saddle points; damped Newton escapes them (§8.6.1).

J(x, y) = x² + y⁴/4 − y²/2 has a saddle at (0, 0) (H = diag(2, −1)) and two minima at
(0, ±1). Near the saddle the Hessian's negative eigenvalue flips Newton's step along y:
θ − H⁻¹g moves *towards* the point where g = 0, whatever its kind, so plain Newton
(Algorithm 8.8 as printed) converges to the saddle. Damped Newton θ − (H + αI)⁻¹g with
α above |λ_min| = 1 makes the y-step point downhill, away from the saddle; ``optim.Newton``
raises α by itself whenever H + αI is not positive definite. The end points are checked
with ``optim.curvature.classify_critical_point`` (Lanczos on Hessian-vector products).

    python examples/newton_saddle.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim, viz  # noqa: E402
from tinygrad_ch8.optim.curvature import classify_critical_point  # noqa: E402

START = np.array([1.0, 0.05])


def loss(theta):
    return theta[0] ** 2 + theta[1] ** 4 / 4 - theta[1] ** 2 / 2


def on_grid(X, Y):
    return X**2 + Y**4 / 4 - Y**2 / 2


def plain_newton_path(steps: int):
    """Algorithm 8.8 without any safeguard: θ ← θ − H⁻¹g, H from tg.autograd.hessian."""
    path = [START.copy()]
    for _ in range(steps):
        theta = tg.Tensor(path[-1], requires_grad=True)
        (gradient,) = tg.grad(loss(theta), theta)
        hessian = tg.autograd.hessian(loss, tg.Tensor(path[-1]))
        path.append(path[-1] - np.linalg.solve(hessian, gradient.numpy()))
    return np.array(path)


def optimizer_path(steps: int, **options):
    """``optim.Newton`` one iteration per step; returns the iterates and the dampings it used."""
    theta = tg.Tensor(START, requires_grad=True)
    newton = optim.Newton([theta], **options)
    path, dampings = [START.copy()], []
    for _ in range(steps):
        newton.step(lambda: loss(theta))
        path.append(theta.numpy().copy())
        dampings.append(newton.state[0]["damping"])
    return np.array(path), dampings, theta


def main():
    args = parse_args(__doc__)
    steps = 12 if args.fast else 25
    paths = {"plain Newton (Alg. 8.8)": plain_newton_path(steps)}
    damped_path, _, _ = optimizer_path(steps, damping=1.2)
    paths["damped Newton, α = 1.2"] = damped_path
    automatic_path, dampings, _ = optimizer_path(steps, line_search_fn="backtracking")
    paths["optim.Newton (α raised when needed) + line search"] = automatic_path

    print("J(x, y) = x² + y⁴/4 − y²/2: saddle at (0, 0), minima at (0, ±1); start", START)
    for name, path in paths.items():
        end = tg.Tensor(path[-1], requires_grad=True)
        report = classify_critical_point(lambda end=end: loss(end), [end], steps=2, rng=0)
        negatives = ", ".join(f"{value:.3f}" for value in report.negative_eigenvalues) or "none"
        print(
            f"{name:50s} ends at ({path[-1][0]: .4f}, {path[-1][1]: .4f}), J = {on_grid(*path[-1]): .4f}: "
            f"{report.kind} (Hessian eigenvalues {report.smallest:.3f} … {report.largest:.3f}; "
            f"negative: {negatives})"
        )
    print(
        f"optim.Newton raised α to {dampings[0]:.3f} on its first step (H had eigenvalue "
        f"{3 * START[1] ** 2 - 1:.3f}), and used α = {dampings[-1]:.3f} on its last"
    )

    figure = viz.plot_contour_paths(
        on_grid,
        paths,
        xlim=(-1.2, 1.2),
        ylim=(-1.6, 1.6),
        logscale=False,
        title="plain Newton converges to the saddle, damped Newton escapes",
    )
    save_figure(figure, args, "newton_saddle")


if __name__ == "__main__":
    main()
