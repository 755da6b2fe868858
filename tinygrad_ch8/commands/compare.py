"""Command line: ``tinygrad-ch8 compare``, optimizers racing from one start on one problem.

Each optimizer starts from the same point (the same initialization for the digits MLP) and
takes ``--steps`` steps of ``step(closure)``, the closure returning the loss with its graph
(the optimizer takes the gradient); the loss is measured after every step, and the time
spent inside the steps is summed. One figure shows J(θ) − J* against steps and against
seconds and, for the 2-D problems, the paths over the contours of J; a table gives the
final gap, and the iterations and seconds each optimizer needed to come within ``--tol``
of J*. For the first-order methods a step is one iteration; one step of the line-search
methods of §8.6 runs up to ``max_iter`` iterations (20 for L-BFGS), so the table counts
their iterations (``state[0]["n_iter"]``), not their steps. Every name in
``optim.OPTIMIZERS`` is accepted, plus ``momentum`` and ``nesterov`` (SGD with momentum
0.9, the book's Algorithms 8.2 and 8.3).

The figure needs matplotlib (``pip install 'tinygrad-ch8[plot]'``); without it the table is
still printed.

    tinygrad-ch8 compare --problem beale --optimizers sgd momentum adagrad rmsprop adam --out beale.png
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import backend, nn, optim
from ..data import load_digits, synthetic
from ..functional import cross_entropy
from ..grad_mode import no_grad
from ..optim.descent import DescentOptimizer
from ..tensor import Tensor
from .checks import (
    PLOT_EXTENSIONS,
    UsageError,
    check_device,
    check_option_applies,
    check_output_path,
    non_negative_float,
    optimizers_taking,
    plural,
    positive_float,
    positive_int,
)

numpy = backend.numpy

ROUND_OFF_FLOOR = 1e-16  # gaps below this are round-off; keeping them positive keeps the log axis
DIVERGENCE_FACTOR = 1e10  # a gap this many times the starting one counts as diverged
FIGURE_NEEDS_MATPLOTLIB = (
    "the figure needs matplotlib, which is not installed: pip install 'tinygrad-ch8[plot]'"
)


def saddle(x):
    """f(x) = x₀² − x₁² + x₁⁴/4: a saddle at the origin, minima f = −1 at (0, ±√2).

    Started near the saddle's attracting axis, the escape direction x₁ has a tiny gradient:
    plain gradient descent lingers; methods that rescale each coordinate leave at once.
    """
    return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4


@dataclass(frozen=True)
class Problem:
    """One race track: how to make the starting parameters and the loss, and what J* is."""

    description: str
    setup: Callable[[str], tuple[list[Tensor], Callable[[], Tensor]]]  # device -> (params, loss)
    minimum: float  # J*, so the race is measured by the gap J(θ) − J*
    tolerance: float
    steps: int
    learning_rates: dict[str, float]
    surface: Callable | None = None  # J on coordinate grids, for the contour panel of 2-D problems
    limits: tuple = field(default=(None, None))


def point_problem(f: Callable, start: tuple[float, float]) -> Callable:
    """The setup of a 2-D problem: θ = ``start`` (float64) and the loss f(θ)."""

    def setup(device: str):
        theta = Tensor(list(start), requires_grad=True, dtype="float64", device=device)
        return [theta], lambda: f(theta)

    return setup


def grid_surface(f: Callable) -> Callable:
    return lambda X, Y: f(numpy.stack([X, Y]))


QUADRATIC_A, QUADRATIC_B = synthetic.ill_conditioned_quadratic(
    2, 50.0, rng=0, dtype="float64", device="cpu"
)
QUADRATIC_MINIMIZER = numpy.linalg.solve(QUADRATIC_A, QUADRATIC_B)


def quadratic(x):
    """f(x) = ½ xᵀAx − bᵀx with cond(A) = 50; on grids of shape (2, ...) as well as on a Tensor."""
    if isinstance(x, Tensor):
        A, b = Tensor(QUADRATIC_A, device=x.device), Tensor(QUADRATIC_B, device=x.device)
        return 0.5 * (x * (A @ x)).sum() - (b * x).sum()
    Ax = numpy.tensordot(QUADRATIC_A, x, axes=1)
    return 0.5 * (x * Ax).sum(axis=0) - numpy.tensordot(QUADRATIC_B, x, axes=1)


def digits_setup(device: str):
    """A 64-32-10 tanh MLP on the 1,438 training digits, full batch (a deterministic loss)."""
    images, labels = load_digits("train", device=device)
    model = nn.Sequential(nn.Linear(64, 32, rng=0), nn.Tanh(), nn.Linear(32, 10, rng=1)).to(device)
    inputs = Tensor.from_array(images)
    return model.parameters(), lambda: cross_entropy(model(inputs), labels)


FIRST_ORDER_VARIANTS = {
    "momentum": (optim.SGD, {"momentum": 0.9}),
    "nesterov": (optim.SGD, {"momentum": 0.9, "nesterov": True}),
}

PROBLEMS = {
    "rosenbrock": Problem(
        "Rosenbrock's banana valley (a=1, b=100) from (-1.2, 1); J* = 0 at (1, 1)",
        point_problem(synthetic.rosenbrock, (-1.2, 1.0)),
        0.0,
        1e-4,
        2000,
        {
            "sgd": 1e-3,
            "momentum": 1e-3,
            "nesterov": 1e-3,
            "adagrad": 1.0,
            "rmsprop": 3e-3,
            "adam": 0.1,
            "adamw": 0.1,
        },
        grid_surface(synthetic.rosenbrock),
        ((-2.0, 2.0), (-1.0, 3.0)),
    ),
    "beale": Problem(
        "Beale's function from (1, 1.5); J* = 0 at (3, 0.5)",
        point_problem(synthetic.beale, (1.0, 1.5)),
        0.0,
        1e-4,
        1000,
        {
            "sgd": 1e-2,
            "momentum": 1e-3,
            "nesterov": 1e-3,
            "adagrad": 1.0,
            "rmsprop": 1e-2,
            "adam": 0.1,
            "adamw": 0.1,
        },
        grid_surface(synthetic.beale),
        ((-0.5, 4.0), (-1.5, 2.0)),
    ),
    "saddle": Problem(
        "the saddle x0^2 - x1^2 + x1^4/4 from (1.5, 1e-3); J* = -1 at (0, ±√2)",
        point_problem(saddle, (1.5, 1e-3)),
        -1.0,
        1e-4,
        300,
        {
            "sgd": 0.05,
            "momentum": 0.01,
            "nesterov": 0.01,
            "adagrad": 0.3,
            "rmsprop": 0.03,
            "adam": 0.1,
            "adamw": 0.1,
        },
        grid_surface(saddle),
        ((-2.0, 2.0), (-2.0, 2.0)),
    ),
    "quadratic": Problem(
        "an ill-conditioned quadratic ½xᵀAx − bᵀx, cond(A) = 50",
        point_problem(quadratic, tuple(QUADRATIC_MINIMIZER + numpy.array([3.0, 2.0]))),
        float(-0.5 * QUADRATIC_B @ QUADRATIC_MINIMIZER),
        1e-6,
        500,
        {
            "sgd": 0.03,
            "momentum": 0.01,
            "nesterov": 0.01,
            "adagrad": 1.0,
            "rmsprop": 0.03,
            "adam": 0.1,
            "adamw": 0.1,
        },
        grid_surface(quadratic),
    ),
    "digits": Problem(
        "a 64-32-10 tanh MLP on the 1,438 training digits (full-batch cross-entropy); J* = 0",
        digits_setup,
        0.0,
        0.1,
        200,
        {
            "sgd": 0.5,
            "momentum": 0.1,
            "nesterov": 0.1,
            "adagrad": 0.1,
            "rmsprop": 3e-3,
            "adam": 1e-2,
            "adamw": 1e-2,
        },
    ),
}

DEFAULT_OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def optimizer_names() -> list[str]:
    return list(optim.OPTIMIZERS) + list(FIRST_ORDER_VARIANTS)


def optimizer_class(name: str) -> type[optim.Optimizer]:
    cls = FIRST_ORDER_VARIANTS.get(name, (optim.OPTIMIZERS.get(name), {}))[0]
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}: choose from {', '.join(optimizer_names())}")
    return cls


def make_optimizer(name: str, params: list[Tensor], lr: float | None) -> optim.Optimizer:
    """The optimizer called ``name``; ``lr`` None leaves the class's own default learning rate."""
    cls = optimizer_class(name)
    settings = FIRST_ORDER_VARIANTS.get(name, (cls, {}))[1]
    return cls(params, **settings) if lr is None else cls(params, lr=lr, **settings)


