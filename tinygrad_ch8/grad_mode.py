"""Engine: the switches that decide what the engine records, in one leaf module.

Grad mode (``no_grad``, ``enable_grad``, ``set_grad_enabled``) says whether ops record a graph;
anomaly mode (``detect_anomaly``) says whether each op's result is checked for NaN and Inf.
Both are process-wide flags read by ``Function.__call__`` on every op, so they are plain
module globals; so is the set of leaves whose gradients a backward pass builds as graphs only
(``hvp``). This module imports nothing of the package but the backend.
"""

from __future__ import annotations

import contextlib

from . import backend

_recording = True
_anomaly_detection = False
# ids of the leaves whose gradients the current backward pass builds as graphs only, never reading
# their values (set by ``hvp`` for its first pass; read by ``ops._product_for``)
_graph_only_leaves: frozenset = frozenset()


def is_grad_enabled() -> bool:
    return _recording


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager, and decorator as in PyTorch: record a graph inside when ``enabled`` is
    true, and restore the setting before it afterwards.

    A class rather than a ``contextlib`` generator: every backward pass and every optimizer
    step enters one, and a generator-based context costs several times more to enter and leave.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def _recreate_cm(self):  # a decorated function that recurses needs one context per call
        return type(self)(self.enabled)

    def __enter__(self):
        global _recording
        self.previous, _recording = _recording, self.enabled

    def __exit__(self, *exception):
        global _recording
        _recording = self.previous


def no_grad() -> set_grad_enabled:
    """Context manager (or decorator): ops inside record no graph (optimizer updates, evaluation)."""
    return set_grad_enabled(False)


def enable_grad() -> set_grad_enabled:
    """Context manager (or decorator): ops inside record a graph, even within ``no_grad``."""
    return set_grad_enabled(True)


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
