"""The file format: one ``.npz`` file of arrays plus a JSON header, never pickle.

A file is a plain (uncompressed) zip archive, readable with ``np.load(path, allow_pickle=False)`` or any
unzip tool::

    header.json               format and library version, what the file holds (architecture, dtype,
                              hyperparameters, …) and a manifest {array name: shape, dtype}
    params/encoder.0.W.npy    one .npy member per array
    optimizer/encoder.0.W/m.npy

:func:`save_arrays` and :func:`load_arrays` serve every saveable object of the library; ``objects.py`` puts
layers, models and optimizers on top of them.

Safety: loading never unpickles (object arrays are refused before their bytes are read) and never
evaluates anything from the file; every array is checked against the manifest (present, shape, dtype,
size) before it is read, so a hostile file cannot make the loader allocate more than the file holds.
A truncated or corrupt file, a newer format version, a missing or surplus array, a wrong shape or NaN
is refused with :class:`FileFormatError` (a ValueError) naming the file and what is wrong.

Writes are atomic: the file is written under a temporary name in the same folder, flushed to disk, then
renamed over ``path`` (``os.replace``), so an interrupted save never leaves a corrupt file behind the name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..validation import all_finite

FORMAT = "autoencoder_np"
#: The version of the file layout this library writes; it reads this one and older ones.
FORMAT_VERSION = 1
HEADER = "header.json"
MAX_HEADER_BYTES = 1 << 20


class FileFormatError(ValueError):
    """A file that is not a valid autoencoder_np file: truncated, corrupt, unsafe, or from a newer version."""


def save_arrays(path: str | os.PathLike[str], arrays: Mapping[str, Any], header: Mapping[str, Any]) -> Path:
    """Write ``arrays`` and the JSON ``header`` to one .npz file at ``path``, atomically; returns the path.

    Args:
        path: the file to write (its folder must exist); the name is used as given (no suffix added).
        arrays: name -> numeric array (bool, int, float or complex; finite). Names may contain "/".
        header: JSON-able metadata. The keys "format", "format_version", "library_version" and "arrays"
            are set here (the last one to the manifest {name: {"shape", "dtype"}}).

    Raises:
        TypeError: a non-numeric array, or a header JSON cannot hold.
        ValueError: a NaN or inf in an array.
        OSError: the folder does not exist or is not writable.
    """
    from .. import __version__  # the package sets it after importing this module

    where = "save"
    path = as_path(path, where)
    checked = {name: _savable(name, value, where) for name, value in arrays.items()}
    manifest = {name: {"shape": list(a.shape), "dtype": a.dtype.str} for name, a in checked.items()}
    full = {**header, "format": FORMAT, "format_version": FORMAT_VERSION, "library_version": __version__}
    full["arrays"] = manifest
    try:
        text = json.dumps(full, indent=1, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{where}: the header cannot be written as JSON: {err}") from None
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{where}: folder {path.parent} does not exist")
    with _atomic_file(path) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(HEADER, text)
        for name, a in checked.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)
    return path


def load_arrays(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a file written by :func:`save_arrays`: returns (arrays, header), both checked.

    Raises:
        FileFormatError: not a readable file of this format, a newer format version, an object (pickled)
            or non-numeric array, an array missing, surplus or unlike the manifest, or NaN/inf in an array.
        OSError: the file is missing or unreadable.
    """
    path = as_path(path, "load")
    where = f"load {path}"
    with open(path, "rb") as f:  # OSError (missing, a folder, no permission) passes through as it is
        size = os.fstat(f.fileno()).st_size
        try:
            with zipfile.ZipFile(f) as archive:
                header = _read_header(archive, where)
                manifest = header["arrays"].items()
                arrays = {name: _read_array(archive, name, spec, size, where) for name, spec in manifest}
                surplus = sorted(set(archive.namelist()) - {HEADER, *(f"{name}.npy" for name in arrays)})
        except FileFormatError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, struct.error, NotImplementedError,
                RuntimeError, ValueError, OverflowError) as err:  # fmt: skip
            raise FileFormatError(f"{where}: not a readable .npz file (truncated or corrupt?): {err}") from None
    if surplus:
        raise FileFormatError(f"{where}: the file holds members its header does not list: {surplus[:5]}")
    return arrays, header


