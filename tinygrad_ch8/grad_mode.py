"""Engine: the switches that decide what the engine records, in one leaf module.

Grad mode (``no_grad``, ``enable_grad``, ``set_grad_enabled``) says whether ops record a graph;
anomaly mode (``detect_anomaly``) says whether each op's result is checked for NaN and Inf.
Both are process-wide flags read by ``Function.__call__`` on every op, so they are plain
module globals. This module imports nothing of the package but the backend.
"""

from __future__ import annotations

import contextlib

from . import backend

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
