"""viz.plots: every figure has a title, labelled axes and a legend, and plots the values it was given."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8.viz import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_readable(figure):
    """Each visible axes has a title, both axis labels and a legend; the figure has a title."""
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert visible
    for ax in visible:
        assert ax.get_title()
        assert ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None


def line_data(ax):
    return {line.get_label(): (line.get_xdata(), line.get_ydata()) for line in ax.get_lines()}


def test_plot_curves_draws_each_curve_against_its_x():
    figure = plots.plot_curves(
        {"sgd": [3.0, 2.0, 1.0], "adam": tg.Tensor([4.0, 1.0])},
        x={"sgd": [0, 10, 20], "adam": [0, 5]},
        title="losses",
        logy=True,
    )
    assert_readable(figure)
    ax = figure.axes[0]
    lines = line_data(ax)
    np.testing.assert_array_equal(lines["sgd"][0], [0, 10, 20])
    np.testing.assert_array_equal(lines["sgd"][1], [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(lines["adam"][1], [4.0, 1.0])
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "losses"


def test_plot_curves_without_x_counts_steps_and_draws_into_given_axes():
    figure, ax = plt.subplots()
    returned = plots.plot_curves(
        {"loss": np.array([5.0, 4.0, 3.0, 2.0])}, ax=ax, ylabel="loss (nats)"
    )
    assert returned is figure
    np.testing.assert_array_equal(line_data(ax)["loss"][0], [0, 1, 2, 3])
    assert ax.get_ylabel() == "loss (nats)"
    assert ax.get_yscale() == "linear"


def test_contour_levels_are_geometric_above_the_minimum():
    heights = np.array([[-2.0, 0.0], [10.0, 98.0]])
    levels = plots._contour_levels(heights, 5, logscale=True)
    gaps = levels - heights.min()
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], np.full(4, 10.0))
    assert levels[-1] == pytest.approx(98.0)
    assert plots._contour_levels(heights, 7, logscale=False) == 7


def test_plot_contour_paths_marks_each_path():
    path = np.array([[1.0, 1.0], [0.5, -0.5], [0.1, 0.05]])
    figure = plots.plot_contour_paths(lambda x, y: x**2 + 10 * y**2, {"gd": path}, (-2, 2), (-1, 1))
    assert_readable(figure)
    ax = figure.axes[0]
    drawn = line_data(ax)["gd (2 steps)"]
    np.testing.assert_array_equal(drawn[0], path[:, 0])
    np.testing.assert_array_equal(drawn[1], path[:, 1])
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1)


def test_plot_optimizer_comparison_has_steps_time_and_paths_panels():
    results = {
        "sgd": {"loss": [4.0, 2.0, 1.0], "seconds": [0.0, 0.1, 0.2]},
        "newton": {"loss": [4.0, 0.5], "seconds": [0.0, 0.3]},
    }
    paths = {
        "sgd": np.array([[1.0, 1.0], [0.5, 0.5], [0.2, 0.2]]),
        "newton": np.array([[1.0, 1.0], [0.0, 0.0]]),
    }
    figure = plots.plot_optimizer_comparison(
        results, title="race", f=lambda x, y: x**2 + y**2, paths=paths
    )
    assert_readable(figure)
    steps, seconds, surface = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    np.testing.assert_array_equal(line_data(seconds)["newton"][0], [0.0, 0.3])
    np.testing.assert_array_equal(line_data(steps)["newton"][0], [0, 1])
    assert "(s)" in seconds.get_xlabel()
    # default limits hold every path with a margin
    assert surface.get_xlim()[0] < 0 < 1 < surface.get_xlim()[1]
    assert figure._suptitle.get_text() == "race"


def test_plot_optimizer_comparison_without_surface_has_two_panels():
    figure = plots.plot_optimizer_comparison({"sgd": {"loss": [2.0, -1.0], "seconds": [0.0, 1.0]}})
    assert len(figure.axes) == 2
    assert figure.axes[0].get_yscale() == "linear"  # a negative loss cannot go on a log axis
    assert_readable(figure)


def test_plot_histograms_one_panel_per_layer_with_its_std():
    rng = np.random.default_rng(0)
    values = {f"layer {i}": rng.standard_normal(500) * 0.5**i for i in range(5)}
    values["layer 4"] = tg.Tensor(values["layer 4"])
    figure = plots.plot_histograms(values, title="activations at init")
    assert_readable(figure)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(values)
    assert len(figure.axes) == 8 and len(visible) == 5  # a 2 x 4 grid, spare cells hidden
    legend = visible[1].get_legend().get_texts()[0].get_text()
    assert f"{np.std(values['layer 1']):.3g}" in legend
    counts = sum(patch.get_height() for patch in visible[0].patches)
    assert counts == 500


def test_plot_gradient_norms_per_layer_on_a_log_axis():
    figure = plots.plot_gradient_norms({"sigmoid": [1e-4, 1e-2, 1.0], "residual": [0.5, 0.6, 0.7]})
    assert_readable(figure)
    ax = figure.axes[0]
    np.testing.assert_array_equal(line_data(ax)["sigmoid"][0], [1, 2, 3])
    np.testing.assert_array_equal(line_data(ax)["sigmoid"][1], [1e-4, 1e-2, 1.0])
    assert ax.get_yscale() == "log"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(
        sys.modules, "matplotlib.pyplot", None
    )  # makes `import matplotlib.pyplot` fail
    with pytest.raises(ImportError, match=r"pip install 'tinygrad-ch8\[plot\]'"):
        plots.plot_curves({"loss": [1.0]})


def test_importing_the_package_loads_neither_matplotlib_nor_graphviz():
    code = "import sys, tinygrad_ch8; print('matplotlib' in sys.modules, 'graphviz' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
