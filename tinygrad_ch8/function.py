"""Engine: ``Function``, the node of the computation graph, and the switches that decide what is recorded.

Calling a Function on Tensors runs ``forward`` on their backend arrays and, while gradients
are recorded and some input requires one, links the result to the Function
(``y.grad_fn = fn``), which keeps its inputs and its settings. ``backward(gy)`` returns one
gradient per input, written with Tensor ops: run under ``enable_grad`` it records a graph of
its own, which is what makes second derivatives (Hessian-vector products) possible.

A Function holds its output only through a weak reference: output -> grad_fn -> output
would otherwise be a cycle that only the garbage collector could free.
"""

from __future__ import annotations

import contextlib
import weakref

from . import backend

# tensor.py defines Tensor before it imports the ops that import this module
from .tensor import Tensor

_recording = True
_anomaly_detection = False


def is_grad_enabled() -> bool:
    return _recording


@contextlib.contextmanager
def _set_recording(enabled: bool):
    global _recording
    previous, _recording = _recording, enabled
    try:
        yield
    finally:
        _recording = previous


def no_grad():
    """Context manager: ops inside record no graph (optimizer updates, evaluation)."""
    return _set_recording(False)


def enable_grad():
    """Context manager: ops inside record a graph, even within ``no_grad``."""
    return _set_recording(True)


def set_grad_enabled(enabled: bool):
    """Context manager: record a graph when ``enabled`` is true."""
    return _set_recording(enabled)


def is_anomaly_enabled() -> bool:
    return _anomaly_detection


@contextlib.contextmanager
def detect_anomaly():
    """Context manager: raise at the first op whose forward or backward gives NaN or Inf, naming it."""
    global _anomaly_detection
    previous, _anomaly_detection = _anomaly_detection, True
    try:
        yield
    finally:
        _anomaly_detection = previous


def check_finite(array, what: str) -> None:
    """Raise FloatingPointError when a float ``array`` holds NaN or Inf (anomaly detection)."""
    if backend.is_float(array.dtype) and not bool(
        backend.array_module(array).isfinite(array).all()
    ):
        raise FloatingPointError(f"anomaly detected: {what} produced NaN or Inf")


class Function:
    """One differentiable op. Subclasses define ``forward(*arrays)`` and ``backward(gy)``.

    Settings (an axis, a shape, an exponent) are given to ``__init__`` and stored on the
    instance; the inputs are stored by ``__call__``. After a backward pass without
    ``retain_graph`` the inputs are dropped (``released``) and a second pass raises.
    """

    inputs: tuple | None = None
    needs_input_grad: tuple = ()

    def __call__(self, *inputs):
        if len(inputs) == 1:  # most ops: nothing to compare devices with
            arrays = (inputs[0].data,)
        else:
            arrays = [x.data for x in inputs]
            _check_same_device(self, arrays)
        try:
            y = self.forward(*arrays)
        except ValueError as error:  # NumPy's message names neither the op nor both operands
            raise ValueError(f"{self.name}{self.shapes_of(inputs)}: {error}") from error
        if _anomaly_detection:
            check_finite(y, f"the forward of {self.name}{self.shapes_of(inputs)}")
        output = Tensor.__new__(Tensor)  # Tensor.from_array(y), inlined: this runs for every op
        output.data = y
        if _recording:
            for x in inputs:
                if x.requires_grad:
                    self.inputs = inputs
                    self.needs_input_grad = tuple([x.requires_grad for x in inputs])
                    self.output_ref = weakref.ref(output)
                    output.requires_grad = True
                    output.grad_fn = self
                    break
        return output

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def output(self):
        """The Tensor this Function produced (alive while anything uses the graph)."""
        return self.output_ref()

    @property
    def released(self) -> bool:
        return self.inputs is None

    def release(self) -> None:
        """Drop the inputs (and so every array they hold alive) after a backward pass."""
        self.inputs = None

    @staticmethod
    def shapes_of(inputs) -> str:
        return "(" + ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in inputs) + ")"


def _check_same_device(fn: Function, arrays) -> None:
    first = type(arrays[0])
    for a in arrays:
        if type(a) is not first:  # the cheap test first; NumPy scalars fall through to the full one
            break
    else:
        return
    devices = [backend.device_of(a) for a in arrays]
    if len(set(devices)) > 1:
        raise ValueError(
            f"{fn.name}: operands are on different devices ({', '.join(devices)}); "
            "move them to one device with .to(device)"
        )
