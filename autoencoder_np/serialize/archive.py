"""Saving and loading: one ``.npz`` file of arrays plus a JSON header, never pickle.

A file is a plain (uncompressed) zip archive, readable with ``np.load(path, allow_pickle=False)`` or any
unzip tool::

    header.json               format and library version, what the file holds (architecture, dtype,
                              hyperparameters, …) and a manifest {array name: shape, dtype}
    params/encoder.0.W.npy    one .npy member per array
    optimizer/encoder.0.W/m.npy

The generic core, :func:`save_arrays` and :func:`load_arrays`, serves every saveable object of the library.
:func:`save` and :func:`load` put layers, models (with their optimizer, loss and noise generators) and
optimizers' state on top of it.

Safety: loading never unpickles (object arrays are refused before their bytes are read) and never
evaluates anything from the file; every array is checked against the manifest (present, shape, dtype,
size) before it is read, so a hostile file cannot make the loader allocate more than the file holds.
A truncated or corrupt file, a newer format version, a missing or surplus array, a wrong shape or NaN
is refused with :class:`FileFormatError` (a ValueError) naming the file and what is wrong.

Writes are atomic: the file is written under a temporary name in the same folder, flushed to disk, then
renamed over ``path`` (``os.replace``), so an interrupted save never leaves a corrupt file behind the name.

Round trips are exact: parameters, optimizer state (Adam's m, v and t) and the state of the noise
generators are stored bit for bit, so predictions and further training after ``load`` are bitwise
identical to never having saved.
"""

from __future__ import annotations

import contextlib
import inspect
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

from . import activations, losses, optimizers
from .layers import Dense, Dropout, GaussianNoise, Layer
from .model import Autoencoder, Container, Sequential
from .validation import all_finite, check_int

FORMAT = "autoencoder_np"
#: The version of the file layout this library writes; it reads this one and older ones.
FORMAT_VERSION = 1
HEADER = "header.json"
MAX_HEADER_BYTES = 1 << 20

#: The layer classes a file may name; a layer outside this list cannot be saved (its code is not in the file).
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Dense, Dropout, GaussianNoise, *activations.ACTIVATIONS.values(), Sequential, Autoencoder)
}
LOSS_CLASSES: dict[str, type[losses.Loss]] = {cls.__name__: cls for cls in losses.LOSSES.values()}
OPTIMIZER_CLASSES: dict[str, type[optimizers.Optimizer]] = {
    cls.__name__: cls for cls in (optimizers.SGD, optimizers.Adam)
}
#: NumPy's bit generators a noise layer's Generator may use (looked up by name, never imported from the file).
BIT_GENERATORS = {cls.__name__: cls for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                                               np.random.Philox, np.random.SFC64)}  # fmt: skip


class FileFormatError(ValueError):
    """A file that is not a valid autoencoder_np file: truncated, corrupt, unsafe, or from a newer version."""


# The generic core ----------------------------------------------------------------------------------------


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
    from . import __version__  # the package sets it after importing this module

    where = "save"
    path = _as_path(path, where)
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
    path = _as_path(path, "load")
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


def _as_path(path: Any, where: str) -> Path:
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


# Layers, models and optimizers ---------------------------------------------------------------------------


