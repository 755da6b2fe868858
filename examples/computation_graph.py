"""Computation graphs: the forward graph of a loss, and the double-backward graph of a Hessian-vector product.

Every op run on tensors that require grad records a node; ``backward`` walks these nodes in
reverse. Because each op's backward is itself written with tensor ops, a backward pass run
with ``create_graph=True`` records a second graph: the gradient g = ∇J(θ) as a function of θ.
Differentiating the scalar g·v through that graph gives the Hessian-vector product
Hv = ∇(∇J·v) (Pearlmutter 1994), the building block of Newton-CG (§8.6.1).

This example draws both graphs for a tiny network (3 -> 4 -> 2, tanh, cross-entropy), with
the parameters labelled by their module paths, and checks Hv against central finite
differences of the gradient, (∇J(θ + εv) − ∇J(θ − εv)) / 2ε, whose error falls as ε² until
float64 round-off (about u/ε) takes over.

What the learner should see: two SVG graphs (the double-backward one several times larger than
the forward one), and a V-shaped curve of the finite-difference error against ε: the right arm
parallel to the ε² line, the left arm to the u/ε line, the bottom far above the round-off of
the double-backward product itself.

Claims checked in every run (``--seed`` draws the weights, the inputs, the labels and v):
- ``hvp_graph_larger``: the graph of ∇J·v has more ops than the forward graph of J.
- ``hvp_matches_differences``: at the best ε the central difference agrees with Hv to ≤ 1e-7.
- ``truncation_is_second_order``: for ε from 1e-1 to 1e-3 the error falls like ε^p, 1.8 ≤ p ≤ 2.2.
- ``roundoff_at_small_eps``: at ε = 1e-9 the error is ≥ 10× the best one (round-off u/ε).

Run: python examples/computation_graph.py [--fast] [--seed N] [--out DIR]
(the graphs as SVG need graphviz's `dot`)
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from example_utils import Claims, parse_args, save_figure

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn

FLOAT64_ROUNDOFF = np.finfo(np.float64).eps


def render(graph, args, name: str) -> None:
    """Write the graph as SVG (and DOT); without graphviz's `dot` only the DOT file is written."""
    try:
        path = tg.viz.render_graph(graph, os.path.join(args.out, f"{name}.svg"))
    except RuntimeError as error:
        print(error)
        return
    print(f"graph saved to {path}")


def count_nodes(graph) -> tuple[int, int]:
    """(ops, tensors) in a Digraph drawn by draw_graph: ops are ellipses, tensors boxes."""
    ops = sum("shape=ellipse" in line for line in graph.body)
    tensors = sum("shape=box" in line for line in graph.body)
    return ops, tensors


def gradient(model, inputs, labels) -> list:
    loss = F.cross_entropy(model(inputs), labels)
    return [g.data for g in tg.grad(loss, list(model.parameters()))]


def move_to(parameters, origin, directions, step: float) -> None:
    """θ ← θ0 + step · v, in place (from the saved θ0, so no round-off piles up between steps)."""
    with tg.no_grad():
        for p, start, v in zip(parameters, origin, directions, strict=True):
            p.data[...] = start + step * v.data


