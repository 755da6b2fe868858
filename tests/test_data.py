"""data: the bundled digits and their split, the DataLoader, synthetic problems, optional loaders."""

import gzip
import importlib.util

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import data


# ---------------------------------------------------------------- digits
def test_digits_split_is_fixed_disjoint_complete_and_stratified():
    with np.load(data.digits.DIGITS_PATH) as archive:
        train, test, labels = archive["train_index"], archive["test_index"], archive["labels"]
    assert len(train) + len(test) == len(labels) == 1797
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.union1d(train, test), np.arange(1797))
    per_class = np.bincount(labels, minlength=10)
    np.testing.assert_array_equal(
        np.bincount(labels[test], minlength=10), np.round(0.2 * per_class)
    )


def test_load_digits_shapes_scaling_and_labels():
    X, y = data.load_digits("train")
    assert X.shape == (1438, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    images, labels = data.load_digits("all", flatten=False, normalize=False, dtype="float64")
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64 and images.max() == 16
    with np.load(data.digits.DIGITS_PATH) as archive:
        index = archive["test_index"]
    X_test, y_test = data.load_digits("test")
    np.testing.assert_array_equal(X_test, images[index].reshape(-1, 64) / 16)
    np.testing.assert_array_equal(y_test, labels[index])
    with pytest.raises(ValueError, match="split must be"):
        data.load_digits("validation")


def test_standardize_uses_training_statistics_for_every_split():
    X_train = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    X_test = np.array([[2.0, 3.0]])
    train, test = data.standardize(X_train, X_test, min_std=0.5)
    np.testing.assert_allclose(
        train[:, 0], np.array([-2.0, 0.0, 2.0]) / np.sqrt(8 / 3)
    )  # mean 2, var 8/3
    np.testing.assert_allclose(train[:, 1], 0)  # a constant feature is divided by min_std, not 0
    np.testing.assert_allclose(test, [[0.0, (3 - 1) / 0.5]])


# ---------------------------------------------------------------- DataLoader
def test_loader_batches_cover_every_example_once_per_epoch():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    loader = data.DataLoader(X, y, batch_size=4, rng=0)
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [4, 4, 2] and len(loader) == 3
    seen = np.concatenate([yb.numpy() for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(10))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())  # rows stay paired
    assert not np.array_equal(seen, np.arange(10))


def test_loader_drop_last_and_sequential_order():
    loader = data.DataLoader(
        np.arange(10.0), np.arange(10), batch_size=4, shuffle=False, drop_last=True
    )
    assert len(loader) == 2
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in loader]), np.arange(8))


def test_loader_reshuffles_each_epoch_reproducibly_from_its_seed():
    X, y = np.zeros((20, 1)), np.arange(20)

    def epochs(loader, count=3):
        return [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(count)]

    first, second = (
        epochs(data.DataLoader(X, y, 5, rng=42)),
        epochs(data.DataLoader(X, y, 5, rng=42)),
    )
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    tg.manual_seed(3)
    seeded = epochs(data.DataLoader(X, y, 5))
    tg.manual_seed(3)
    np.testing.assert_array_equal(seeded[0], epochs(data.DataLoader(X, y, 5))[0])


class GrowingSubset:
    """A curriculum-style sampler: epoch e uses the first 4 (e + 1) examples, in order."""

    def __init__(self):
        self.epoch = None

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        yield np.arange(2 * (self.epoch + 1))
        yield from range(2 * (self.epoch + 1), 4 * (self.epoch + 1))

    def __len__(self):
        return 4 * (self.epoch + 1)


def test_loader_follows_the_sampler_protocol():
    X, y = np.arange(12.0), np.arange(12)
    loader = data.DataLoader(X, y, batch_size=3, sampler=GrowingSubset())
    orders = [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(3)]
    np.testing.assert_array_equal(orders[0], np.arange(4))
    np.testing.assert_array_equal(orders[2], np.arange(12))
    fixed = data.DataLoader(X, y, batch_size=2, sampler=[5, 1, 5])
    assert [yb.numpy().tolist() for _, yb in fixed] == [[5, 1], [5]]
    with pytest.raises(TypeError, match="integer indices"):
        list(data.DataLoader(X, y, batch_size=2, sampler=[0.5]))


