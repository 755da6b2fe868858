"""Command line: ``tinygrad-ch8 compare``, optimizers racing from one start on one problem.

Each optimizer starts from the same point (the same initialization for the digits MLP) and
takes ``--steps`` steps of ``step(closure)``; the loss is measured after every step, and the
time spent inside the steps is summed. One figure shows J(θ) − J* against steps and
against seconds and, for the 2-D problems, the paths over the contours of J; a table gives
the final gap, and the steps and seconds each optimizer needed to come within ``--tol`` of
J*. Every name in ``optim.OPTIMIZERS`` is accepted, plus ``momentum`` and ``nesterov``
(SGD with momentum 0.9, the book's Algorithms 8.2 and 8.3).

    tinygrad-ch8 compare --problem beale --optimizers sgd momentum adagrad rmsprop adam --out beale.png
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import backend, nn, optim
from ..data import load_digits, synthetic
from ..grad_mode import no_grad
from ..functional import cross_entropy
from ..tensor import Tensor

numpy = backend.numpy

ROUND_OFF_FLOOR = 1e-16  # gaps below this are round-off; keeping them positive keeps the log axis
DIVERGENCE_FACTOR = 1e10  # a gap this many times the starting one counts as diverged


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


def make_optimizer(name: str, params: list[Tensor], lr: float | None) -> optim.Optimizer:
    """The optimizer called ``name``; ``lr`` None leaves the class's own default learning rate."""
    cls, settings = FIRST_ORDER_VARIANTS.get(name, (optim.OPTIMIZERS.get(name), {}))
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}: choose from {', '.join(optimizer_names())}")
    return cls(params, **settings) if lr is None else cls(params, lr=lr, **settings)


@dataclass
class Race:
    """One optimizer's run: J − J* and the step time summed, at step 0, 1, ...; the path of θ in 2-D.

    A run whose gap grows past ``DIVERGENCE_FACTOR`` times its start (or stops being finite)
    ends there (``diverged``), keeping the part before."""

    lr: float | None
    gaps: list[float]
    seconds: list[float]
    path: list
    diverged: bool = False

    def first_within(self, tolerance: float) -> int | None:
        return next((step for step, gap in enumerate(self.gaps) if gap <= tolerance), None)


def race(problem: Problem, name: str, steps: int, lr: float | None, device: str) -> Race:
    """Run ``steps`` steps of one optimizer from the problem's start and measure each one."""
    params, loss_of = problem.setup(device)
    lr = problem.learning_rates.get(name) if lr is None else lr
    optimizer = make_optimizer(name, params, lr)

    def closure() -> Tensor:
        optimizer.zero_grad()
        return loss_of()

    def gap() -> float:
        with no_grad():
            return max(loss_of().item() - problem.minimum, ROUND_OFF_FLOOR)

    def position():
        return params[0].numpy().copy() if problem.surface is not None else None

    result = Race(lr, [gap()], [0.0], [position()])
    # a diverging run is reported, not warned about
    with numpy.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            started = time.perf_counter()
            optimizer.step(closure)
            elapsed = result.seconds[-1] + time.perf_counter() - started
            current_gap = gap()
            if not current_gap <= DIVERGENCE_FACTOR * result.gaps[0]:  # also catches NaN
                result.diverged = True
                break
            result.gaps.append(current_gap)
            result.seconds.append(elapsed)
            result.path.append(position())
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    problems = "; ".join(f"{name}: {problem.description}" for name, problem in PROBLEMS.items())
    parser.add_argument(
        "--problem", choices=list(PROBLEMS), default="beale", help=f"what to minimize: {problems}"
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
    parser.add_argument(
        "--steps", type=int, default=None, help="steps per optimizer (default: per problem)"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="one learning rate for all (default: a tuned rate per optimizer and problem)",
    )
    parser.add_argument(
        "--tol",
        type=float,
        default=None,
        help="the gap J - J* counted as arrived (default: per problem)",
    )
    parser.add_argument(
        "--out", default=None, help="the figure to write (default: compare_<problem>.png)"
    )
    parser.add_argument(
        "--device", choices=backend.DEVICES, default="cpu", help="where to compute (default: cpu)"
    )


def format_table(races: dict[str, Race], tolerance: float) -> str:
    """Final gap, and steps and seconds to come within ``tolerance`` of J*, one row per optimizer."""
    header = f"{'optimizer':<10} {'lr':>9} {'final J - J*':>13} {'steps to tol':>13} {'seconds to tol':>15}"
    rows = [header, "-" * len(header)]
    for name, result in races.items():
        arrived = result.first_within(tolerance)
        lr = "default" if result.lr is None else f"{result.lr:.3g}"
        final = "diverged" if result.diverged else f"{result.gaps[-1]:.3e}"
        steps = "-" if arrived is None else str(arrived)
        seconds = "-" if arrived is None else f"{result.seconds[arrived]:.4f}"
        rows.append(f"{name:<10} {lr:>9} {final:>13} {steps:>13} {seconds:>15}")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as pyplot  # a plotting command: imported when run, as viz does

    from ..viz.plots import plot_optimizer_comparison

    problem = PROBLEMS[args.problem]
    backend.check_device(args.device)
    steps = problem.steps if args.steps is None else args.steps
    tolerance = problem.tolerance if args.tol is None else args.tol
    names = dict.fromkeys(args.optimizers)  # each once, in the order given
    races = {name: race(problem, name, steps, args.lr, args.device) for name in names}

    print(
        f"{args.problem}: {problem.description}; {steps} steps, tolerance {tolerance:g} on J - J*"
    )
    print(format_table(races, tolerance))
    xlim, ylim = problem.limits
    figure = plot_optimizer_comparison(
        {name: {"loss": r.gaps, "seconds": r.seconds} for name, r in races.items()},
        title=f"J(θ) − J* on {args.problem}: {problem.description}",
        f=problem.surface,
        paths=None
        if problem.surface is None
        else {name: numpy.array(r.path) for name, r in races.items()},
        xlim=xlim,
        ylim=ylim,
    )
    out = args.out or f"compare_{args.problem}.png"
    figure.savefig(out, dpi=120, bbox_inches="tight")
    pyplot.close(figure)
    print(f"figure saved to {out}")
    return 0
