"""AdaGrad's premature decay against RMSProp's moving average (§8.5.1-8.5.2, Algorithms 8.4-8.5).

The cost changes during the run. For the first 100 steps it is a steep bowl,
J₁(x) = ½·10·‖x − a‖², then, for 400 steps, a shallow bowl around another point,
J₂(x) = ½·0.1·‖x − b‖², in 10 dimensions (a and b are drawn from ``--seed``; both methods start
at x = 0). AdaGrad divides each step by the root of the sum r of all past squared gradients:
the steep bowl's large gradients stay in r forever, so on the shallow bowl its effective
learning rate ε/(δ + √r) is far smaller than that bowl needs, whatever ε is (a larger ε makes
the steep phase's gradients, and so r, larger too). RMSProp's moving average forgets them within
about 1/(1 − ρ) = 10 steps and descends the new bowl as fast as the first. This is the
non-stationary setting (a deep network's later training, a moving target) where the book says
AdaGrad's accumulation can stop learning too early; on one fixed convex bowl AdaGrad's decay is
harmless.

Both methods run with every ε of the same log grid, 1e-3 to 1e4 in half decades, scored by the
mean log₁₀(J − J*) over the whole run. RMSProp's best ε lies strictly inside the grid (checked).
AdaGrad's score stops improving once ε is large: its first step is ±ε, the gradients it then
meets, and so √r, grow in proportion to ε, and the run only rescales. No ε can fix it, so
AdaGrad is held to every ε of the grid rather than to one best. RMSProp's steps have length
about ε whatever the gradient, so its tuned ε, chosen for the long second phase, rattles around
the steep bowl's minimum; that is the price of its constant step length, not of forgetting.

What the learner should see: in the left panel AdaGrad solves the steep phase to round-off while
RMSProp rattles around its minimum; after the change (dashed line) RMSProp's curve falls again to round-off within about 50 steps while
AdaGrad's crawls down a straight line; the right panel shows why: AdaGrad's effective learning
rate stays at the small value the steep phase left it, RMSProp's grows as the gradients shrink.
The claims, decided in every run:

- ``rmsprop_tuned``: RMSProp's best ε lies strictly inside the grid.
- ``adagrad_eps_cannot_help``: AdaGrad's score varies by less than 0.5 over ε from 10 to 1e4.
- ``rmsprop_recovers_faster``: after the change, RMSProp cuts J − J* by 10⁴ in fewer than half
  the steps AdaGrad needs at any ε of the grid (AdaGrad counted as the whole phase if it never
  does).
- ``adagrad_stalls_on_new_bowl``: at the end, AdaGrad's J − J* (at its best ε) is more than 1000
  times RMSProp's (both floored at 1e-16).

    python examples/adagrad_vs_rmsprop.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim
from tinygrad_ch8.viz import plot_curves

DIMENSIONS = 10
PHASES = [(10.0, 100), (0.1, 400)]  # (curvature, steps): a steep bowl, then a shallow one
LEARNING_RATES = [float(10.0**k) for k in np.arange(-3.0, 4.01, 0.5)]  # 1e-3 to 1e4, half decades
SATURATED_FROM = 10.0  # above this AdaGrad's ε only rescales r
FLOOR = 1e-16  # J − J* below this is round-off
RECOVERY = 1e4  # "recovered": J − J* cut by this factor after the change
METHODS = {
    "AdaGrad": lambda params, lr: optim.Adagrad(params, lr=lr),
    "RMSProp (ρ = 0.9)": lambda params, lr: optim.RMSprop(params, lr=lr, alpha=0.9),
}


def descend(make_optimizer, lr: float, centres) -> dict:
    """Run one optimizer through the phases; record J − J* and the effective learning rate."""
    x = tg.Tensor(np.zeros(DIMENSIONS), requires_grad=True)
    optimizer = make_optimizer([x], lr)
    record = {"gap": [], "effective_lr": []}
    for (curvature, steps), centre in zip(PHASES, centres, strict=True):
        target = tg.Tensor(centre)
        for _ in range(steps):
            optimizer.zero_grad()
            (0.5 * curvature * ((x - target) ** 2).sum()).backward()
            optimizer.step()
            state, group = optimizer.state[0], optimizer.param_groups[0]
            r = state["sum"] if "sum" in state else state["square_avg"]
            rates = group["lr"] / (np.sqrt(r) + group["eps"])
            record["effective_lr"].append(float(np.exp(np.log(rates).mean())))
            gap = 0.5 * curvature * float(((x.numpy() - centre) ** 2).sum())
            record["gap"].append(max(gap, FLOOR))
    return record


def steps_to_recover(gaps, change: int) -> int:
    """Steps after ``change`` until J − J* is 1/RECOVERY of its value there (the phase if never)."""
    after = np.asarray(gaps[change:])
    below = np.flatnonzero(after < after[0] / RECOVERY)
    return int(below[0]) if len(below) else len(after)


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(args.seed)
    centres = [rng.normal(0.0, 1.0, DIMENSIONS), rng.normal(0.0, 3.0, DIMENSIONS)]
    grid = LEARNING_RATES[::2] if args.fast else LEARNING_RATES
    change = PHASES[0][1]

    runs = {
        name: {lr: descend(make_optimizer, lr, centres) for lr in grid}
        for name, make_optimizer in METHODS.items()
    }
    scores = {
        name: [float(np.mean(np.log10(run["gap"]))) for run in by_lr.values()]
        for name, by_lr in runs.items()
    }
    ada_name, rms_name = METHODS
    rms_lr = best_on_grid(claims, "rmsprop", grid, scores[rms_name], what="ε (mean log10(J − J*))")
    ada_lr = grid[int(np.argmin(scores[ada_name]))]
    ada, rms = runs[ada_name][ada_lr], runs[rms_name][rms_lr]
    best = {ada_name: (ada_lr, ada), rms_name: (rms_lr, rms)}

    large = [
        score for lr, score in zip(grid, scores[ada_name], strict=True) if lr >= SATURATED_FROM
    ]
    claims.check(
        "adagrad_eps_cannot_help",
        f"AdaGrad's score (mean log10(J − J*)) over ε from {SATURATED_FROM:g} to {grid[-1]:g} "
        f"spans {min(large):.2f} to {max(large):.2f} (need a spread < 0.5: a larger ε makes r "
        f"larger in proportion)",
        max(large) - min(large) < 0.5,
    )
    rms_steps = steps_to_recover(rms["gap"], change)
    ada_steps = {lr: steps_to_recover(run["gap"], change) for lr, run in runs[ada_name].items()}
    fastest = min(ada_steps, key=ada_steps.get)
    claims.check(
        "rmsprop_recovers_faster",
        f"after the change RMSProp (ε = {rms_lr:.3g}) cuts J − J* by {RECOVERY:g} in {rms_steps} "
        f"steps; AdaGrad at its fastest ε ({fastest:.3g}) in {ada_steps[fastest]} of "
        f"{PHASES[1][1]} (need fewer than half, for every ε of the grid)",
        2 * rms_steps < ada_steps[fastest],
    )
    claims.check(
        "adagrad_stalls_on_new_bowl",
        f"final J − J*: AdaGrad (best ε = {ada_lr:.3g}) {ada['gap'][-1]:.1e}, RMSProp "
        f"{rms['gap'][-1]:.1e} (need AdaGrad > 1000 × RMSProp)",
        ada["gap"][-1] > 1000 * rms["gap"][-1],
    )

    labels = {name: f"{name}, best ε = {lr:.3g}" for name, (lr, _) in best.items()}
    figure, (left, middle) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    plot_curves(
        {labels[name]: run["gap"] for name, (_, run) in best.items()},
        ylabel="J(x) − J* (floored at 1e-16)",
        xlabel="step (one gradient each)",
        logy=True,
        ax=left,
        title=f"gap to the current minimum: AdaGrad {ada_steps[ada_lr]} steps to recover, "
        f"RMSProp {rms_steps}",
    )
    plot_curves(
        {labels[name]: run["effective_lr"] for name, (_, run) in best.items()},
        ylabel="effective learning rate ε/(δ + √r) (geometric mean)",
        xlabel="step (one gradient each)",
        logy=True,
        ax=middle,
        title="effective learning rate",
    )
    for ax in (left, middle):
        ax.axvline(change, color="tab:gray", linestyle="--", label="cost changes: steep → shallow")
        ax.legend(fontsize="small", loc="best")
    figure.suptitle(
        f"a steep bowl for {change} steps, then a shallow one ({DIMENSIONS} dimensions, "
        f"seed {args.seed}); ε from a log grid"
    )
    save_figure(figure, args, "adagrad_vs_rmsprop")
    claims.finish()


if __name__ == "__main__":
    main()
