"""Newton's method solves a quadratic in one step; gradient descent needs many (§8.6.1, Algorithm 8.8).

On J(θ) = ½ (θ − θ*)ᵀ A (θ − θ*) with an ill-conditioned A (condition number κ), Newton's step
θ − H⁻¹g lands exactly on θ* because the quadratic model it minimizes *is* J. Gradient
descent, even with the best constant learning rate 2/(λ_min + λ_max), shrinks the error only
by (κ − 1)/(κ + 1) per step and needs about (κ/2) ln(1/tolerance) steps.

    python examples/newton_quadratic.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim, viz  # noqa: E402

ANGLE = 0.5  # the quadratic's axes are rotated, so no coordinate is special
TARGET = np.array([1.0, -0.5])


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


def path_of(optimizer, theta, loss, steps: int, tolerance: float):
    """The iterates of ``optimizer`` until θ is within ``tolerance`` of θ* (or ``steps`` run out)."""
    path = [theta.numpy().copy()]
    while len(path) <= steps and np.abs(path[-1] - TARGET).max() > tolerance:
        if isinstance(optimizer, optim.Newton):
            optimizer.step(lambda: loss(theta))
        else:
            optimizer.zero_grad()
            loss(theta).backward()
            optimizer.step()
        path.append(theta.numpy().copy())
    return np.array(path)


def main():
    args = parse_args(__doc__)
    condition = 10.0 if args.fast else 50.0
    tolerance = 1e-6
    A, loss, on_grid = quadratic(condition)
    eigenvalues = np.linalg.eigvalsh(A)
    start = np.array([-1.5, 1.5])

    theta = tg.Tensor(start, requires_grad=True)
    newton_path = path_of(optim.Newton([theta]), theta, loss, steps=10, tolerance=tolerance)
    theta = tg.Tensor(start, requires_grad=True)
    best_lr = 2 / (eigenvalues[0] + eigenvalues[-1])
    gd_path = path_of(optim.SGD([theta], lr=best_lr), theta, loss, steps=5000, tolerance=tolerance)

    rate = (condition - 1) / (condition + 1)
    predicted = np.log(tolerance / np.abs(start - TARGET).max()) / np.log(rate)
    print(f"J(θ) = ½(θ − θ*)ᵀA(θ − θ*), condition number κ = {condition:.0f}, θ* = {TARGET}")
    print(
        f"Newton: {len(newton_path) - 1} step to |θ − θ*|∞ ≤ {tolerance:g} "
        f"(error after it {np.abs(newton_path[-1] - TARGET).max():.1e})"
    )
    print(
        f"gradient descent, best constant lr = 2/(λmin + λmax) = {best_lr:.4f}: {len(gd_path) - 1} steps "
        f"(theory: error × {rate:.3f} per step, about {predicted:.0f} steps)"
    )

    figure = viz.plot_contour_paths(
        on_grid,
        {"Newton": newton_path, "gradient descent": gd_path},
        xlim=(-2.0, 2.5),
        ylim=(-2.0, 2.0),
        title=f"Newton in one step vs gradient descent (κ = {condition:.0f})",
    )
    save_figure(figure, args, "newton_quadratic")


if __name__ == "__main__":
    main()
