"""training.TrainingMonitor: its statistics against a hand computation, and its hooks."""

import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_ch8 as tg
import tinygrad_ch8.functional as F
from tinygrad_ch8 import nn, optim
from tinygrad_ch8.training import TrainingMonitor, saturated_fraction, train_classifier

LR = 0.1


def two_layer_network(rng):
    """Linear(3, 4) → Tanh → Linear(4, 2) in float64, with weights large enough to saturate."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for parameter in model.parameters():
        parameter.data[...] = rng.standard_normal(parameter.shape) * 2.0
    return model


@pytest.fixture
def problem():
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(0)
    model = two_layer_network(rng)
    x, y = rng.standard_normal((6, 3)), np.array([0, 1, 1, 0, 1, 0])
    return model, x, y


def hand_computed_step(model, x, y):
    """The forward and backward pass of the two-layer network, in NumPy."""
    W1, b1, W2, b2 = (p.numpy().copy() for p in model.parameters())
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g_logits = (p - np.eye(2)[y]) / len(y)  # d(mean cross-entropy)/d(logits)
    g_h = g_logits @ W2.T
    g_z = g_h * (1 - h**2)
    gradients = [x.T @ g_z, g_z.sum(axis=0), h.T @ g_logits, g_logits.sum(axis=0)]
    return h, g_h, [W1, b1, W2, b2], gradients


def test_statistics_after_one_sgd_step_match_a_hand_computation(problem):
    model, x, y = problem
    h, g_h, values, gradients = hand_computed_step(model, x, y)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    monitor = TrainingMonitor(model, every=1, optimizer=optimizer, bins=8)
    batches = [(tg.Tensor(x), tg.Tensor(y))]
    held_out = (np.ones((2, 3)), np.array([0, 1]))  # evaluated under no_grad: must not be recorded
    with monitor:
        train_classifier(
            model, optimizer, batches, 1, test_data=held_out, on_step_end=monitor.on_step_end
        )
    assert monitor.steps == [0] and monitor.learning_rates == [LR]
    assert list(monitor.layers) == ["layers.1"]  # the Tanh module, named by its path
    layer = monitor.layers["layers.1"]
    assert layer.kind == "tanh"
    np.testing.assert_allclose(layer.mean, [h.mean()], rtol=1e-12)
    np.testing.assert_allclose(layer.std, [h.std()], rtol=1e-12)
    saturation = (np.abs(h) > 0.97).mean()
    assert 0 < saturation < 1  # the check below tells saturated units from the others
    assert layer.saturation == [saturation]
    np.testing.assert_allclose(layer.gradient_std, [g_h.std()], rtol=1e-10)
    counts, edges = layer.histograms[0]
    expected_counts, expected_edges = np.histogram(h, bins=8, range=(-1, 1))
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(edges, expected_edges)
    gradient_counts, _ = layer.gradient_histograms[0]
    assert gradient_counts.sum() == g_h.size
    for name, value, gradient in zip(monitor.parameters, values, gradients, strict=True):
        trace = monitor.parameters[name]
        np.testing.assert_allclose(trace.gradient_std, [gradient.std()], rtol=1e-10)
        ratio = math.log10(LR * np.linalg.norm(gradient) / np.linalg.norm(value))
        np.testing.assert_allclose(trace.update_ratio, [ratio], rtol=1e-10)


def test_saturation_rules_for_each_kind():
    h = np.array([-0.99, -0.5, 0.0, 0.02, 0.5, 0.98])
    assert saturated_fraction(h, "tanh") == 2 / 6
    assert saturated_fraction(h, "sigmoid") == 5 / 6  # h < 0.03 or h > 0.97: four negatives too
    assert saturated_fraction(h, "relu") == 3 / 6
    assert math.isnan(saturated_fraction(h, "other"))


def count_hooks(model) -> int:
    return sum(len(module.forward_hooks) for module in model.modules())


def test_hooks_are_installed_only_for_recorded_steps_and_removed_on_detach(problem):
    model, x, y = problem
    before = model(tg.Tensor(x)).numpy()
    optimizer = optim.SGD(model.parameters(), lr=0.0)  # lr 0: the outputs must stay identical
    monitor = TrainingMonitor(model, every=3)
    hooks_after_step = []

    def on_step_end(step, loss):
        monitor.on_step_end(step, loss)
        hooks_after_step.append(count_hooks(model))

    batches = [(tg.Tensor(x), tg.Tensor(y))] * 7
    with monitor:
        assert count_hooks(model) == 1
        train_classifier(model, optimizer, batches, 1, on_step_end=on_step_end)
    # armed after steps 2 and 5 for steps 3 and 6
    assert hooks_after_step == [0, 0, 1, 0, 0, 1, 0]
    assert monitor.steps == [0, 3, 6]
    assert count_hooks(model) == 0
    np.testing.assert_array_equal(model(tg.Tensor(x)).numpy(), before)


def test_a_monitor_switched_off_installs_no_hook(problem):
    model, x, y = problem
    optimizer = optim.SGD(model.parameters(), lr=LR)
    monitor = TrainingMonitor(model, every=1, enabled=False)
    hooks = []

    def on_step_end(step, loss):
        monitor.on_step_end(step, loss)
        hooks.append(count_hooks(model))

    batches = [(tg.Tensor(x), tg.Tensor(y))] * 3
    with monitor:
        hooks.append(count_hooks(model))
        train_classifier(model, optimizer, batches, 1, on_step_end=on_step_end)
    assert hooks == [0, 0, 0, 0]
    assert monitor.steps == [] and monitor.layers["layers.1"].mean == []


def test_top_hessian_eigenvalue_of_least_squares_is_exact():
    tg.set_default_dtype("float64")
    rng = np.random.default_rng(1)
    X, targets = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    model = nn.Linear(3, 1)
    inputs = np.hstack([X, np.ones((20, 1))])
    exact = np.linalg.eigvalsh(2 / 20 * inputs.T @ inputs)[-1]  # H of mean((Xw + b − y)²)
    monitor = TrainingMonitor(
        model,
        every=1,
        layers={},
        hessian_every=2,
        hessian_closure=lambda: F.mse_loss(model(tg.Tensor(X)), tg.Tensor(targets)),
        lanczos_steps=4,
    )
    with monitor:
        for step in range(3):
            monitor.on_step_end(step, 0.0)
    assert monitor.hessian_steps == [0, 2]
    np.testing.assert_allclose(monitor.top_eigenvalues, [exact, exact], rtol=1e-9)


def test_bad_settings_are_refused():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="every"):
        TrainingMonitor(model, every=0)
    with pytest.raises(ValueError, match="hessian_closure"):
        TrainingMonitor(model, hessian_every=5)


REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def train_command(*flags, cwd):
    environment = dict(os.environ, MPLBACKEND="Agg")
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
    )
    flags = [
        "--epochs",
        "1",
        "--hidden",
        "32",
        "16",
        "--activation",
        "tanh",
        "--no-progress",
        *flags,
    ]
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_ch8", "train", *flags],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_train_diagnostics_writes_the_figure_and_leaves_training_unchanged(tmp_path):
    pytest.importorskip("matplotlib")
    watched = train_command("--diagnostics", "run.png", cwd=tmp_path)
    figure = tmp_path / "run.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 20_000
    assert "diagnostics saved to run.png" in watched
    plain = train_command(cwd=tmp_path)

    def result_lines(output):
        return [
            line.split(",")[0] for line in output.splitlines() if "loss" in line or "test" in line
        ]

    assert result_lines(watched) == result_lines(plain)  # the monitor only looks


def test_the_figure_has_every_panel(problem):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from tinygrad_ch8.viz import plot_training_diagnostics

    model, x, y = problem
    optimizer = optim.SGD(model.parameters(), lr=LR)
    monitor = TrainingMonitor(
        model,
        every=2,
        optimizer=optimizer,
        hessian_every=2,
        hessian_closure=lambda: F.cross_entropy(model(tg.Tensor(x)), tg.Tensor(y)),
        lanczos_steps=5,
    )
    with monitor:
        train_classifier(
            model, optimizer, [(tg.Tensor(x), tg.Tensor(y))] * 5, 1, on_step_end=monitor.on_step_end
        )
    figure = plot_training_diagnostics(monitor)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 6 and all(titles)
    update_axes = figure.axes[4]
    assert any(line.get_label() == "1e-3 reference" for line in update_axes.lines)
    curvature_lines = {line.get_label(): line for line in figure.axes[5].lines}
    np.testing.assert_allclose(curvature_lines["2/ε"].get_ydata(), [2 / LR] * 3)
    np.testing.assert_allclose(curvature_lines["λ_max"].get_ydata(), monitor.top_eigenvalues)
    plt.close(figure)
