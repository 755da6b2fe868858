"""Viz: the figures the examples draw (matplotlib, the optional ``plot`` extra).

Five kinds of figure cover Chapter 8: training curves, the optimizer comparison (loss
against steps and against seconds, with the paths on a 2-D cost surface), contour plots of
a cost J(θ1, θ2) with optimizer paths, per-layer activation histograms (§8.4,
initialization) and per-layer gradient norms (§8.7.5, models that aid optimization). Every
function returns the matplotlib Figure and gives it a title, labelled axes and a legend.

matplotlib is imported when a figure is drawn, not when this module is imported, so
``import tinygrad_ch8`` works without it. Values may be lists, NumPy or CuPy arrays, or
Tensors; they are copied to the host before plotting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .. import backend
from ..tensor import Tensor

numpy = backend.numpy

GRID_POINTS = 200  # per axis of a contour plot: smooth level sets, still a fraction of a second
MAX_HISTOGRAM_COLUMNS = 4


def _pyplot():
    """matplotlib's pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "tinygrad_ch8.viz plots need matplotlib, which is not installed: "
            "pip install 'tinygrad-ch8[plot]'"
        ) from error
    return plt


def _host(values):
    """``values`` (a Tensor, a NumPy/CuPy array or a sequence) as a float NumPy array on the host."""
    if isinstance(values, Tensor):
        values = values.data
    if backend.is_array(values):
        values = backend.to_numpy(values)
    return numpy.asarray(values, dtype=float)


def _new_axes(ax):
    """(figure, axes): the given axes and its figure, or a new single-axes figure."""
    if ax is not None:
        return ax.figure, ax
    figure, ax = _pyplot().subplots(figsize=(6.4, 4.4))
    return figure, ax


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    x: Mapping[str, Sequence[float]] | Sequence[float] | None = None,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str = "",
    logy: bool = False,
    ax=None,
):
    """One line per named curve (training loss, accuracy, a learning rate schedule...).

    Args:
        curves: name -> values; the name goes in the legend.
        x: the abscissa: None (0, 1, 2, ...), one sequence shared by every curve, or a dict
            name -> sequence (curves of different lengths or sampling).
        xlabel, ylabel: axis labels; put the unit in them, e.g. ``"time (s)"``.
        logy: logarithmic y axis (losses that fall over orders of magnitude).
        ax: draw into these matplotlib axes instead of a new figure.
    """
    figure, ax = _new_axes(ax)
    for name, values in curves.items():
        values = _host(values)
        if x is None:
            abscissa = numpy.arange(len(values))
        else:
            abscissa = _host(x[name] if isinstance(x, Mapping) else x)
        ax.plot(abscissa, values, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} against {xlabel}")
    ax.grid(alpha=0.3)
    ax.legend()
    return figure


def _contour_levels(heights, count: int, logscale: bool):
    """``count`` levels spanning ``heights``; geometrically spaced above the minimum when ``logscale``.

    Log spacing puts most level sets near the minimum, where an optimizer's path ends, and
    works for surfaces that go negative (saddles) because it is measured from the minimum.
    """
    lowest, highest = float(heights.min()), float(heights.max())
    if not logscale or highest <= lowest:
        return count
    span = highest - lowest
    return lowest + numpy.geomspace(span * 1e-4, span, count)


def plot_contour_paths(
    f: Callable,
    paths: Mapping[str, Sequence],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    title: str = "",
    levels: int = 30,
    logscale: bool = True,
    ax=None,
):
    """Level sets of a cost J(θ1, θ2) with the points each optimizer visited.

    Args:
        f: ``f(X, Y) -> Z`` evaluated on NumPy grids (element-wise, like ``X**2 + 10*Y**2``).
        paths: name -> array of shape (k, 2), the iterates θ(0), ..., θ(k-1).
        xlim, ylim: the plotted ranges of θ1 and θ2.
        levels: how many level sets to draw.
        logscale: space the levels geometrically above the minimum (narrow valleys).
        ax: draw into these matplotlib axes instead of a new figure.
    """
    figure, ax = _new_axes(ax)
    grid_x, grid_y = numpy.meshgrid(
        numpy.linspace(xlim[0], xlim[1], GRID_POINTS), numpy.linspace(ylim[0], ylim[1], GRID_POINTS)
    )
    heights = _host(f(grid_x, grid_y))
    contours = ax.contour(
        grid_x,
        grid_y,
        heights,
        levels=_contour_levels(heights, levels, logscale),
        cmap="viridis",
        linewidths=0.8,
    )
    figure.colorbar(contours, ax=ax, label="J(θ)")
    ax.plot([], [], color="tab:gray", linewidth=0.8, label="level sets of J")
    for name, path in paths.items():
        path = _host(path).reshape(-1, 2)
        (line,) = ax.plot(
            path[:, 0],
            path[:, 1],
            marker=".",
            markersize=4,
            linewidth=1.2,
            label=f"{name} ({len(path) - 1} step{'' if len(path) == 2 else 's'})",
        )
        ax.plot(path[0, 0], path[0, 1], marker="o", color=line.get_color())
        ax.plot(path[-1, 0], path[-1, 1], marker="*", markersize=12, color=line.get_color())
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("θ1")
    ax.set_ylabel("θ2")
    ax.set_title(title or "optimizer paths on J(θ1, θ2) (o start, * end)")
    ax.legend(fontsize="small")
    return figure


