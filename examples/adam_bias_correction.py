"""What Adam's bias correction changes (§8.5.3, Algorithm 8.7): the step length ε means what it says.

Adam's moments start at s = r = 0, so after t steps of a constant gradient g they are only
s = (1 − ρ1^t) g and r = (1 − ρ2^t) g²: biased towards zero, r far more than s because
ρ2 = 0.999 forgets slowly. Without correction the step ε s/√r is ε (1 − ρ1^t)/√(1 − ρ2^t):
3.2 ε on the first step, 6.5 ε around step 10, and still 1.26 ε after 1,000 steps. With
ŝ = s/(1 − ρ1^t) and r̂ = r/(1 − ρ2^t) the step is ε from the start.

The example measures both on a constant gradient, then trains a 64-64-10 tanh network on the
digits (full batch, 100 steps, initialization from ``--seed``) both ways at every ε of a log
grid. Without correction the early steps are several times longer than ε, so the uncorrected
optimizer behaves as if ε were larger: it is faster at small ε, and it breaks down at a smaller
ε. Correction does not make Adam faster; it makes the ε at which training becomes unstable
predictable (the ε you set is the step you get), and moves it up.

What the learner should see: on the left the uncorrected step length rises to 6.5 ε and decays
slowly, exactly on the formula (dots), while the corrected step is ε throughout; in the middle
the loss after 100 steps against ε: the uncorrected curve is the corrected one shifted towards
smaller ε; on the right, at the largest ε where the corrected run still converges, the
uncorrected run's loss jumps far above its start. The claims:

- ``uncorrected_step_follows_formula``: on a constant gradient the uncorrected step matches
  ε (1 − ρ1^t)/√(1 − ρ2^t) to 1e-5 and peaks above 6 ε; the corrected step is ε to 1e-5.
- ``corrected_tuned``, ``uncorrected_tuned``: each version's best ε (loss after 100 steps)
  lies strictly inside the grid (full run only, as the rest).
- ``correction_raises_stable_eps``: the largest ε at which the loss after 100 steps is below
  0.05 is larger with correction than without.
- ``uncorrected_best_eps_is_smaller``: the uncorrected version's best ε is smaller than the
  corrected one's (its effective early step is longer than ε).

    python examples/adam_bias_correction.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, best_on_grid, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, nn, optim
from tinygrad_ch8.optim.adam import adam_update
from tinygrad_ch8.viz import plot_curves

LEARNING_RATES = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]
TRAINING_STEPS = 100
CONVERGED = 0.05  # training cross-entropy after TRAINING_STEPS that counts as trained


def adam_without_bias_correction(param, grad, state, *, lr, betas, eps, weight_decay, amsgrad):
    """Adam's moments s and r, but the step ε s/(√r + δ) uses them uncorrected."""
    _, state = adam_update(
        param, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
    )
    return param - lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + eps), state


UPDATES = {
    "Adam (bias-corrected)": adam_update,
    "Adam without bias correction": adam_without_bias_correction,
}


def steps_on_a_constant_gradient(update, steps: int, lr: float = 1e-3) -> np.ndarray:
    """|Δθ| / ε at each step when the gradient is always 1: the pure update function, called directly."""
    param, state, sizes = np.zeros(1), {}, []
    for _ in range(steps):
        new_param, state = update(
            param,
            np.ones(1),
            state,
            lr=lr,
            betas=(0.9, 0.999),
            eps=1e-8,
            weight_decay=0.0,
            amsgrad=False,
        )
        sizes.append(abs(new_param[0] - param[0]) / lr)
        param = new_param
    return np.array(sizes)


