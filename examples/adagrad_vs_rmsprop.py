"""AdaGrad's premature decay against RMSProp's moving average (§8.5.1-8.5.2, Algorithms 8.4-8.5).

The cost J(x) = 20 log(1 + e^(−4x)) + 0.05 (x − 10)² has a steep slope (gradient about −80)
left of 0 and a wide, shallow bowl (gradient at most about 1) with its minimum near x = 10.
Started at x = −3, both methods cross the slope in a few steps. AdaGrad's sum of squared
gradients r keeps those early gradients forever, so in the bowl its effective learning rate
ε/(δ + √r) is hundreds of times smaller than it needs and it crawls. RMSProp's average
forgets them within about 1/(1 − ρ) steps and walks to the minimum. Each method gets its
best learning rate from the same grid.

    python examples/adagrad_vs_rmsprop.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import optim  # noqa: E402
from tinygrad_ch8.viz import plot_curves  # noqa: E402

START = -20.0
LEARNING_RATES = [0.03, 0.1, 0.3, 1.0, 3.0]
SETTLE_STEPS = 30  # a few times RMSProp's memory 1/(1 − ρ) = 10 steps


def cost(x):
    """J(x) on a Tensor or an array: a steep softplus wall, then a shallow quadratic bowl."""
    if isinstance(x, tg.Tensor):
        return (20.0 * (1.0 + (-4.0 * x).exp()).log() + 0.05 * (x - 10.0) ** 2).sum()
    return 20.0 * np.log1p(np.exp(-4.0 * x)) + 0.05 * (x - 10.0) ** 2


GRID = np.linspace(-4.0, 14.0, 20001)
MINIMUM = cost(GRID).min()  # J* on a fine grid: the bowl's bottom, a hair left of 10


def descend(make_optimizer, lr: float, steps: int) -> dict:
    """Run one optimizer; record J − J*, x and the effective learning rate ε/(√r + δ) at each step."""
    x = tg.Tensor([START], requires_grad=True, dtype="float64")
    optimizer = make_optimizer([x], lr)
    record = {"gap": [], "x": [], "effective_lr": []}
    for _ in range(steps):
        optimizer.zero_grad()
        cost(x).backward()
        optimizer.step()
        state, group = optimizer.state[0], optimizer.param_groups[0]
        r = state["sum"] if "sum" in state else state["square_avg"]
        record["effective_lr"].append(float(group["lr"] / (np.sqrt(r[0]) + group["eps"])))
        record["gap"].append(max(cost(x.numpy())[0] - MINIMUM, 1e-16))
        record["x"].append(x.item())
    return record


def main():
    args = parse_args(__doc__)
    steps = 300 if args.fast else 2000
    methods = {
        "AdaGrad": lambda params, lr: optim.Adagrad(params, lr=lr, eps=1e-7),
        "RMSProp (ρ = 0.9)": lambda params, lr: optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-6),
    }
    best = {}
    print(
        f"J(x) = 20 log(1 + exp(-4x)) + 0.05 (x - 10)^2 from x = {START}; {steps} steps; "
        f"J* = {MINIMUM:.4f}"
    )
    print(f"{'method':<20} {'lr':>6} {'final x':>9} {'final J - J*':>13} {'eff. lr at end':>15}")
    for name, make_optimizer in methods.items():
        runs = {lr: descend(make_optimizer, lr, steps) for lr in LEARNING_RATES}
        lr = min(runs, key=lambda rate: runs[rate]["gap"][-1])
        best[name] = (lr, runs[lr])
        for rate, run in runs.items():
            marker = "  <- best" if rate == lr else ""
            print(
                f"{name:<20} {rate:>6g} {run['x'][-1]:>9.4f} {run['gap'][-1]:>13.3e} "
                f"{run['effective_lr'][-1]:>15.3e}{marker}"
            )

    (ada_lr, ada), (rms_lr, rms) = best.values()
    for name, (lr, run) in best.items():
        entered = next((step for step, x in enumerate(run["x"]) if x > 1.0), None)
        if entered is None:
            print(f"{name} never left the slope.")
            continue
        later = min(entered + SETTLE_STEPS, steps - 1)
        rate = run["effective_lr"][later]
        print(
            f"{name} entered the bowl (x > 1) at step {entered}; {later - entered} steps later its "
            f"effective learning rate ε/(√r + δ) was {rate:.3g}, its ε divided by {lr / rate:.3g}."
        )
    print(
        f"AdaGrad's sum keeps the steep gradients of the slope, so even with its best ε = {ada_lr:g} "
        f"(first steps that long) it ends at x = {ada['x'][-1]:.3f}, J - J* = {ada['gap'][-1]:.2e}; "
        f"RMSProp's average forgets them: x = {rms['x'][-1]:.3f}, J - J* = {rms['gap'][-1]:.2e} "
        f"(ε = {rms_lr:g})."
    )

    labels = {name: f"{name}, ε = {lr:g}" for name, (lr, _) in best.items()}
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
    plot_curves(
        {labels[name]: run["gap"] for name, (_, run) in best.items()},
        ylabel="J(x) − J*",
        logy=True,
        ax=left,
        title="gap to the minimum",
    )
    plot_curves(
        {labels[name]: run["effective_lr"] for name, (_, run) in best.items()},
        ylabel="effective learning rate ε / (√r + δ)",
        logy=True,
        ax=middle,
        title="AdaGrad's rate only shrinks; RMSProp's recovers",
    )
    right.plot(GRID, cost(GRID), color="tab:gray", label="J(x)")
    for name, (_, run) in best.items():
        right.plot(
            run["x"][:: max(steps // 60, 1)],
            cost(np.array(run["x"][:: max(steps // 60, 1)])),
            "o",
            markersize=3,
            label=f"{labels[name]} (every {max(steps // 60, 1)}th step)",
        )
    right.set_xlabel("x")
    right.set_ylabel("J(x)")
    right.set_yscale("log")
    right.set_title("where each method went")
    right.legend(fontsize="small")
    figure.suptitle("AdaGrad's accumulated squares against RMSProp's moving average")
    save_figure(figure, args, "adagrad_vs_rmsprop")


if __name__ == "__main__":
    main()
