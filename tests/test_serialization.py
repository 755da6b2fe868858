"""tg.save / tg.load: round trips, atomic writes, no pickles, clear errors on corrupt files."""

import os
import zipfile

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import nn


def small_model():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))


def test_round_trip_keeps_names_order_values_and_dtypes(tmp_path):
    state = {
        "b": np.arange(3, dtype=np.int64),
        "a.weight": np.ones((2, 2), dtype=np.float32),
        "c": tg.Tensor([1.5, 2.5], dtype="float64"),
        "d": 3.0,
        "file": np.zeros(1),
        "allow_pickle": np.ones(1),
    }  # numpy.savez's keywords, here plain names
    path = tmp_path / "state.npz"
    tg.save(state, path)
    loaded = tg.load(path)
    assert list(loaded) == ["b", "a.weight", "c", "d", "file", "allow_pickle"]
    np.testing.assert_array_equal(loaded["b"], state["b"])
    assert loaded["a.weight"].dtype == np.float32 and loaded["c"].dtype == np.float64
    np.testing.assert_array_equal(loaded["c"], [1.5, 2.5])
    assert loaded["d"] == 3.0


def test_a_model_checkpoint_restores_the_same_function(tmp_path, device):
    tg.manual_seed(0)
    model = small_model().to(device)
    model(tg.randn(8, 4).to(device))  # move the running statistics away from their start
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    tg.manual_seed(1)
    restored = small_model().to(device)
    restored.load_state_dict(tg.load(path))
    model.eval()
    restored.eval()
    x = tg.randn(5, 4).to(device)
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "state.npz"
    tg.save({"x": np.zeros(2)}, path)
    with pytest.raises(TypeError, match="'bad' holds a"):
        tg.save({"y": np.ones(2), "bad": np.array(["text"])}, path)
    assert os.listdir(tmp_path) == ["state.npz"]
    np.testing.assert_array_equal(tg.load(path)["x"], np.zeros(2))  # the old file survived


def test_files_hold_only_npy_members_without_pickles(tmp_path):
    path = tmp_path / "state.npz"
    tg.save(small_model().state_dict(), path)
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with np.load(path, allow_pickle=False) as archive:
        assert "0.weight" not in archive.files and "layers.0.weight" in archive.files


def corrupt_copies(path):
    content = path.read_bytes()
    truncated = path.with_name("truncated.npz")
    truncated.write_bytes(content[: len(content) // 2])
    flipped = bytearray(content)
    flipped[len(content) // 3] ^= 0xFF
    garbled = path.with_name("garbled.npz")
    garbled.write_bytes(bytes(flipped))
    text = path.with_name("text.npz")
    text.write_text("not a checkpoint")
    return [truncated, garbled, text]


def test_corrupt_files_raise_a_value_error_naming_the_path_and_leave_the_model_unchanged(tmp_path):
    tg.manual_seed(0)
    source = small_model()
    path = tmp_path / "good.npz"
    tg.save(source.state_dict(), path)
    tg.manual_seed(1)
    model = small_model()
    before = model.state_dict()
    for bad in corrupt_copies(path):
        with pytest.raises(ValueError, match=str(bad)):
            model.load_state_dict(tg.load(bad))
        for name, array in model.state_dict().items():
            np.testing.assert_array_equal(array, before[name])


def test_a_checkpoint_of_another_model_leaves_the_model_unchanged(tmp_path):
    path = tmp_path / "other.npz"
    other = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 5))
    tg.save(other.state_dict(), path)
    model = small_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"layers.3.weight: checkpoint \(3, 5\), model \(3, 2\)"):
        model.load_state_dict(tg.load(path))
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        tg.load(tmp_path / "nothing.npz")
