"""data: the bundled handwritten digits (UCI optical recognition of handwritten digits).

1,797 grey-scale images of 8×8 pixels with values 0–16 and their labels 0–9, about 180 per
class: the data scikit-learn ships as ``load_digits``. The package carries its own copy,
``digits.npz``, so nothing is downloaded. The file also stores a fixed stratified split,
computed once with seed 0: in every class 20% of the images (rounded) go to the test set,
which gives 1,438 training and 359 test images.

Source: E. Alpaydin and C. Kaynak, *Optical Recognition of Handwritten Digits*, UCI Machine
Learning Repository, 1998, https://doi.org/10.24432/C50P49. License: CC BY 4.0 (see
docs/data.md).
"""

from __future__ import annotations

import os

from .. import backend

DIGITS_PATH = os.path.join(os.path.dirname(__file__), "digits.npz")
N_CLASSES = 10
MAX_PIXEL = 16


def load_digits(
    split: str = "train",
    flatten: bool = True,
    normalize: bool = True,
    dtype=None,
    device: str | None = None,
) -> tuple:
    """The digits of one split as backend arrays ``(X, y)`` (not Tensors).

    Args:
        split: ``"train"`` (1,438 images), ``"test"`` (359) or ``"all"`` (1,797, in the original order).
        flatten: X of shape (N, 64) when true, (N, 8, 8) otherwise.
        normalize: pixel values divided by 16, into [0, 1]; raw 0–16 otherwise.
        dtype: the float dtype of X (default: the default dtype). y is int64.
        device: ``"cpu"`` or ``"cuda"`` (default: the default device).
    """
    with backend.numpy.load(DIGITS_PATH, allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
        if split == "all":
            index = backend.numpy.arange(len(labels))
        elif split in ("train", "test"):
            index = archive[f"{split}_index"]
        else:
            raise ValueError(f"load_digits: split must be 'train', 'test' or 'all', got {split!r}")
    dtype = backend.get_default_dtype() if dtype is None else backend.float_dtype(dtype)
    X = images[index].astype(dtype)
    if normalize:
        X /= MAX_PIXEL
    if flatten:
        X = X.reshape(len(index), -1)
    y = labels[index].astype("int64")
    device = backend.check_device(device)
    return backend.to_device(X, device), backend.to_device(y, device)
