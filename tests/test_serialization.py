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


def assert_same_structure(saved, loaded, where="root"):
    """The same nesting and types; arrays equal with their dtypes (Tensors come back as arrays)."""
    if isinstance(saved, tg.Tensor):
        saved = saved.numpy()
    assert type(loaded) is type(saved), (where, type(saved), type(loaded))
    if isinstance(saved, dict):
        assert list(loaded) == list(saved), where
        for key in saved:
            assert_same_structure(saved[key], loaded[key], f"{where}/{key}")
    elif isinstance(saved, (list, tuple)):
        assert len(loaded) == len(saved), where
        for index, (a, b) in enumerate(zip(saved, loaded, strict=True)):
            assert_same_structure(a, b, f"{where}/{index}")
    elif isinstance(saved, (np.ndarray, np.generic)):
        assert loaded.dtype == saved.dtype and np.array_equal(loaded, saved), where
    elif isinstance(saved, float) and saved != saved:
        assert loaded != loaded, where
    else:
        assert loaded == saved, where


def test_nested_checkpoints_round_trip_with_their_types(tmp_path):
    nested = {
        "model": small_model().state_dict(),
        "epoch": 3,
        "big": 2**100,  # a generator's state holds 128-bit integers
        "lr": 0.1,
        "ratio": 1 / 3,  # floats come back to the last bit
        "special": [float("nan"), float("inf"), -0.0],
        "name": "run/1",
        "flags": [True, False, None],
        "betas": (0.9, 0.999),
        "scalar": np.float32(1.5),
        "scalars": [np.float64(0.1), np.int64(3), np.bool_(True)],  # float64 is a float too
        "tensor": tg.Tensor([[1.0, 2.0]], dtype="float64"),
        "integers": np.arange(4, dtype=np.int16),
        "state": {0: {"momentum_buffer": np.ones(3, np.float32)}, 7: {}},
        "empty": [],
        "a/b": np.zeros(1),  # a key with a slash beside a nested path of the same name
        "a": {"b": np.ones(1)},
    }
    tg.save(nested, tmp_path / "nested.npz")
    loaded = tg.load(tmp_path / "nested.npz")
    assert_same_structure(nested, loaded)
    assert str(-0.0) == str(loaded["special"][2])
    with zipfile.ZipFile(tmp_path / "nested.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with np.load(tmp_path / "nested.npz", allow_pickle=False) as archive:
        assert "model/layers.0.weight" in archive.files  # readable without tinygrad_ch8


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: tg.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
        lambda params: tg.optim.Adam(params, lr=0.01),
        lambda params: tg.optim.RMSprop(params, lr=0.01, momentum=0.5),
        lambda params: tg.optim.LBFGS(params, max_iter=3),
    ],
    ids=["sgd-nesterov", "adam", "rmsprop", "lbfgs"],
)
def test_model_and_optimizer_resumed_from_a_checkpoint_follow_the_same_trajectory(
    tmp_path, make_optimizer
):
    """Train 3 steps, save {model, optimizer, schedule, step}, train 3 more; a fresh model and
    optimizer loaded from the file take the same 3 steps bit for bit."""
    X, y = tg.randn(16, 4), tg.Tensor(np.arange(16) % 2)

    def setup(seed):
        tg.manual_seed(seed)
        model = small_model()
        optimizer = make_optimizer(model.parameters())
        schedule = tg.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        return model, optimizer, schedule

    def steps(model, optimizer, schedule, count):
        losses = []
        for _ in range(count):
            losses.append(optimizer.step(lambda: tg.functional.cross_entropy(model(X), y)).item())
            schedule.step()
        return losses

    model, optimizer, schedule = setup(0)
    steps(model, optimizer, schedule, 3)
    path = tmp_path / "checkpoint.npz"
    tg.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "step": 3,
        },
        path,
    )
    expected = steps(model, optimizer, schedule, 3)
    checkpoint = tg.load(path)
    restored, restored_optimizer, restored_schedule = setup(1)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    restored_schedule.load_state_dict(checkpoint["schedule"])
    assert checkpoint["step"] == 3
    assert steps(restored, restored_optimizer, restored_schedule, 3) == expected
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[name], array)


def test_saving_a_module_or_an_optimizer_says_to_save_its_state_dict(tmp_path):
    model = small_model()
    with pytest.raises(TypeError, match=r"save model\.state_dict\(\)"):
        tg.save(model, tmp_path / "model.npz")
    with pytest.raises(TypeError, match=r"'optimizer' \(of type SGD\): save its state_dict"):
        tg.save({"optimizer": tg.optim.SGD(model.parameters(), lr=0.1)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"keys must be strings or ints"):
        tg.save({(1, 2): np.zeros(1)}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_checkpoints_get_the_mode_of_a_new_file(tmp_path):
    previous = os.umask(0o022)
    try:
        tg.save({"x": np.zeros(2)}, tmp_path / "a.npz")
        os.umask(0o077)
        tg.save({"x": np.zeros(2)}, tmp_path / "b.npz")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.npz").stat().st_mode & 0o777 == 0o600


def test_a_file_of_bare_arrays_reads_as_a_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", weight=np.ones(2), bias=np.zeros(1))
    loaded = tg.load(tmp_path / "plain.npz")
    assert list(loaded) == ["weight", "bias"] and loaded["weight"].tolist() == [1.0, 1.0]


def test_an_unwritable_target_is_named_not_the_temporary_file(tmp_path):
    target = tmp_path / "missing" / "state.npz"
    with pytest.raises(FileNotFoundError, match=f"save: cannot write {target}") as error:
        tg.save({"x": np.zeros(1)}, target)
    assert ".tmp" not in str(error.value)
