"""Saving and loading layers, models (with their optimizer, loss and noise generators) and optimizers' state.

``autoencoder_np.save(obj, path)`` and ``autoencoder_np.load(path)`` are the entry points; the file format
itself is ``archive.py``. Round trips are exact: parameters, optimizer state (Adam's m, v and t) and the state
of the noise generators are stored bit for bit, so predictions and further training after ``load`` are
bitwise identical to never having saved.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import activations, losses, optimizers
from ..layers import Dense, Dropout, GaussianNoise, Layer
from ..model import Autoencoder, Container, Sequential
from ..validation import check_int
from .archive import FileFormatError, as_path, load_arrays, save_arrays

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
    path = as_path(path, "save")
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
    if opt.model is None:
        return part, {}
    if model is not None and opt.model is not model:
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
    opt.bind(model)
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


def deprecated_save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """``obj.save(path)`` of 0.1, for layers, models and optimizers: warns, then :func:`save` (obj, path)."""
    warnings.warn(
        f"{type(obj).__name__}.save(path) is deprecated: use autoencoder_np.save(obj, path)",
        DeprecationWarning,
        stacklevel=3,
    )
    return save(obj, path)
