"""nn: saving and loading state dicts as NumPy ``.npz`` files (``tg.save`` / ``tg.load``).

A checkpoint is a flat mapping from names (``layers.0.weight``) to arrays, stored as an
uncompressed ``.npz``: a zip of ``.npy`` files that any NumPy can read, with no pickled
Python objects, so loading a file never runs code from it.

``save`` writes to a temporary file in the target's folder and renames it over the target
(``os.replace`` is atomic), so a crash mid-write leaves either the old file or the new one,
never half of one. ``load`` reads every array before returning, so a truncated or corrupt
file fails there with a ValueError naming the path, before anything reaches a model.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping

from . import backend
from .tensor import Tensor


def save(state_dict: Mapping, path: str | os.PathLike) -> None:
    """Write ``state_dict`` (names to arrays, Tensors or numbers) to ``path`` as an ``.npz``.

    Arrays on the GPU are copied to the host; the file keeps the order of the keys.
    """
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        array = backend.to_numpy(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"save: {name!r} holds a {array.dtype} value; only numeric arrays can be saved"
            )
        arrays[name] = array
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_npz(file, arrays: dict) -> None:
    """What ``numpy.savez`` writes (one ``NAME.npy`` member per array, uncompressed), without its
    keyword arguments, so that a key such as ``file`` or ``allow_pickle`` is just a name."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                backend.numpy.lib.format.write_array(member, array, allow_pickle=False)


def load(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by ``save``: an ordered dict from name to NumPy array (host).

    Raises FileNotFoundError for a missing file and ValueError, naming the path, for one that
    is truncated, corrupt or not an ``.npz`` at all.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: no checkpoint file at {path}")
    if not zipfile.is_zipfile(path):  # NumPy would otherwise try to read it as a pickle
        raise ValueError(
            f"load: {path} is not a readable checkpoint (not a zip/.npz archive: truncated?)"
        )
    try:
        with backend.numpy.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise ValueError(
            f"load: {path} is not a readable checkpoint (corrupt .npz: {error})"
        ) from error
