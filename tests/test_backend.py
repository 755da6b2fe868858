"""Engine tests: the NumPy/CuPy backend (tinygrad_ch8/backend.py): devices, moving arrays,
default dtype and device, the error for a missing GPU, and host-side randomness."""

from __future__ import annotations

import types

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend

# ---------------------------------------------------------------- asking for "cuda" without it
MISSING_CUPY = r"CuPy.*No module named 'cupy'.*pip install 'tinygrad-ch8\[cuda\]'"


def test_cuda_without_cupy_says_what_is_missing_and_how_to_install(monkeypatch):
    monkeypatch.setattr(backend, "cupy", None)
    monkeypatch.setattr(backend, "_cupy_import_error", ImportError("No module named 'cupy'"))
    assert not backend.cuda_available()
    for ask_for_cuda in [
        lambda: tg.Tensor([1.0], device="cuda"),
        lambda: tg.Tensor([1.0]).to("cuda"),
        lambda: tg.set_default_device("cuda"),
        lambda: tg.zeros(2, device="cuda"),
    ]:
        with pytest.raises(RuntimeError, match=MISSING_CUPY):
            ask_for_cuda()
    assert tg.get_default_device() == "cpu"


def test_cuda_with_cupy_but_no_gpu_says_no_gpu_was_found(monkeypatch):
    no_devices = types.SimpleNamespace(
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 0))
    )
    monkeypatch.setattr(backend, "cupy", no_devices)
    with pytest.raises(RuntimeError, match=r"CuPy is installed but no CUDA GPU was found"):
        tg.Tensor([1.0], device="cuda")


@pytest.mark.skipif(backend.cuda_available(), reason="this machine has a GPU")
def test_cuda_on_this_machine_raises_a_runtime_error_naming_the_install():
    with pytest.raises(RuntimeError, match=r"device 'cuda'.*(tinygrad-ch8\[cuda\]|no CUDA GPU)"):
        tg.Tensor([1.0], device="cuda")


def test_an_unknown_device_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*'cpu', 'cuda'"):
        tg.Tensor([1.0], device="tpu")


# ---------------------------------------------------------------- devices
def test_tensors_live_on_the_device_they_are_given(device):
    x = tg.Tensor(np.array([1.0, 2.0]), device=device)
    assert x.device == device
    assert backend.device_of(x.data) == device
    assert backend.array_module(x.data) is backend.module_for(device)
    assert isinstance(x.numpy(), np.ndarray)


def test_moving_between_devices_is_differentiable(device):
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.to(device)
    assert y.device == device
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_default_device_is_used_by_new_tensors(device):
    tg.set_default_device(device)
    assert tg.get_default_device() == device
    for made in [tg.Tensor([1.0]), tg.zeros(2), tg.ones(2), tg.randn(2)]:
        assert made.device == device
    assert (
        tg.Tensor(np.ones(2)).device == "cpu"
    )  # an existing NumPy array stays where it is unless told


def test_to_device_and_to_numpy_round_trip(device):
    host = np.arange(6.0).reshape(2, 3)
    moved = backend.to_device(host, device)
    assert backend.device_of(moved) == device
    assert backend.to_device(moved, device) is moved
    np.testing.assert_array_equal(backend.to_numpy(moved), host)


def test_numpy_arrays_belong_to_numpy():
    assert backend.array_module(np.zeros(2)) is np
    assert backend.device_of(np.zeros(2)) == "cpu"
    assert backend.is_array(np.zeros(2)) and not backend.is_array([0.0])


def test_scatter_add_accumulates_repeated_indices(device):
    target = backend.to_device(np.zeros(4), device)
    index = backend.to_device(np.array([0, 2, 2, 0, 2]), device)
    backend.scatter_add(
        target, index, backend.to_device(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), device)
    )
    np.testing.assert_array_equal(backend.to_numpy(target), [5.0, 0.0, 10.0, 0.0])


# ---------------------------------------------------------------- dtypes
def test_float_dtype_accepts_float32_and_float64_by_type_or_name():
    for spelling in ["float32", np.float32, np.dtype("float32")]:
        assert backend.float_dtype(spelling) == np.float32
    assert backend.float_dtype("float64") == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        backend.float_dtype("float16")
    with pytest.raises(TypeError, match="not a dtype"):
        backend.float_dtype("banana")


def test_defaults_start_as_float32_on_the_cpu():
    assert tg.get_default_dtype() == np.float32
    assert tg.get_default_device() == "cpu"


# ---------------------------------------------------------------- randomness
def test_manual_seed_makes_randn_reproducible():
    tg.manual_seed(7)
    first = tg.randn(3, 2).numpy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(tg.randn(3, 2).numpy(), first)
    assert not np.array_equal(tg.randn(3, 2).numpy(), first)


def test_a_seed_gives_the_same_numbers_on_every_device(device):
    np.testing.assert_array_equal(
        tg.randn(4, rng=3, device=device).numpy(), tg.randn(4, rng=3).numpy()
    )


def test_rng_accepts_none_an_int_or_a_generator():
    generator = np.random.default_rng(1)
    assert backend.rng(generator) is generator
    assert backend.rng(None) is backend.rng(None)
    expected = np.random.default_rng(5).standard_normal(3)
    np.testing.assert_array_equal(backend.rng(5).standard_normal(3), expected)
    with pytest.raises(TypeError, match=r"rng must be.*str"):
        backend.rng("five")


def test_limit_blas_threads_caps_the_blas_library_and_rejects_zero():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    blas = [info for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    if not blas:
        pytest.skip("NumPy's BLAS is not one threadpoolctl can control here")
    with threadpoolctl.threadpool_limits(limits=None):  # restores the original limits afterwards
        backend.limit_blas_threads(1)
        assert all(
            info["num_threads"] == 1
            for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"
        )
    with pytest.raises(ValueError, match="at least 1"):
        backend.limit_blas_threads(0)


def test_every_command_takes_threads_defaulting_to_one():
    from tinygrad_ch8 import cli

    for name in cli.COMMANDS:
        extra = ["checkpoint.npz"] if name == "evaluate" else []
        assert cli.build_parser().parse_args([name, *extra]).threads == 1
        assert cli.build_parser().parse_args([name, *extra, "--threads", "2"]).threads == 2