def save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Save a layer or model, or an optimizer's state, to one .npz file at ``path``; returns the path.

    A layer or model file holds its architecture, parameters, training flag and the state of its noise
    generators; a model's file also holds ``model.optimizer`` (hyperparameters and state) and ``model.loss``,
    so that ``fit`` goes on after :func:`load` exactly as it would have. An optimizer's file holds its
    hyperparameters and state per parameter name.

    Raises:
        TypeError: ``obj`` (or its optimizer, loss or a layer in it) is not one of the library's classes,
            which a file can rebuild.
        ValueError: ``model.optimizer`` holds state for another model.
    """
    path = _as_path(path, "save")
    if isinstance(obj, optimizers.Optimizer):
        part, arrays = _optimizer_part(obj, None)
        return save_arrays(path, arrays, {"kind": "optimizer", "optimizer": part})
    if not isinstance(obj, Layer):
        raise TypeError(f"save: expected a layer, model or optimizer, got {type(obj).__name__}")
    generators: list[np.random.Generator] = []
    header: dict[str, Any] = {
        "kind": "layer",
        "architecture": _architecture(obj, generators),
        "dtype": None if obj.dtype is None else str(obj.dtype),
        "training": obj.training,
    }
    header["generators"] = [_to_json(g.bit_generator.state) for g in generators]
    arrays = {f"params/{name}": value for name, value in obj.params.items()}
    if isinstance(obj, Container):
        header["loss"] = None if obj.loss is None else _class_name(obj.loss, LOSS_CLASSES, "model.loss")
        header["optimizer"] = None
        if obj.optimizer is not None:
            header["optimizer"], state = _optimizer_part(obj.optimizer, obj)
            arrays.update(state)
    return save_arrays(path, arrays, header)


def load(path: str | os.PathLike[str], *, model: Layer | None = None) -> Any:
    """Load what :func:`save` wrote: a layer or model (with its optimizer and loss), or an optimizer.

    Args:
        path: the file.
        model: for an optimizer file with state, the model to bind it to (its parameter names and shapes
            must match those the state was saved for). Not allowed for a layer or model file.

    Raises:
        FileFormatError: see :func:`load_arrays`; also an unknown class or a parameter the architecture
            does not have or has in another shape.
        ValueError: an optimizer file with state and no ``model``, or a model that does not match it.
        OSError: the file is missing or unreadable.
    """
    arrays, header = load_arrays(path)
    where = f"load {path}"
    kind = header.get("kind")
    if kind == "optimizer":
        return _restore_optimizer(_field(header, "optimizer", dict, where), arrays, model, where)
    if kind != "layer":
        raise FileFormatError(f"{where}: unknown kind {kind!r} (expected 'layer' or 'optimizer')")
    if model is not None:
        raise ValueError(f"{where}: model= is for optimizer files; this file holds a layer or model")
    states = _field(header, "generators", list, where)
    architecture = _field(header, "architecture", dict, where)
    try:
        layer = _build(architecture, [_generator(state) for state in states])
    except (KeyError, IndexError, TypeError, ValueError, RecursionError) as err:
        raise FileFormatError(f"{where}: the architecture in the header is invalid: {err!r}") from None
    dtype = None if layer.dtype is None else str(layer.dtype)
    if header.get("dtype") != dtype:
        raise FileFormatError(f"{where}: the header says dtype {header.get('dtype')!r}, the architecture has {dtype}")
    _restore_arrays(layer.params, arrays, "params/", where)
    layer.train(_field(header, "training", bool, where))
    if isinstance(layer, Container):
        loss = header.get("loss")
        layer.loss = None if loss is None else _known(loss, LOSS_CLASSES, "loss", where)()
        spec = header.get("optimizer")
        layer.optimizer = None if spec is None else _restore_optimizer(spec, arrays, layer, where)
    return layer


def _field(header: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = header.get(key)
    if not isinstance(value, kind):
        raise FileFormatError(f"{where}: header field {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _class_name(obj: Any, classes: Mapping[str, type], what: str) -> str:
    """The class name a file stores for ``obj``, if a file can rebuild it."""
    name = type(obj).__name__
    if classes.get(name) is not type(obj):
        raise TypeError(
            f"save: {what} is a {name}, which a file cannot rebuild (its code is not in the file); "
            f"saveable: {', '.join(classes)}"
        )
    return name


def _known(name: Any, classes: Mapping[str, type], what: str, where: str) -> type:
    if not isinstance(name, str) or name not in classes:
        raise FileFormatError(f"{where}: unknown {what} class {name!r} (known: {', '.join(classes)})")
    return classes[name]


def _architecture(layer: Layer, generators: list[np.random.Generator]) -> dict[str, Any]:
    """The recipe that rebuilds ``layer``: class, constructor arguments, children, noise generator index."""
    name = _class_name(layer, LAYER_CLASSES, "a layer")
    if isinstance(layer, Sequential):
        return {"class": name, "layers": [_architecture(child, generators) for child in layer.layers]}
    if isinstance(layer, Autoencoder):
        return {
            "class": name,
            "encoder": _architecture(layer.encoder, generators),
            "decoder": _architecture(layer.decoder, generators),
        }
    spec: dict[str, Any] = {"class": name, "config": layer.get_config()}
    rng = getattr(layer, "rng", None)
    if isinstance(rng, np.random.Generator):
        # Layers that share one Generator (from_sizes gives Dropout and GaussianNoise the same) share it again.
        index = next((i for i, g in enumerate(generators) if g is rng), len(generators))
        if index == len(generators):
            generators.append(rng)
        spec["rng"] = index
    return spec


def _build(spec: dict[str, Any], generators: list[np.random.Generator]) -> Layer:
    """The layer ``spec`` describes, with fresh parameters (the caller fills them in)."""
    cls = LAYER_CLASSES[spec["class"]]
    if cls is Sequential:
        return Sequential([_build(child, generators) for child in spec["layers"]])
    if cls is Autoencoder:
        return Autoencoder(_build(spec["encoder"], generators), _build(spec["decoder"], generators))
    config = dict(spec["config"])
    if "rng" in spec:
        config["rng"] = generators[check_int(spec["rng"], "rng", "architecture", minimum=0)]
    if cls is not Dense:
        return cls(**config)
    init = config.pop("init")
    if not isinstance(init, str):
        raise TypeError(f"Dense init must be a name, got {init!r}")
    layer = Dense(**config, init="zeros")  # the weights come from the file; no need to draw them
    layer.init = init
    return layer


def _restore_arrays(live: Mapping[str, np.ndarray], arrays: dict[str, np.ndarray], prefix: str, where: str) -> None:
    """Copy ``arrays[prefix + name]`` into every ``live[name]``; the names, shapes and dtypes must match."""
    stored = {key[len(prefix) :] for key in arrays if key.startswith(prefix)}
    if stored != set(live):
        missing, surplus = sorted(set(live) - stored), sorted(stored - set(live))
        raise FileFormatError(f"{where}: {prefix} arrays do not match: missing {missing}, not expected {surplus}")
    for name, target in live.items():
        value = arrays[prefix + name]
        if value.shape != target.shape or value.dtype != target.dtype:
            raise FileFormatError(
                f"{where}: {prefix}{name} has shape {value.shape} and dtype {value.dtype}; "
                f"expected {target.shape} and {target.dtype}"
            )
        target[...] = value


def _optimizer_part(opt: optimizers.Optimizer, model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header part, arrays) of an optimizer: class, constructor arguments, Adam's t, state per parameter."""
    name = _class_name(opt, OPTIMIZER_CLASSES, "the optimizer")
    arguments = [p for p in inspect.signature(type(opt).__init__).parameters if p != "self"]
    part: dict[str, Any] = {"class": name, "hyperparameters": {key: getattr(opt, key) for key in arguments}}
    if hasattr(opt, "t"):
        part["t"] = opt.t
    if opt._model is None:
        return part, {}
    if model is not None and opt._model is not model:
        raise ValueError("save: model.optimizer holds state for another model; set model.optimizer = None to save")
    part["parameters"] = list(opt.state)
    arrays = {f"optimizer/{param}/{key}": value for param, state in opt.state.items() for key, value in state.items()}
    return part, arrays