@dataclass
class Race:
    """One optimizer's run: J − J*, the step time summed and the iterations done, at step 0,
    1, ...; the path of θ in 2-D.

    A run whose gap grows past ``DIVERGENCE_FACTOR`` times its start (or stops being finite)
    ends there (``diverged``), keeping the part before. ``iterations`` is None for a method
    whose step is one iteration."""

    lr: float | None
    gaps: list[float]
    seconds: list[float]
    path: list
    diverged: bool = False
    iterations: list[int] | None = None

    def first_within(self, tolerance: float) -> int | None:
        """The first step at which the gap is within ``tolerance`` (None: never)."""
        return next((step for step, gap in enumerate(self.gaps) if gap <= tolerance), None)

    def iterations_at(self, step: int) -> int:
        return step if self.iterations is None else self.iterations[step]

    def runs_several_per_step(self) -> bool:
        counts = self.iterations or []
        return any(
            after - before > 1 for before, after in zip(counts[:-1], counts[1:], strict=True)
        )


def race(problem: Problem, name: str, steps: int, lr: float | None, device: str) -> Race:
    """Run ``steps`` steps of one optimizer from the problem's start and measure each one."""
    params, loss_of = problem.setup(device)
    lr = problem.learning_rates.get(name) if lr is None else lr
    optimizer = make_optimizer(name, params, lr)
    iterates = isinstance(optimizer, DescentOptimizer)  # its step runs up to max_iter iterations

    def gap() -> float:
        with no_grad():
            return max(loss_of().item() - problem.minimum, ROUND_OFF_FLOOR)

    def position():
        return params[0].numpy().copy() if problem.surface is not None else None

    result = Race(lr, [gap()], [0.0], [position()], iterations=[0] if iterates else None)
    # a diverging run is reported, not warned about
    with numpy.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            started = time.perf_counter()
            # the shared convention: the closure returns the loss, graph attached
            optimizer.step(loss_of)
            elapsed = result.seconds[-1] + time.perf_counter() - started
            current_gap = gap()
            if not current_gap <= DIVERGENCE_FACTOR * result.gaps[0]:  # also catches NaN
                result.diverged = True
                break
            result.gaps.append(current_gap)
            result.seconds.append(elapsed)
            result.path.append(position())
            if iterates:
                result.iterations.append(optimizer.state[0]["n_iter"])
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    problems = "; ".join(f"{name}: {problem.description}" for name, problem in PROBLEMS.items())
    parser.add_argument(
        "--problem",
        choices=list(PROBLEMS),
        default="beale",
        help=f"what to minimize (default: beale): {problems}",
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=optimizer_names(),
        default=DEFAULT_OPTIMIZERS,
        metavar="NAME",
        help=f"which optimizers race, from: {', '.join(optimizer_names())} "
        f"(default: {' '.join(DEFAULT_OPTIMIZERS)})",
    )
    known = {name: optimizer_class(name) for name in optimizer_names()}
    without_lr = optimizers_taking("lr", known, takes_it=False)
    per_problem = {
        "steps": ", ".join(f"{name} {problem.steps}" for name, problem in PROBLEMS.items()),
        "tol": ", ".join(f"{name} {problem.tolerance:g}" for name, problem in PROBLEMS.items()),
    }
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help=f"steps of step(closure) per optimizer, 1 or more (default: {per_problem['steps']})",
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="one learning rate > 0 for all; only for optimizers that take one, not "
        f"{', '.join(without_lr)} (default: a tuned rate per optimizer and problem, else the "
        "optimizer's own)",
    )
    parser.add_argument(
        "--tol",
        type=non_negative_float,
        default=None,
        help=f"the gap J - J* counted as arrived, 0 or more (default: {per_problem['tol']})",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="the figure to write: .png, .pdf or .svg (default: compare_<problem>.png; "
        "needs matplotlib)",
    )
    parser.add_argument(
        "--device", choices=backend.DEVICES, default="cpu", help="where to compute (default: cpu)"
    )


