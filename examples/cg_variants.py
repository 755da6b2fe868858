"""Nonlinear conjugate gradients: Fletcher–Reeves vs Polak–Ribière, with and without restarts (§8.6.2).

Algorithm 8.9 moves along d_t = −g_t + β_t d_{t−1} with a line search, where

    Fletcher–Reeves (8.30):  β_t = g_tᵀg_t / g_{t−1}ᵀg_{t−1}
    Polak–Ribière  (8.31):  β_t = (g_t − g_{t−1})ᵀg_t / g_{t−1}ᵀg_{t−1}

On a quadratic with exact line searches both give the same conjugate directions. On a
non-quadratic cost the book resets d to −g from time to time ("restarts"). Fletcher–Reeves
without restarts can jam: after a short step g_t ≈ g_{t−1}, so β_t ≈ 1 and the next direction
is nearly the last, bad one; Polak–Ribière's β_t ≈ 0 there, so it restarts itself.

The loop below is Algorithm 8.9 written out, with the package's strong Wolfe line search
(``optim.line_search.strong_wolfe``, c2 = 0.1) and first trial step
(``step_from_last_decrease``); "with restarts" sets β = 0 every n iterations. Where a direction
does not descend (possible for Polak–Ribière), it is replaced by −g. For reference,
``optim.NonlinearCG`` (PR+, restarting every n iterations and whenever successive gradients
are far from orthogonal, Powell's test) runs on the same problem.

The problem: the extended Rosenbrock function Σ (1 − x_{2i})² + 100 (x_{2i+1} − x_{2i}²)² in
n = 20 dimensions, from a start drawn uniformly from [−2, 2]ⁿ with ``--seed``; each run stops at
‖g‖∞ ≤ 1e-5 or after 1500 evaluations of f and ∇f.

What the learner should see: Fletcher–Reeves without restarts crawls (the red curve, far to the
right or never finishing); restarting every n iterations brings it level with Polak–Ribière;
Polak–Ribière without restarts needs no outside help to finish.

    python examples/cg_variants.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim
from tinygrad_ch8.optim import line_search

DIMENSION = 20
TOLERANCE = 1e-5
VARIANTS = {
    "Fletcher–Reeves, no restarts": ("fletcher_reeves", False, "tab:red"),
    "Fletcher–Reeves, restart every n": ("fletcher_reeves", True, "tab:orange"),
    "Polak–Ribière, no restarts": ("polak_ribiere", False, "tab:blue"),
    "Polak–Ribière, restart every n": ("polak_ribiere", True, "tab:cyan"),
}


def extended_rosenbrock(x):
    odd, even = x[0::2], x[1::2]
    return ((1 - odd) ** 2 + 100 * (even - odd * odd) ** 2).sum()


class Counted:
    """f and ∇f at a point (NumPy arrays), counting the evaluations and recording f."""

    def __init__(self, f):
        self.f, self.values = f, []

    def __call__(self, x: np.ndarray):
        theta = tg.Tensor(x, requires_grad=True)
        value = self.f(theta)
        (gradient,) = tg.grad(value, [theta])
        self.values.append(value.item())
        return value.item(), gradient.numpy()


def nonlinear_cg(f: Counted, x: np.ndarray, beta_rule: str, restarts: bool, budget: int) -> bool:
    """Algorithm 8.9 from x until ‖g‖∞ ≤ TOLERANCE (True) or ``budget`` evaluations (False)."""
    value, g = f(x)
    d, previous_value, iteration = -g, None, 0
    while np.abs(g).max() > TOLERANCE:
        if len(f.values) >= budget:
            return False
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: fall back to steepest descent
            d, slope = -g, float(-(g @ g))
        at_step = {}

        def phi(alpha, x=x, d=d, at_step=at_step):
            at_step[alpha] = f(x + alpha * d)
            return at_step[alpha][0], float(at_step[alpha][1] @ d)

        first = line_search.step_from_last_decrease(value, previous_value, slope, np.linalg.norm(g))
        step = line_search.strong_wolfe(phi, value, slope, first, c2=0.1)
        if step.alpha not in at_step:  # the search found no acceptable step
            return False
        x, previous_value = x + step.alpha * d, value
        value, g_new = at_step[step.alpha]
        iteration += 1
        if beta_rule == "fletcher_reeves":
            beta = float(g_new @ g_new) / float(g @ g)
        else:
            beta = float((g_new - g) @ g_new) / float(g @ g)
        if restarts and iteration % DIMENSION == 0:
            beta = 0.0
        d, g = -g_new + beta * d, g_new
    return True


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    budget = 400 if args.fast else 1500
    x0 = np.random.default_rng(args.seed).uniform(-2.0, 2.0, DIMENSION)
    curves, evaluations = {}, {}
    for name, (rule, restarts, _) in VARIANTS.items():
        counted = Counted(extended_rosenbrock)
        done = nonlinear_cg(counted, x0.copy(), rule, restarts, budget)
        curves[name] = np.minimum.accumulate(counted.values)
        evaluations[name] = len(counted.values) if done else np.inf
        print(
            f"  {name:34s} {'finished' if done else 'stopped':8s} after {len(counted.values)} "
            f"evaluations, f = {counted.values[-1]:.1e}"
        )
    reference = []
    result = optim.minimize(
        lambda x: reference.append(extended_rosenbrock(x).item()) or extended_rosenbrock(x),
        x0,
        method="CG",
        tol=TOLERANCE,
        max_iter=budget,
    )
    print(
        f"  optim.NonlinearCG (PR+, Powell restarts): {result.nfev} evaluations, f = {result.fun:.1e}"
    )

    fr, fr_restarted = (
        evaluations["Fletcher–Reeves, no restarts"],
        evaluations["Fletcher–Reeves, restart every n"],
    )
    pr, pr_restarted = (
        evaluations["Polak–Ribière, no restarts"],
        evaluations["Polak–Ribière, restart every n"],
    )
    shown = lambda count: "not within the budget" if count == np.inf else f"{count}"  # noqa: E731
    claims.check(
        "fletcher_reeves_jams_without_restarts",
        f"evaluations to ‖g‖∞ ≤ 1e-5: Fletcher–Reeves {shown(fr)} without restarts, "
        f"{shown(fr_restarted)} with (need the restarted run to finish in < 1/2.5 of the other, "
        f"budget {budget})",
        fr_restarted < np.inf and (fr == np.inf or fr > 2.5 * fr_restarted),
    )
    if not claims.needs_full_run("polak_ribiere_restarts_itself", "1500 evaluations each"):
        claims.check(
            "polak_ribiere_restarts_itself",
            f"without restarts Polak–Ribière finishes in {shown(pr)} evaluations, "
            f"Fletcher–Reeves {shown(fr)} (need PR finished and FR > 1.5× PR)",
            pr < np.inf and fr > 1.5 * pr,
        )
        ratio = max(fr_restarted, pr_restarted) / min(fr_restarted, pr_restarted)
        claims.check(
            "restarted_variants_level",
            f"restarted every n: Fletcher–Reeves {shown(fr_restarted)}, Polak–Ribière "
            f"{shown(pr_restarted)} evaluations, ratio {ratio:.2f} (need < 1.6)",
            ratio < 1.6,
        )

    figure, axis = plt.subplots(figsize=(8, 5))
    for name, (_, _, colour) in VARIANTS.items():
        curve = np.maximum(curves[name], 1e-16)
        axis.semilogy(np.arange(1, len(curve) + 1), curve, color=colour, label=name)
    axis.semilogy(
        np.arange(1, len(reference) + 1),
        np.maximum(np.minimum.accumulate(reference), 1e-16),
        "--",
        color="k",
        lw=1,
        label="optim.NonlinearCG (PR+, Powell restarts)",
    )
    axis.set(
        title=f"Nonlinear CG on the extended Rosenbrock function (n = {DIMENSION})",
        xlabel="evaluations of f and ∇f",
        ylabel="best f so far (log scale, floor 1e-16)",
    )
    axis.legend(loc="upper right", fontsize=8)
    save_figure(figure, args, "cg_variants")
    claims.finish()


if __name__ == "__main__":
    main()