def _restore_optimizer(part: Any, arrays: dict[str, np.ndarray], model: Any, where: str) -> optimizers.Optimizer:
    """The optimizer ``part`` describes; its state (if any) copied in and bound to ``model``."""
    if not isinstance(part, dict):
        raise FileFormatError(f"{where}: the optimizer entry of the header must be an object, got {part!r}")
    cls = _known(part.get("class"), OPTIMIZER_CLASSES, "optimizer", where)
    try:
        opt = cls(**_field(part, "hyperparameters", dict, where))
    except (TypeError, ValueError) as err:
        raise FileFormatError(f"{where}: the optimizer's hyperparameters are invalid: {err}") from None
    if hasattr(opt, "t"):  # Adam's step count, which its bias correction needs
        t = _field(part, "t", int, where)
        if isinstance(t, bool) or t < 0:
            raise FileFormatError(f"{where}: the optimizer's step count t must be an integer ≥ 0, got {t!r}")
        opt.t = t
    names = part.get("parameters")
    if names is None:
        return opt
    if model is None:
        raise ValueError(
            f"{where}: this optimizer holds state for the parameters {names}; pass the model it belongs to: "
            "load(path, model=model)"
        )
    opt._bind(model)
    if list(opt.state) != names:
        raise ValueError(f"{where}: the optimizer state is for parameters {names}, the model has {list(opt.state)}")
    live = {f"{param}/{key}": value for param, state in opt.state.items() for key, value in state.items()}
    _restore_arrays(live, arrays, "optimizer/", where)
    return opt


def _to_json(value: Any) -> Any:
    """A bit generator's state as JSON: arrays become {"ndarray": [...], "dtype": "<u8"}."""
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    return value.item() if isinstance(value, np.generic) else value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"ndarray", "dtype"}:
        return np.array(value["ndarray"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict):
        return {key: _from_json(item) for key, item in value.items()}
    return value


def _generator(state: Any) -> np.random.Generator:
    """A Generator in exactly the saved state (its bit generator named in the state, from a fixed list)."""
    bit_generator = BIT_GENERATORS[state["bit_generator"]]()
    bit_generator.state = _from_json(state)
    return np.random.Generator(bit_generator)
