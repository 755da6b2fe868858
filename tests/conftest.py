"""Shared fixtures: the device every table-driven test runs on, and a clean engine state.

The "cuda" rows run on the real GPU where CuPy sees one. Everywhere else they run on the strict
stand-in for CuPy (tests/strict_device.py), installed for the duration of each such test as the
backend's CuPy module, so CPU-only CI exercises the device path too.
"""

import pytest
import strict_device

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend

REAL_GPU = backend.cuda_available()


@pytest.fixture(params=["cpu", "cuda"])
def device(request, monkeypatch):
    """Run the test once on the CPU and once on the GPU (the strict stand-in without one)."""
    if request.param == "cuda":
        use_cuda(monkeypatch)
    return request.param


@pytest.fixture
def cuda(monkeypatch):
    """The "cuda" device alone: the real GPU, or the strict stand-in without one."""
    return use_cuda(monkeypatch)


@pytest.fixture
def transfers(monkeypatch):
    """The stand-in's count of device-to-host copies, reset, for tests that pin it (never a GPU)."""
    install_stand_in(monkeypatch)
    strict_device.transfers.reset()
    return strict_device.transfers


def use_cuda(monkeypatch) -> str:
    if not REAL_GPU:
        install_stand_in(monkeypatch)
    return "cuda"


def install_stand_in(monkeypatch) -> None:
    """Make the stand-in the backend's CuPy (``backend.cupy``/``backend.cupyx``) for one test."""
    monkeypatch.setattr(backend, "cupy", strict_device)
    monkeypatch.setattr(backend, "cupyx", strict_device.cupyx)


@pytest.fixture(autouse=True)
def engine_defaults():
    """Each test starts from float32 on the CPU with a fixed seed, and leaves them so."""
    tg.set_default_dtype("float32")
    tg.set_default_device("cpu")
    tg.manual_seed(0)
    yield
    tg.set_default_dtype("float32")
    tg.set_default_device("cpu")
