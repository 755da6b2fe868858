"""Viz: look at what the framework does: computation graphs (graphviz) and figures (matplotlib).

Neither graphviz nor matplotlib is imported until a graph or a figure is drawn, so
``import tinygrad_ch8`` needs neither.
"""

from .diagnostics_plots import plot_training_diagnostics
from .graph import draw_graph, render_graph
from .plots import (
    plot_contour_paths,
    plot_curves,
    plot_gradient_norms,
    plot_histograms,
    plot_optimizer_comparison,
)

__all__ = [
    "draw_graph",
    "render_graph",
    "plot_curves",
    "plot_contour_paths",
    "plot_optimizer_comparison",
    "plot_histograms",
    "plot_gradient_norms",
    "plot_training_diagnostics",
]
