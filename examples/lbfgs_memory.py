"""L-BFGS memory: 1 (memoryless BFGS), 3, 10 and 50 pairs on digits logistic regression (§8.6.3).

L-BFGS builds its direction −M g from the last m pairs s = θ_{k+1} − θ_k, y = g_{k+1} − g_k
(the two-loop recursion), at a cost of O(mn) per iteration and O(mn) memory instead of BFGS's
n × n matrix. With m = 1 it is the book's memoryless BFGS: each step uses the curvature of the
last step only. More pairs describe more of the Hessian, so fewer iterations, and fewer
evaluations of the loss and its gradient, are needed.

The problem: multinomial logistic regression on the 1438 training digits, 650 parameters
(64 × 10 weights and 10 biases) with an L2 penalty 1e-3/2 ‖W‖², float64, from a random start
N(0, 0.1²) drawn from ``--seed``; each memory size runs ``optim.minimize(method="L-BFGS",
history_size=m)`` with its strong Wolfe line search until ‖g‖∞ ≤ 1e-5.

What the learner should see: all four curves of J − J* against evaluations reach the same
minimum; 10 pairs finish sooner than 1 or 3, and 50 sooner than 10 (the right panel:
evaluations needed against m, on a log axis); 1 and 3 pairs are close, and which of them is
faster changes with the start.

    python examples/lbfgs_memory.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import data, optim

MEMORIES = (1, 3, 10, 50)
COLOURS = ("tab:red", "tab:orange", "tab:green", "tab:blue")


class Recorded:
    """The loss, recording its value at every evaluation."""

    def __init__(self, loss):
        self.loss, self.values = loss, []

    def __call__(self, theta):
        value = self.loss(theta)
        self.values.append(value.item())
        return value


def digits_logistic_regression(samples: int):
    X, y = data.load_digits("train", dtype="float64")
    X, y = tg.Tensor(X[:samples]), y[:samples]

    def loss(theta):
        """Mean cross-entropy of softmax(X W + b) plus (1e-3/2)‖W‖², θ = [vec(W); b]."""
        W = theta[:640].reshape(64, 10)
        return F.cross_entropy(X @ W + theta[640:], y) + 0.5e-3 * (W * W).sum()

    return loss


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    loss = digits_logistic_regression(300 if args.fast else 1438)
    theta0 = np.random.default_rng(args.seed).normal(0.0, 0.1, 650)
    tol = 1e-5
    results, curves = {}, {}
    for memory in MEMORIES:
        recorded = Recorded(loss)
        results[memory] = optim.minimize(
            recorded, theta0, method="L-BFGS", tol=tol, max_iter=5000, history_size=memory
        )
        curves[memory] = np.minimum.accumulate(recorded.values)
        r = results[memory]
        print(f"  m = {memory:2d}: {r.nit} iterations, {r.nfev} evaluations, J = {r.fun:.8f}")

    finals = [results[m].fun for m in MEMORIES]
    claims.check(
        "same_minimum",
        f"all {len(MEMORIES)} runs stop at ‖g‖∞ ≤ {tol:g} "
        f"({sum(results[m].success for m in MEMORIES)} did) with J spread "
        f"{max(finals) - min(finals):.1e} nats (need < 1e-5)",
        all(results[m].success for m in MEMORIES) and max(finals) - min(finals) < 1e-5,
    )
    evaluations = [results[m].nfev for m in MEMORIES]
    if not claims.needs_full_run("more_memory_fewer_evaluations", "the full problem"):
        claims.check(
            "more_memory_fewer_evaluations",
            "evaluations to ‖g‖∞ ≤ 1e-5 for m = "
            + ", ".join(f"{m}: {e}" for m, e in zip(MEMORIES, evaluations, strict=True))
            + " (need m = 50 < m = 10 < both m = 1 and m = 3)",
            evaluations[3] < evaluations[2] < min(evaluations[:2]),
        )
        ratio = evaluations[0] / evaluations[-1]
        claims.check(
            "memoryless_costs_more",
            f"memoryless BFGS (m = 1) needs {ratio:.1f}× the evaluations of m = 50 (need > 1.5)",
            ratio > 1.5,
        )

    # J* from a much tighter run, so that each curve shows how far its own end is from it
    tight = optim.minimize(loss, theta0, method="L-BFGS", tol=1e-9, max_iter=5000, history_size=50)
    j_star = min(tight.fun, *finals)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    for memory, colour in zip(MEMORIES, COLOURS, strict=True):
        gap = np.maximum(curves[memory] - j_star, 1e-12)
        label = f"m = {memory}" + (" (memoryless BFGS)" if memory == 1 else "")
        left.semilogy(np.arange(1, len(gap) + 1), gap, color=colour, label=label)
    left.set(
        title="L-BFGS on digits logistic regression (650 parameters)",
        xlabel="loss and gradient evaluations",
        ylabel="best J so far − J* (nats, floor 1e-12)",
    )
    left.legend(loc="upper right", fontsize=8)
    right.semilogx(MEMORIES, evaluations, "o-", color="k")
    right.set(
        title=f"Evaluations until ‖g‖∞ ≤ {tol:g}",
        xlabel="memory m (pairs kept, log scale)",
        ylabel="loss and gradient evaluations",
        ylim=(0, 1.1 * max(evaluations)),
    )
    right.set_xticks(MEMORIES, [str(m) for m in MEMORIES])
    save_figure(figure, args, "lbfgs_memory")
    claims.finish()


if __name__ == "__main__":
    main()