def _path_limits(paths: Mapping[str, Sequence]):
    """Plot ranges that hold every path with a 10 % margin on each side."""
    points = numpy.concatenate([_host(path).reshape(-1, 2) for path in paths.values()])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = numpy.maximum(0.1 * (high - low), 1e-3)
    return (low[0] - margin[0], high[0] + margin[0]), (low[1] - margin[1], high[1] + margin[1])


def plot_optimizer_comparison(
    results: Mapping[str, Mapping[str, Sequence[float]]],
    title: str = "",
    f: Callable | None = None,
    paths: Mapping[str, Sequence] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
):
    """Optimizers side by side: loss against steps, loss against wall-clock seconds, and paths.

    A method that takes fewer steps can still lose on time (a Newton step costs a Hessian),
    which is why both abscissas are shown.

    Args:
        results: name -> ``{"loss": per-step losses, "seconds": elapsed seconds at each step}``.
        f, paths: with a 2-D cost ``f(X, Y)`` and name -> (k, 2) iterates, a third panel draws
            the paths on its contours (see ``plot_contour_paths``).
        xlim, ylim: that panel's ranges; by default they hold every path.
    """
    panels = 3 if f is not None else 2
    figure, axes = _pyplot().subplots(1, panels, figsize=(5.2 * panels, 4.4))
    losses = {name: result["loss"] for name, result in results.items()}
    positive = all((_host(loss) > 0).all() for loss in losses.values())
    plot_curves(
        losses,
        xlabel="step",
        ylabel="loss J(θ)",
        title="loss against steps",
        logy=positive,
        ax=axes[0],
    )
    seconds = {name: result["seconds"] for name, result in results.items()}
    plot_curves(
        losses,
        x=seconds,
        xlabel="wall-clock time (s)",
        ylabel="loss J(θ)",
        title="loss against time",
        logy=positive,
        ax=axes[1],
    )
    if f is not None:
        if paths is None:
            raise ValueError("plot_optimizer_comparison: f was given without paths to draw on it")
        if xlim is None or ylim is None:
            default_xlim, default_ylim = _path_limits(paths)
            xlim, ylim = xlim or default_xlim, ylim or default_ylim
        plot_contour_paths(f, paths, xlim, ylim, title="paths on the cost surface", ax=axes[2])
    figure.suptitle(title or "optimizer comparison")
    figure.tight_layout()
    return figure


def plot_histograms(
    values: Mapping[str, Sequence[float]], title: str = "", xlabel: str = "activation"
):
    """One histogram per layer (activations at initialization, §8.4), with each layer's std.

    Too small an initial scale shows as histograms shrinking towards 0 with depth; too large
    a scale as saturated units piling up at ±1 (tanh) or growing without bound (ReLU).

    Args:
        values: layer name -> the values of that layer (any shape; flattened).
        xlabel: what the values are, e.g. ``"activation h"`` or ``"weight"``.
    """
    names = list(values)
    columns = min(len(names), MAX_HISTOGRAM_COLUMNS)
    rows = -(-len(names) // columns)
    # one scale: shrinking/growing shows
    figure, axes = _pyplot().subplots(
        rows, columns, figsize=(3.4 * columns, 2.8 * rows), sharex=True, squeeze=False
    )
    for ax, name in zip(axes.flat, names, strict=False):  # a grid may have spare cells
        layer_values = _host(values[name]).ravel()
        ax.hist(
            layer_values,
            bins=50,
            color="tab:blue",
            alpha=0.8,
            label=f"{name}\nstd {layer_values.std():.3g}",
        )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("count (units × examples)")
        ax.set_title(name)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    figure.suptitle(title or f"{xlabel} per layer")
    figure.tight_layout()
    return figure


def plot_gradient_norms(norms: Mapping[str, Sequence[float]], title: str = ""):
    """Gradient norm ‖∇_W J‖₂ of each layer, one line per model (§8.7.5: vanishing gradients).

    Args:
        norms: model name -> one norm per layer, ordered from the input to the output.
    """
    figure, ax = _new_axes(None)
    for name, layer_norms in norms.items():
        layer_norms = _host(layer_norms)
        ax.plot(numpy.arange(1, len(layer_norms) + 1), layer_norms, marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm ‖∇_W J‖₂ (log scale)")
    ax.set_title(title or "gradient norm per layer")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return figure
