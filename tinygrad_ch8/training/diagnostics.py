"""Training: ``TrainingMonitor``, a look inside a training run while it happens.

What CS231n calls babysitting the learning process, and what Glorot & Bengio (2010) plot to
show sigmoid networks saturating: every ``every`` steps the monitor records, for each
activation layer with output h (on that step's minibatch),

* the mean and standard deviation of h, and a histogram of h;
* the saturated fraction: tanh |h| > 0.97, sigmoid h < 0.03 or h > 0.97 (where σ'(a) =
  h(1 − h) < 0.03, so almost no gradient passes), ReLU h = 0 (a unit that passes none);
* the standard deviation and a histogram of g = ∂J/∂h, the gradient reaching that activation
  (it shrinks layer by layer when gradients vanish, §8.2.5);

and for each parameter θ the standard deviation of its gradient ∇_θ J and the update-to-data
ratio log10(‖Δθ‖ / ‖θ‖), Δθ being what the optimizer's step changed (about −3 is the usual
healthy value: much lower and the step size ε is too small to learn, much higher and it is
too large). Optionally, every ``hessian_every`` steps, it records λ_max, the largest
eigenvalue of the Hessian of a loss the caller gives as a closure, by Lanczos iteration on
Hessian-vector products (``optim.curvature``): gradient descent with step ε is stable on a
quadratic only while λ_max < 2/ε (§8.2.1; Cohen et al. 2021 find training hovering there).

It sees the activations through forward hooks on the activation modules and the gradients
through gradient hooks (``Tensor.register_hook``) on their outputs, installed for the steps it
records only, so the steps in between run as if it were not there; switched off
(``enabled=False``) it installs nothing at all. Forward passes that record no graph
(evaluation under ``no_grad``) are ignored. A step that evaluates its loss several times (a
line search) is recorded at its last evaluation.

    monitor = TrainingMonitor(model, every=10, optimizer=optimizer)
    with monitor:  # attach(), and detach() at the end, even after an error
        train_classifier(model, optimizer, loader, epochs, on_step_end=monitor.on_step_end)
    monitor.layers["layers.0.layers.2"].saturation  # one value per recorded step
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import backend
from ..hooks import HookHandle
from ..nn.layers import ReLU, Sigmoid, Tanh
from ..nn.module import Module
from ..optim.curvature import hessian_spectrum
from ..tensor import Tensor

SATURATION_LEVEL = 0.97  # tanh |h| above it; sigmoid h above it or below 1 − it
ACTIVATION_KINDS = {Tanh: "tanh", Sigmoid: "sigmoid", ReLU: "relu"}
HISTOGRAM_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # other kinds: the data's range


def saturated_fraction(h, kind: str) -> float:
    """The fraction of the activations ``h`` (an array) where a unit of ``kind`` is saturated.

    tanh: |h| > 0.97; sigmoid: h < 0.03 or h > 0.97; relu: h = 0 (no gradient passes);
    any other kind: NaN (saturation is not defined for it).
    """
    if kind == "tanh":
        saturated = abs(h) > SATURATION_LEVEL
    elif kind == "sigmoid":
        saturated = (h < 1 - SATURATION_LEVEL) | (h > SATURATION_LEVEL)
    elif kind == "relu":
        saturated = h <= 0
    else:
        return math.nan
    return float(saturated.mean())


def _histogram(values, bins: int, value_range: tuple | None) -> tuple:
    """(counts, bin edges) as host arrays, ``bins`` equal bins over the range (the data's when
    none is given), the top edge in the last bin as in ``numpy.histogram``. Counting bin
    indices is several times faster than ``numpy.histogram``, which handles uneven bins too."""
    xp = backend.array_module(values)
    if value_range is None:
        low, high = float(values.min()), float(values.max())
        value_range = (low, high) if high > low else (low - 0.5, high + 0.5)
    low, high = value_range
    index = ((values.ravel() - low) * (bins / (high - low))).astype("int64")
    counts = xp.bincount(xp.clip(index, 0, bins - 1), minlength=bins)
    return backend.to_numpy(counts), backend.numpy.linspace(low, high, bins + 1)


def _norm(array) -> float:
    return math.sqrt(float((array * array).sum()))


@dataclass
class LayerTrace:
    """One activation layer's record: one entry per recorded step in each list.

    ``histograms`` and ``gradient_histograms`` hold ``(counts, bin_edges)`` pairs; a value that
    could not be measured at a step (no gradient reached the layer) is NaN or None.
    """

    kind: str
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    saturation: list[float] = field(default_factory=list)
    gradient_std: list[float] = field(default_factory=list)
    histograms: list = field(default_factory=list)
    gradient_histograms: list = field(default_factory=list)


@dataclass
class ParameterTrace:
    """One parameter's record: the std of ∇_θ J and log10(‖Δθ‖ / ‖θ‖) at each recorded step."""

    gradient_std: list[float] = field(default_factory=list)
    update_ratio: list[float] = field(default_factory=list)


