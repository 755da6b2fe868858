"""Shared fixtures: the device every table-driven test runs on, and a clean engine state."""

import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(
            not backend.cuda_available(), reason="needs CuPy and an NVIDIA GPU"
        ),
    ),
]


@pytest.fixture(params=DEVICES)
def device(request):
    """Run the test once on the CPU and once on the GPU (skipped, with its reason, without one)."""
    return request.param


@pytest.fixture(autouse=True)
def engine_defaults():
    """Each test starts from float32 on the CPU with a fixed seed, and leaves them so."""
    tg.set_default_dtype("float32")
    tg.set_default_device("cpu")
    tg.manual_seed(0)
    yield
    tg.set_default_dtype("float32")
    tg.set_default_device("cpu")