def as_path(path: Any, where: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def _savable(name: Any, value: Any, where: str) -> np.ndarray:
    """``value`` as an array that may be saved: a non-empty string name, numeric dtype, finite values."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"{where}: array names must be non-empty strings, got {name!r}")
    a = np.asarray(value)
    if a.dtype.kind not in "biufc":
        raise TypeError(f"{where}: array {name!r} must be numeric, got dtype {a.dtype}")
    if a.dtype.kind in "fc" and not all_finite(a):
        raise ValueError(f"{where}: array {name!r} holds NaN or inf; refusing to save it")
    return a


@contextlib.contextmanager
def _atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file in ``path``'s folder that takes ``path``'s name only once it is completely written.

    The temporary file is created with the usual permissions (0o666 minus the umask); on any error, or an
    interruption, it is removed and ``path`` is left as it was.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_header(archive: zipfile.ZipFile, where: str) -> dict[str, Any]:
    """The JSON header, checked: our format, a version we read, a well-formed manifest."""
    try:
        info = archive.getinfo(HEADER)
    except KeyError:
        raise FileFormatError(f"{where}: no {HEADER} inside: not an autoencoder_np file") from None
    if info.file_size > MAX_HEADER_BYTES:
        raise FileFormatError(f"{where}: {HEADER} is {info.file_size} bytes, more than {MAX_HEADER_BYTES}")
    try:
        header = json.loads(archive.read(info).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise FileFormatError(f"{where}: {HEADER} is not valid JSON: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FileFormatError(f"{where}: not an autoencoder_np file ({HEADER} does not say format {FORMAT!r})")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileFormatError(f"{where}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{where}: written in format version {version} (by autoencoder_np {header.get('library_version')}); "
            f"this autoencoder_np reads format versions up to {FORMAT_VERSION}: upgrade autoencoder_np to load it"
        )
    manifest = header.get("arrays")
    if not isinstance(manifest, dict) or not all(
        isinstance(spec, dict) and isinstance(spec.get("shape"), list) and isinstance(spec.get("dtype"), str)
        for spec in manifest.values()
    ):
        raise FileFormatError(f"{where}: the header's array manifest is malformed")
    return header


def _read_array(archive: zipfile.ZipFile, name: str, spec: dict[str, Any], size: int, where: str) -> np.ndarray:
    """One array, after checking its .npy header against the manifest and its byte count against the file."""
    label = f"{where}: array {name!r}"
    try:
        info = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise FileFormatError(f"{label} is missing") from None
    if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size or info.file_size > size:
        raise FileFormatError(f"{label} is compressed or larger than the file (autoencoder_np writes it stored)")
    try:
        expected_dtype = np.dtype(spec["dtype"])
    except TypeError:
        raise FileFormatError(f"{label}: the manifest names an unknown dtype {spec['dtype']!r}") from None
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise FileFormatError(f"{label}: unsupported .npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(member)
        if dtype.hasobject or dtype.kind not in "biufc":
            raise FileFormatError(f"{label} has dtype {dtype}: it would need pickle or is not numeric; refused")
        if list(shape) != spec["shape"] or dtype != expected_dtype:
            raise FileFormatError(
                f"{label} has shape {shape} and dtype {dtype}, the header says {tuple(spec['shape'])} and "
                f"{expected_dtype}"
            )
        if info.file_size - member.tell() != math.prod(shape) * dtype.itemsize:
            raise FileFormatError(f"{label} is truncated or padded: its byte count does not match shape {shape}")
    with archive.open(info) as member:
        array = np.lib.format.read_array(member, allow_pickle=False)
    if array.dtype.kind in "fc" and not all_finite(array):
        raise FileFormatError(f"{label} holds NaN or inf")
    return array