def train_digits(update, steps: int, lr: float, seed: int, images, labels) -> list[float]:
    """Full-batch training of a 64-64-10 tanh MLP initialized from ``seed``; the loss at each step."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
    optimizer = optim.Adam(model.parameters(), lr=lr)
    inputs, losses = tg.Tensor(images), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.update_each_parameter(None, update)  # Adam's machinery, the chosen update rule
        losses.append(loss.item())
    return losses


def largest_converged(grid, finals) -> float | None:
    """The largest ε whose final loss is below CONVERGED (None if there is none)."""
    converged = [lr for lr, final in zip(grid, finals, strict=True) if final < CONVERGED]
    return max(converged) if converged else None


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    constant_steps = 5000
    t = np.arange(1, constant_steps + 1)
    sizes = {
        name: steps_on_a_constant_gradient(update, constant_steps)
        for name, update in UPDATES.items()
    }
    corrected_sizes, uncorrected_sizes = sizes.values()
    formula = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
    formula_gap = float(np.max(np.abs(uncorrected_sizes - formula)))
    corrected_gap = float(np.max(np.abs(corrected_sizes - 1.0)))
    peak = int(np.argmax(uncorrected_sizes))
    claims.check(
        "uncorrected_step_follows_formula",
        f"uncorrected |Δθ|/ε peaks at {uncorrected_sizes[peak]:.2f} on step {peak + 1} (need > 6) "
        f"and differs from (1 − ρ1^t)/√(1 − ρ2^t) by at most {formula_gap:.1e}; corrected "
        f"|Δθ|/ε differs from 1 by at most {corrected_gap:.1e} (need both < 1e-5: δ = 1e-8 alone moves the first steps by 1e-6)",
        uncorrected_sizes[peak] > 6 and formula_gap < 1e-5 and corrected_gap < 1e-5,
    )

    images, labels = data.load_digits("train")
    grid = LEARNING_RATES[::3] if args.fast else LEARNING_RATES
    steps = 10 if args.fast else TRAINING_STEPS
    curves = {
        name: [train_digits(update, steps, lr, args.seed, images, labels) for lr in grid]
        for name, update in UPDATES.items()
    }
    finals = {name: [curve[-1] for curve in runs] for name, runs in curves.items()}
    corrected, uncorrected = UPDATES
    best, stable = {}, {}
    for name, short in ((corrected, "corrected"), (uncorrected, "uncorrected")):
        stable[name] = largest_converged(grid, finals[name])
        if not claims.needs_full_run(f"{short}_tuned", f"the best ε of {name}"):
            best[name] = best_on_grid(claims, short, grid, finals[name], what="ε (final loss)")
    statement = (
        f"largest ε with loss < {CONVERGED} after {steps} steps: {stable[corrected]} with "
        f"correction, {stable[uncorrected]} without (need larger with correction)"
    )
    if not claims.needs_full_run("correction_raises_stable_eps", statement):
        claims.check(
            "correction_raises_stable_eps",
            statement,
            stable[corrected] is not None
            and (stable[uncorrected] is None or stable[corrected] > stable[uncorrected]),
        )
    statement = (
        f"best ε: {best.get(uncorrected)} without correction, {best.get(corrected)} with "
        f"(need smaller without)"
    )
    if not claims.needs_full_run("uncorrected_best_eps_is_smaller", statement):
        claims.check(
            "uncorrected_best_eps_is_smaller", statement, best[uncorrected] < best[corrected]
        )

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(18, 4.8), layout="constrained")
    left.plot(t, corrected_sizes, label="Adam (bias-corrected)", color="tab:blue")
    left.plot(t, uncorrected_sizes, label="Adam without bias correction", color="tab:orange")
    marks = np.unique(np.geomspace(1, constant_steps, 25).astype(int)) - 1
    left.plot(
        t[marks], formula[marks], "o", color="black", markersize=4, label="(1 − ρ1^t)/√(1 − ρ2^t)"
    )
    left.set_xscale("log")
    left.set_xlabel("step t (log scale)")
    left.set_ylabel("step length |Δθ| / ε")
    left.set_title("step length on a constant gradient (ρ1 = 0.9, ρ2 = 0.999)")
    left.legend()
    for name, values in finals.items():
        middle.plot(grid, values, marker="o", label=name)
    middle.axhline(CONVERGED, color="tab:gray", linestyle="--", label=f"loss {CONVERGED}")
    middle.set_xscale("log")
    middle.set_yscale("log")
    middle.set_xlabel("learning rate ε (log scale)")
    middle.set_ylabel(f"training cross-entropy after {steps} full-batch steps")
    middle.set_title("final loss against ε (digits MLP)")
    middle.legend()
    shown = stable[corrected] if stable[corrected] is not None else grid[-1]
    plot_curves(
        {name: runs[grid.index(shown)] for name, runs in curves.items()},
        xlabel="full-batch step",
        ylabel="training cross-entropy (log scale)",
        logy=True,
        ax=right,
        title=f"ε = {shown:g}, the largest at which the corrected run converges",
    )
    save_figure(figure, args, "adam_bias_correction")
    claims.finish()


if __name__ == "__main__":
    main()