def main() -> None:
    args = parse_args(__doc__)
    tg.set_default_dtype("float64")  # finite differences need float64 to be worth comparing
    claims = Claims(args.fast)
    tg.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    inputs = tg.randn(5, 3)
    labels = tg.Tensor(np.random.default_rng(args.seed).integers(0, 2, size=5))
    parameters = list(model.parameters())

    loss = F.cross_entropy(model(inputs), labels)
    forward_graph = tg.viz.draw_graph(loss, names=model)
    forward_ops, forward_tensors = count_nodes(forward_graph)
    print(f"forward graph of the loss: {forward_ops} ops, {forward_tensors} tensors")
    render(forward_graph, args, "forward_graph")

    # g = ∇J(θ) with its own graph, then the scalar g·v whose gradient is Hv
    gradients = tg.grad(loss, parameters, create_graph=True)
    directions = [tg.randn(*p.shape) for p in parameters]
    directional = sum((g * v).sum() for g, v in zip(gradients, directions, strict=True))
    names = [name for name, _ in model.named_parameters()]
    direction_names = {f"v[{name}]": v for name, v in zip(names, directions, strict=True)}
    hvp_graph = tg.viz.draw_graph(
        directional, names={**dict(model.named_parameters()), **direction_names}
    )
    hvp_ops, hvp_tensors = count_nodes(hvp_graph)
    print(
        f"graph of ∇J·v recorded by backward(create_graph=True): {hvp_ops} ops, {hvp_tensors} tensors "
        f"({hvp_ops / forward_ops:.1f}x the forward graph)"
    )
    claims.check(
        "hvp_graph_larger",
        f"the graph of ∇J·v has {hvp_ops} ops, the forward graph {forward_ops} (need more)",
        hvp_ops > forward_ops,
    )
    render(hvp_graph, args, "hvp_graph")

    hessian_vector = np.concatenate([h.numpy().ravel() for h in tg.grad(directional, parameters)])

    steps = np.logspace(-1, -9, 5 if args.fast else 17)
    origin = [p.data.copy() for p in parameters]
    differences = []
    for step in steps:
        move_to(parameters, origin, directions, step)
        ahead = gradient(model, inputs, labels)
        move_to(parameters, origin, directions, -step)
        behind = gradient(model, inputs, labels)
        estimate = np.concatenate([(a - b).ravel() for a, b in zip(ahead, behind, strict=True)]) / (
            2 * step
        )
        differences.append(
            np.linalg.norm(estimate - hessian_vector) / np.linalg.norm(hessian_vector)
        )
    move_to(parameters, origin, directions, 0.0)
    differences = np.array(differences)
    best = int(differences.argmin())
    print(f"‖Hv‖ = {np.linalg.norm(hessian_vector):.4f}; relative difference per ε:")
    print("  " + ", ".join(f"{e:.0e}: {d:.1e}" for e, d in zip(steps, differences, strict=True)))
    claims.check(
        "hvp_matches_differences",
        f"central differences agree with the double-backward Hv to a relative {differences[best]:.1e} "
        f"at ε = {steps[best]:.0e} (need ≤ 1e-7)",
        differences[best] <= 1e-7,
    )
    large = steps >= 1e-3
    order = np.polyfit(np.log(steps[large]), np.log(differences[large]), 1)[0]
    claims.check(
        "truncation_is_second_order",
        f"for ε in [1e-3, 1e-1] the difference falls like ε^{order:.2f} (need 1.8 ≤ p ≤ 2.2)",
        1.8 <= order <= 2.2,
    )
    claims.check(
        "roundoff_at_small_eps",
        f"at ε = {steps[-1]:.0e} the difference is {differences[-1]:.1e}, "
        f"{differences[-1] / differences[best]:.0f}x the best (need ≥ 10x: round-off u/ε)",
        differences[-1] >= 10 * differences[best],
    )

    truncation = differences[0] * (steps / steps[0]) ** 2
    roundoff = FLOAT64_ROUNDOFF / steps
    figure, ax = plt.subplots(figsize=(6.4, 4.4))
    tg.viz.plot_curves(
        {
            "central difference vs double backward": differences,
            "O(ε²) truncation": truncation,
            "O(u/ε) round-off": roundoff,
        },
        x=steps,
        xlabel="finite-difference step ε (log scale)",
        ylabel="relative difference ‖·‖ / ‖Hv‖",
        title="Hessian-vector product: double backward against finite differences",
        logy=True,
        ax=ax,
    )
    ax.set_xscale("log")
    ax.set_ylim(differences.min() / 10, differences.max() * 10)
    save_figure(figure, args, "computation_graph_hvp_check")
    claims.finish()


if __name__ == "__main__":
    main()
