"""Sparse coding by block coordinate descent (§8.7.2): recover a planted dictionary.

J(H, W) = λ Σ|H| + ‖X − H W‖² is not convex in (H, W), but it is a lasso problem in the codes H
and a least squares problem in the unit-norm atoms W, so the two blocks are minimized in turn,
each exactly. The data are made from a known dictionary and 3-sparse codes plus a little noise;
the example reports how many true atoms the learned dictionary finds (|cosine| > 0.95), shows
that J never increases, and how λ trades reconstruction error against sparsity.

What the learner should see: J falling at every block step (left), a bright near-diagonal of
|cosine| ≈ 1 between learned and planted atoms (middle), and, as λ grows, fewer nonzeros per
code and a larger reconstruction error (right).

Claims (``--seed`` draws the planted dictionary, the codes, the noise and the initial atoms):
- ``objective_never_rises``: over every λ, J never rises by more than 1e-9 of its start.
- ``atoms_recovered``: at the best λ of the sweep, ≥ 90% of the planted atoms have a learned
  atom with |cosine| > 0.95.
- ``sparsity_falls_with_lambda`` and ``error_grows_with_lambda``: nonzeros per code fall and
  the relative reconstruction error grows from the smallest λ to the largest, at every step.

    python examples/sparse_coding.py [--fast] [--seed N] [--out DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
from tinygrad_ch8.strategies import sparse_coding

N_FEATURES, N_ATOMS, SPARSITY = 30, 20, 3


def best_cosines(learned, true):
    """For each true atom, the |cosine| of the learned atom closest to it (atoms are unit rows)."""
    return np.abs(learned @ true.T).max(axis=0)


def main():
    args = parse_args(__doc__)
    claims = Claims(args.fast)
    n_samples = 400 if args.fast else 800
    n_iter = 25 if args.fast else 60
    lams = [0.05, 0.2, 0.8] if args.fast else [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]
    X, W_true, _ = tg.data.planted_sparse_coding(
        n_samples, N_FEATURES, N_ATOMS, SPARSITY, noise=0.01, rng=args.seed, dtype="float64"
    )
    print(
        f"X: {n_samples} samples x {N_FEATURES} features = {SPARSITY}-sparse codes x {N_ATOMS} unit atoms "
        f"+ N(0, 0.01^2) noise"
    )
    print(
        f"{'lambda':>7} {'atoms found':>12} {'nonzeros/code':>14} {'relative error':>15} "
        f"{'largest rise of J / J0':>23}"
    )
    sweep = {}
    for lam in lams:
        result = sparse_coding(X, N_ATOMS, lam, n_iter=n_iter, rng=args.seed + 1000)
        found = (best_cosines(result.dictionary, W_true) > 0.95).mean()
        nonzeros = (result.codes != 0).sum(axis=1).mean()
        error = np.linalg.norm(X - result.codes @ result.dictionary) / np.linalg.norm(X)
        # exact block minimizations: J may only "rise" by floating-point round-off
        largest_rise = max(0.0, float(np.diff(result.objective).max())) / result.objective[0]
        sweep[lam] = (found, nonzeros, error, result)
        print(f"{lam:>7g} {found:>11.0%} {nonzeros:>14.2f} {error:>15.4f} {largest_rise:>23.1e}")
    best_lam = max(lams, key=lambda lam: (sweep[lam][0], -abs(np.log(lam / 0.2))))
    found, nonzeros, error, result = sweep[best_lam]
    worst_rise = max(
        max(0.0, float(np.diff(sweep[lam][3].objective).max())) / sweep[lam][3].objective[0]
        for lam in lams
    )
    claims.check(
        "objective_never_rises",
        f"over every λ the largest rise of J between block steps is {worst_rise:.1e} of its start "
        "(need ≤ 1e-9: exact block minimizations only lose round-off)",
        worst_rise <= 1e-9,
    )
    claims.check(
        "atoms_recovered",
        f"with λ = {best_lam:g}, {found:.0%} of the {N_ATOMS} planted atoms are found with |cosine| > "
        f"0.95 (need ≥ 90%); codes average {nonzeros:.2f} nonzeros (planted: {SPARSITY})",
        found >= 0.9,
    )
    nonzero_counts = [sweep[lam][1] for lam in lams]
    errors = [sweep[lam][2] for lam in lams]
    claims.check(
        "sparsity_falls_with_lambda",
        f"nonzeros per code from λ = {lams[0]:g} to {lams[-1]:g}: "
        f"{', '.join(f'{n:.2f}' for n in nonzero_counts)} (need falling at every step)",
        bool(np.all(np.diff(nonzero_counts) < 0)),
    )
    claims.check(
        "error_grows_with_lambda",
        f"relative reconstruction error from λ = {lams[0]:g} to {lams[-1]:g}: "
        f"{', '.join(f'{e:.3f}' for e in errors)} (need growing at every step)",
        bool(np.all(np.diff(errors) > 0)),
    )

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
    steps = np.arange(len(result.objective))
    objective = np.asarray(result.objective)
    left.plot(steps, objective, color="tab:gray", linewidth=0.8)
    left.plot(steps[1::2], objective[1::2], ".", label="after an H-step (lasso on the codes)")
    left.plot(steps[2::2], objective[2::2], ".", label="after a W-step (unit-norm atoms)")
    left.set_yscale("log")
    left.set_xlabel("block step")
    left.set_ylabel("J(H, W)")
    left.set_title(f"J(H, W) per block step (λ = {best_lam:g})")
    left.legend()
    cosines = np.abs(result.dictionary @ W_true.T)
    image = middle.imshow(
        cosines[np.argsort(cosines.argmax(axis=1))], vmin=0, vmax=1, cmap="viridis"
    )
    figure.colorbar(image, ax=middle, label="|cosine|")
    middle.set_xlabel("planted atom")
    middle.set_ylabel("learned atom (sorted by best match)")
    middle.set_title(f"|cosine| learned vs planted atoms: {found:.0%} found")
    middle.plot([], [], "s", color="yellow", label="|cosine| ≈ 1: a recovered atom")
    middle.legend(loc="lower left", fontsize="small")
    right.semilogx(lams, [sweep[lam][0] for lam in lams], "o-", label="share of atoms recovered")
    right.semilogx(
        lams, [sweep[lam][1] / SPARSITY for lam in lams], "s-", label="nonzeros per code / 3"
    )
    right.semilogx(
        lams, [sweep[lam][2] for lam in lams], "^-", label="relative reconstruction error"
    )
    right.set_xlabel("λ")
    right.set_ylabel("value")
    right.set_title("the L1 weight λ: sparsity against fit")
    right.legend()
    save_figure(figure, args, "sparse_coding")
    claims.finish()


if __name__ == "__main__":
    main()