def format_gap(gap: float) -> str:
    """The gap in scientific notation; at the round-off floor, ``< 1e-16``."""
    return f"< {ROUND_OFF_FLOOR:.0e}" if gap <= ROUND_OFF_FLOOR else f"{gap:.3e}"


def format_table(races: dict[str, Race], tolerance: float) -> str:
    """Final gap, and iterations and seconds to come within ``tolerance`` of J*, one row per optimizer.

    A footnote names the methods whose step runs several iterations.
    """
    header = f"{'optimizer':<10} {'lr':>9} {'final J - J*':>13} {'iters to tol':>13} {'seconds to tol':>15}"
    rows = [header, "-" * len(header)]
    several = []
    for name, result in races.items():
        arrived = result.first_within(tolerance)
        lr = "default" if result.lr is None else f"{result.lr:.3g}"
        final = "diverged" if result.diverged else format_gap(result.gaps[-1])
        iterations = "-" if arrived is None else str(result.iterations_at(arrived))
        if result.runs_several_per_step():
            several.append(name)
            iterations += "*"
        seconds = "-" if arrived is None else f"{result.seconds[arrived]:.4f}"
        rows.append(f"{name:<10} {lr:>9} {final:>13} {iterations:>13} {seconds:>15}")
    if several:
        rows.append(
            f"* {', '.join(several)}: one step(closure) runs several iterations (up to max_iter); "
            "the table counts iterations (at the end of the step that arrived), the figure's "
            "x axis counts steps"
        )
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    problem = PROBLEMS[args.problem]
    check_device(args.device)
    names = dict.fromkeys(args.optimizers)  # each once, in the order given
    if args.lr is not None:
        classes = {name: optimizer_class(name) for name in names}
        known = {name: optimizer_class(name) for name in optimizer_names()}
        check_option_applies("--lr", "lr", classes, known)
    out = check_output_path("--out", args.out or f"compare_{args.problem}.png", PLOT_EXTENSIONS)
    try:
        import matplotlib
    except ImportError:
        if args.out is not None:  # asked for by name: say so before any work
            raise UsageError(FIGURE_NEEDS_MATPLOTLIB) from None
        matplotlib = None
    steps = problem.steps if args.steps is None else args.steps
    tolerance = problem.tolerance if args.tol is None else args.tol
    races = {name: race(problem, name, steps, args.lr, args.device) for name in names}

    print(
        f"{args.problem}: {problem.description}; {plural(steps, 'step')}, "
        f"tolerance {tolerance:g} on J - J*"
    )
    print(format_table(races, tolerance))
    if matplotlib is None:
        print(f"no figure: {FIGURE_NEEDS_MATPLOTLIB}", file=sys.stderr)
        return 0
    matplotlib.use("Agg")
    save_figure(problem, args.problem, races, out)
    print(f"figure saved to {out}")
    return 0


def save_figure(problem: Problem, name: str, races: dict[str, Race], out: str) -> None:
    import matplotlib.pyplot as pyplot

    from ..viz.plots import plot_optimizer_comparison

    xlim, ylim = problem.limits
    figure = plot_optimizer_comparison(
        {optimizer: {"loss": r.gaps, "seconds": r.seconds} for optimizer, r in races.items()},
        title=f"J(θ) − J* on {name}: {problem.description}",
        f=problem.surface,
        paths=None
        if problem.surface is None
        else {optimizer: numpy.array(r.path) for optimizer, r in races.items()},
        xlim=xlim,
        ylim=ylim,
    )
    figure.savefig(out, dpi=120, bbox_inches="tight")
    pyplot.close(figure)
