"""nn: saving and loading checkpoints as NumPy ``.npz`` files (``tg.save`` / ``tg.load``).

A checkpoint is any nesting of dicts, lists and tuples whose leaves are arrays, Tensors,
NumPy scalars, Python numbers, strings, booleans and None, such as

    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)

It is stored as an uncompressed ``.npz``, a zip of ``.npy`` files that any NumPy can read:
one member per array, named by its path in the nesting (``model/layers.0.weight``; a flat
state dict keeps its own names, ``layers.0.weight``), plus ``__structure__.npy``, a text
array holding the nesting as JSON with each array replaced by its member's name. No Python
object is pickled, so loading a file never runs code from it. ``load`` returns the same
nesting: arrays (Tensors come back as their arrays, on the host), NumPy scalars with their
dtype, Python numbers exactly (JSON writes a float's shortest round-tripping decimal), dict
keys that are strings or ints as they were.

``save`` writes to a temporary file in the target's folder and renames it over the target
(``os.replace`` is atomic), so a crash mid-write leaves either the old file or the new one,
never half of one; the file gets the mode a new file gets (0644 under the usual umask 022).
``load`` reads every array before returning, so a truncated or corrupt file fails there with
a ValueError naming the path, before anything reaches a model.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

from . import backend
from .nn.module import Module
from .tensor import Tensor

STRUCTURE = "__structure__"  # the member holding the nesting; no array gets this name
# How a JSON object in the structure says what it stands for (lists and scalars stand for themselves).
ARRAY, SCALAR, TUPLE, DICT = "array", "numpy scalar", "tuple", "dict"


def save(obj, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts and lists of arrays, Tensors, numbers, strings, booleans and
    None) to ``path`` as an ``.npz``; ``load(path)`` returns the same nesting.

    Arrays on the GPU are copied to the host; dicts keep the order of their keys, which must
    be strings or ints. Anything else (a Module, an optimizer, an object array) raises a
    TypeError naming where in ``obj`` it sits, before any file is touched.
    """
    arrays: dict[str, object] = {}
    structure = _encode(obj, (), arrays)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    except OSError as error:  # name the user's path, not the temporary file's
        raise OSError(error.errno, f"save: cannot write {path} ({error.strerror})") from error
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, {STRUCTURE: backend.numpy.array(json.dumps(structure)), **arrays})
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a checkpoint is a normal file
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it, so set it straight back
    os.umask(mask)
    return mask


def _encode(value, where: tuple, arrays: dict):
    """The JSON form of ``value``; its arrays go into ``arrays`` under fresh member names."""
    # before Python's scalars: numpy.float64 is a float, but must come back with its dtype
    numpy_scalar = backend.is_numpy_scalar(value) and not isinstance(value, str)
    if isinstance(value, Tensor) or backend.is_array(value) or numpy_scalar:
        array = backend.to_numpy(value.data if isinstance(value, Tensor) else value)
        array = backend.numpy.asarray(array)
        if array.dtype.kind not in "biufc":
            raise TypeError(
                f"save: {_describe(where)} holds a {array.dtype} value; "
                "only numeric arrays can be saved"
            )
        name = _member_name(where, arrays)
        arrays[name] = array
        return {SCALAR if numpy_scalar else ARRAY: name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value  # JSON writes these (a numpy.str_ too: it is a str)
    if isinstance(value, list):
        return [_encode(item, (*where, index), arrays) for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {TUPLE: [_encode(item, (*where, index), arrays) for index, item in enumerate(value)]}
    if isinstance(value, dict):
        for key in value:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"save: keys must be strings or ints, got {key!r} in {_describe(where)}"
                )
        return {DICT: [[key, _encode(item, (*where, key), arrays)] for key, item in value.items()]}
    if isinstance(value, Module):
        hint = ": save model.state_dict() instead, and load it with model.load_state_dict"
    elif hasattr(value, "state_dict"):
        hint = ": save its state_dict() instead"
    else:
        hint = " (a checkpoint holds dicts and lists of arrays, Tensors, numbers, strings and None)"
    raise TypeError(f"save: cannot save {_describe(where)} (of type {type(value).__name__}){hint}")


def _describe(where: tuple) -> str:
    return "the object" if not where else repr("/".join(str(part) for part in where))


def _member_name(where: tuple, arrays: dict) -> str:
    """The path of an array in the nesting, made unique (a key may itself contain '/')."""
    name = "/".join(str(part) for part in where) or "array"
    unique, count = name, 1
    while unique in arrays or unique == STRUCTURE:
        unique, count = f"{name}#{count}", count + 1
    return unique


def _write_npz(file, arrays: dict) -> None:
    """What ``numpy.savez`` writes (one ``NAME.npy`` member per array, uncompressed), without its
    keyword arguments, so that a key such as ``file`` or ``allow_pickle`` is just a name."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                backend.numpy.lib.format.write_array(member, array, allow_pickle=False)


def load(path: str | os.PathLike):
    """Read a checkpoint written by ``save``: the nesting that was saved, arrays on the host.

    A file of bare arrays (an ``.npz`` from ``numpy.savez``, or from an older ``save``) reads
    as a dict from member name to array. Raises FileNotFoundError for a missing file and
    ValueError, naming the path, for one that is truncated, corrupt or not an ``.npz`` at all.
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
            arrays = {name: archive[name] for name in archive.files}
        if STRUCTURE not in arrays:
            return arrays
        return _decode(json.loads(str(arrays.pop(STRUCTURE))), arrays)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError) as error:
        raise ValueError(
            f"load: {path} is not a readable checkpoint (corrupt .npz: {error!r})"
        ) from error


def _decode(node, arrays: dict):
    if isinstance(node, list):
        return [_decode(item, arrays) for item in node]
    if not isinstance(node, dict):
        return node
    ((kind, content),) = node.items()
    if kind == ARRAY:
        return arrays[content]
    if kind == SCALAR:
        return arrays[content][()]
    if kind == TUPLE:
        return tuple(_decode(item, arrays) for item in content)
    if kind == DICT:
        return {key: _decode(item, arrays) for key, item in content}
    raise ValueError(f"unknown entry {kind!r} in the structure")