def test_loader_checks_its_arguments():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        data.DataLoader(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(np.zeros(3), np.zeros(3), batch_size=0)


def test_loader_yields_tensors_on_the_data_device(device):
    X, y = tg.Tensor(np.ones((6, 2)), device=device), tg.Tensor(np.arange(6), device=device)
    xb, yb = next(iter(data.DataLoader(X, y, batch_size=4, rng=0)))
    assert xb.device == yb.device == device and xb.shape == (4, 2)


# ---------------------------------------------------------------- synthetic problems
def test_spirals_and_blobs_have_balanced_labelled_classes():
    X, y = data.spirals(300, n_classes=3, rng=0)
    assert X.shape == (300, 2) and np.bincount(y).tolist() == [100, 100, 100]
    assert np.abs(X).max() < 1.5
    X, y, centers = data.gaussian_blobs(90, n_classes=3, n_features=4, spread=0.01, rng=0)
    np.testing.assert_allclose(X, centers[y], atol=0.1)


def test_planted_sparse_coding_has_unit_atoms_and_exact_sparsity():
    X, W, H = data.planted_sparse_coding(50, 12, 8, sparsity=3, noise=0.0, rng=0, dtype="float64")
    assert X.shape == (50, 12) and W.shape == (8, 12) and H.shape == (50, 8)
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal((H != 0).sum(axis=1), np.full(50, 3))
    np.testing.assert_allclose(X, H @ W, rtol=1e-12)


def test_ill_conditioned_quadratic_has_the_requested_condition_number():
    A, b = data.ill_conditioned_quadratic(6, 1000.0, rng=0, dtype="float64")
    np.testing.assert_allclose(A, A.T)
    eigenvalues = np.linalg.eigvalsh(A)
    assert eigenvalues.min() == pytest.approx(1.0) and eigenvalues.max() == pytest.approx(1000.0)
    assert b.shape == (6,)


@pytest.mark.parametrize(
    "function, minimum",
    [
        (data.rosenbrock, data.synthetic.ROSENBROCK_MINIMUM),
        (data.beale, data.synthetic.BEALE_MINIMUM),
    ],
)
def test_test_functions_vanish_with_zero_gradient_at_their_minimum(function, minimum):
    x = tg.Tensor(np.array(minimum), requires_grad=True)
    value = function(x)
    value.backward()
    assert value.item() == 0.0
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-12)
    grid = np.stack(np.meshgrid(np.linspace(-1, 3.5, 9), np.linspace(-1, 3, 9)))
    assert function(grid).shape == (9, 9) and function(grid).min() >= 0


def test_rosenbrock_gradient_matches_its_formula():
    x0, x1 = -1.2, 1.0
    x = tg.Tensor(np.array([x0, x1]), requires_grad=True)
    data.rosenbrock(x).backward()
    expected = [-2 * (1 - x0) - 400 * x0 * (x1 - x0**2), 200 * (x1 - x0**2)]
    np.testing.assert_allclose(x.grad.numpy(), expected)


# ---------------------------------------------------------------- optional loaders
def write_idx(path, array):
    codes = {np.dtype("uint8"): 0x08}
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + sizes
    with gzip.open(path, "wb") as file:
        file.write(header + array.tobytes())


def test_mnist_idx_reads_gzipped_idx_files(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    X, y = data.mnist_idx(str(tmp_path), split="test", dtype="float64")
    np.testing.assert_allclose(X, images.reshape(3, -1) / 255)
    np.testing.assert_array_equal(y, [7, 2, 1])


def test_mnist_idx_names_the_files_it_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.mnist_idx(str(tmp_path))


@pytest.mark.skipif(importlib.util.find_spec("mnist1d") is not None, reason="mnist1d is installed")
def test_mnist1d_says_what_to_install():
    with pytest.raises(ImportError, match="pip install mnist1d"):
        data.mnist1d()