class TrainingMonitor:
    """Records activation, gradient, update and curvature statistics of ``model`` as it trains.

    Args:
        model: the network; its activation modules (Tanh, Sigmoid, ReLU) are the layers watched.
        every: record every ``every``-th step (the first step after ``attach()``, then every step
            whose index is a multiple of ``every``).
        optimizer: when given, its first group's learning rate is recorded at each record.
        layers: name -> module to watch instead of the activation modules (the kind of a module
            that is none of the three is "other": no saturation, histograms over the data's range).
        bins: bins per histogram.
        hessian_every: record λ_max every so many steps (None: never); needs ``hessian_closure``.
        hessian_closure: returns the loss whose Hessian is measured, with its graph (e.g. the
            loss on a fixed batch); called with the monitor's hooks removed, and the model's
            buffers (batch norm's running averages) put back afterwards.
        lanczos_steps: Hessian-vector products per λ_max estimate.
        enabled: False makes the monitor do nothing, not even install a hook.

    After a run: ``steps`` (the recorded step indices), ``losses``, ``learning_rates``,
    ``layers`` (name -> ``LayerTrace``), ``parameters`` (name -> ``ParameterTrace``),
    ``hessian_steps``, ``top_eigenvalues`` and ``hessian_learning_rates``.
    """

    def __init__(
        self,
        model: Module,
        every: int = 10,
        optimizer=None,
        layers: Mapping[str, Module] | None = None,
        bins: int = 40,
        hessian_every: int | None = None,
        hessian_closure: Callable[[], Tensor] | None = None,
        lanczos_steps: int = 20,
        enabled: bool = True,
    ):
        if every < 1 or (hessian_every is not None and hessian_every < 1):
            raise ValueError(
                f"TrainingMonitor: every and hessian_every must be at least 1, got {every} and "
                f"{hessian_every}"
            )
        if hessian_every is not None and hessian_closure is None:
            raise ValueError(
                "TrainingMonitor: hessian_every needs hessian_closure, a function returning "
                "the loss"
            )
        self.model, self.every, self.optimizer, self.bins = model, every, optimizer, bins
        self.hessian_every, self.hessian_closure = hessian_every, hessian_closure
        self.lanczos_steps, self.enabled = lanczos_steps, enabled
        if layers is None:
            layers = {
                name: module
                for name, module in model.named_modules()
                if type(module) in ACTIVATION_KINDS
            }
        self.watched = dict(layers)
        self.layers = {
            name: LayerTrace(ACTIVATION_KINDS.get(type(module), "other"))
            for name, module in self.watched.items()
        }
        self.named_parameters = dict(model.named_parameters())
        self.parameters = {name: ParameterTrace() for name in self.named_parameters}
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.learning_rates: list[float] = []
        self.hessian_steps: list[int] = []
        self.top_eigenvalues: list[float] = []
        self.hessian_learning_rates: list[float] = []
        self.handles: list[HookHandle] = []
        self.attached = False
        self._seen: dict[str, dict] = {}  # layer -> what this step's hooks measured
        self._before: dict[str, object] = {}  # parameter -> its values before this step

    # ------------------------------------------------------------ attaching
    def attach(self) -> TrainingMonitor:
        """Start watching: the next step is recorded."""
        if self.enabled and not self.attached:
            self.attached = True
            self._arm()
        return self

    def detach(self) -> None:
        """Stop watching and remove every hook the monitor installed; the records stay."""
        self._disarm()
        self.attached = False

    def __enter__(self) -> TrainingMonitor:
        return self.attach()

    def __exit__(self, *exc_info) -> None:
        self.detach()

    def _arm(self) -> None:
        """Hooks on, and the parameters' values kept, for the step about to run."""
        self._seen = {name: {} for name in self.watched}
        self._before = {name: p.data.copy() for name, p in self.named_parameters.items()}
        for name, module in self.watched.items():
            self.handles.append(module.register_forward_hook(self._forward_hook(name)))

    def _disarm(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    @property
    def armed(self) -> bool:
        return bool(self.handles)

    def _forward_hook(self, name: str) -> Callable:
        trace, seen = self.layers[name], self._seen[name]

        def record_activation(module, inputs, output) -> None:
            if not isinstance(output, Tensor) or not output.requires_grad:
                return  # a pass without a graph (evaluation) is not a training step
            h = output.data
            seen.clear()
            seen["mean"], seen["std"] = float(h.mean()), float(h.std())
            seen["saturation"] = saturated_fraction(h, trace.kind)
            seen["histogram"] = _histogram(h, self.bins, HISTOGRAM_RANGES.get(trace.kind))

            def record_gradient(gradient: Tensor) -> None:
                g = gradient.data
                seen["gradient_std"] = float(g.std())
                reach = float(abs(g).max()) or 1.0
                seen["gradient_histogram"] = _histogram(g, self.bins, (-reach, reach))

            output.register_hook(record_gradient)

        return record_activation

    # ------------------------------------------------------------ after each step
    def on_step_end(self, step: int, loss: float) -> None:
        """Called after each optimizer step (``train_classifier``'s ``on_step_end``)."""
        if not self.attached:
            return
        if self.armed:
            self._disarm()
            self._record(step, loss)
        if self.hessian_every is not None and step % self.hessian_every == 0:
            self._record_curvature(step)
        if (step + 1) % self.every == 0:
            self._arm()

    def _learning_rate(self) -> float:
        return math.nan if self.optimizer is None else self.optimizer.param_groups[0]["lr"]

    def _record(self, step: int, loss: float) -> None:
        self.steps.append(step)
        self.losses.append(loss)
        self.learning_rates.append(self._learning_rate())
        for name, trace in self.layers.items():
            seen = self._seen[name]
            trace.mean.append(seen.get("mean", math.nan))
            trace.std.append(seen.get("std", math.nan))
            trace.saturation.append(seen.get("saturation", math.nan))
            trace.gradient_std.append(seen.get("gradient_std", math.nan))
            trace.histograms.append(seen.get("histogram"))
            trace.gradient_histograms.append(seen.get("gradient_histogram"))
        for name, parameter in self.named_parameters.items():
            trace, before = self.parameters[name], self._before[name]
            gradient = parameter.grad
            trace.gradient_std.append(math.nan if gradient is None else float(gradient.data.std()))
            change, size = _norm(parameter.data - before), _norm(before)
            trace.update_ratio.append(
                math.log10(change / size) if change > 0 and size > 0 else math.nan
            )

    def _record_curvature(self, step: int) -> None:
        params = [p for p in self.named_parameters.values() if p.requires_grad]
        # the probe's forward pass must not move batch norm's running averages
        buffers = [(buffer, buffer.data.copy()) for buffer in self.model.buffers()]
        spectrum = hessian_spectrum(self.hessian_closure, params, self.lanczos_steps, rng=step)
        for buffer, values in buffers:
            buffer.data[...] = values
        self.hessian_steps.append(step)
        self.top_eigenvalues.append(float(spectrum[-1]))
        self.hessian_learning_rates.append(self._learning_rate())
