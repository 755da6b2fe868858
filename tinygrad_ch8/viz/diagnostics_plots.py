"""Viz: the figure of a ``training.TrainingMonitor`` run: training seen from inside.

Six panels, each answering one question a learner asks of a run (CS231n's "babysitting",
Glorot & Bengio 2010, Figs. 2-7):

* activation histograms per layer at the last recorded step: piled at the ends = saturated;
* histograms of the gradient ∂J/∂h reaching each layer: narrower with depth = vanishing;
* the mean activation of each layer over the steps (Glorot & Bengio's Fig. 2);
* the saturated fraction of each layer over the steps;
* the update-to-data ratio log10(‖Δθ‖/‖θ‖) of each weight over the steps, with the usual
  healthy value −3 drawn;
* λ_max of the Hessian over the steps with 2/ε drawn, the step size's stability limit on a
  quadratic (§8.2.1), when the monitor measured it.
"""

from __future__ import annotations

import math

from .plots import _pyplot, numpy

HEALTHY_UPDATE_RATIO = -3.0  # log10(‖Δθ‖/‖θ‖): CS231n's rule of thumb, ‖Δθ‖ ≈ 1e-3 ‖θ‖


def _histogram_lines(ax, histograms: dict, xlabel: str, logy: bool) -> None:
    """One line per layer through the centres of its last recorded histogram (as a density)."""
    for name, pair in histograms.items():
        if pair is None:
            continue
        counts, edges = pair
        widths = numpy.diff(edges)
        density = counts / max(counts.sum(), 1) / widths
        if logy:  # empty bins have no logarithm: leave gaps
            density = numpy.where(counts > 0, density, numpy.nan)
        ax.plot((edges[:-1] + edges[1:]) / 2, density, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")


def plot_training_diagnostics(monitor, title: str = "", weights_only: bool = True):
    """The six panels of a monitor's records (see the module docstring); returns the Figure.

    Args:
        monitor: a ``training.TrainingMonitor`` after (part of) a run.
        title: the figure's title.
        weights_only: in the update-ratio panel, show only parameters with two or more axes
            (biases and batch-norm scales start at 0 or 1 and dwarf the picture).
    """
    if not monitor.steps:
        raise ValueError(
            "plot_training_diagnostics: the monitor recorded no step (was it attached, and "
            "was its on_step_end passed to the training loop?)"
        )
    figure, axes = _pyplot().subplots(2, 3, figsize=(16, 8.5))
    (activations, gradients, means), (saturation, updates, curvature) = axes
    steps = monitor.steps
    last_step = steps[-1]
    _histogram_lines(
        activations,
        {name: trace.histograms[-1] for name, trace in monitor.layers.items()},
        "activation h",
        logy=False,
    )
    activations.set_title(f"activations at step {last_step}")
    _histogram_lines(
        gradients,
        {name: trace.gradient_histograms[-1] for name, trace in monitor.layers.items()},
        "gradient ∂J/∂h",
        logy=True,
    )
    gradients.set_title(f"gradients reaching each layer at step {last_step}")
    for name, trace in monitor.layers.items():
        means.plot(steps, trace.mean, label=name)
        saturation.plot(steps, trace.saturation, label=name)
    means.set_title("mean activation")
    means.set_ylabel("mean of h over the minibatch")
    saturation.set_title("saturated fraction")
    saturation.set_ylabel("tanh |h|>0.97, σ <0.03 or >0.97, ReLU h=0")
    saturation.set_ylim(-0.02, 1.02)
    for name, trace in monitor.parameters.items():
        if weights_only and monitor.named_parameters[name].ndim < 2:
            continue
        updates.plot(steps, trace.update_ratio, label=name)
    updates.axhline(HEALTHY_UPDATE_RATIO, color="black", linestyle="--", label="1e-3 reference")
    updates.set_title("update-to-data ratio")
    updates.set_ylabel("log10(‖Δθ‖ / ‖θ‖)")
    if monitor.hessian_steps:
        curvature.plot(monitor.hessian_steps, monitor.top_eigenvalues, marker="o", label="λ_max")
        limits = [
            2 / lr if lr and not math.isnan(lr) else math.nan
            for lr in monitor.hessian_learning_rates
        ]
        if not all(math.isnan(limit) for limit in limits):
            curvature.plot(
                monitor.hessian_steps, limits, color="black", linestyle="--", label="2/ε"
            )
        curvature.set_yscale("log")
    else:
        curvature.text(
            0.5,
            0.5,
            "λ_max not measured\n(TrainingMonitor(hessian_every=...))",
            ha="center",
            va="center",
            transform=curvature.transAxes,
        )
    curvature.set_title("curvature against the stability limit")
    curvature.set_ylabel("largest Hessian eigenvalue")
    for ax in (means, saturation, updates, curvature):
        ax.set_xlabel("step")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="x-small")
    figure.suptitle(title or "training diagnostics")
    figure.tight_layout()
    return figure
