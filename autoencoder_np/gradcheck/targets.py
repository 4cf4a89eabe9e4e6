"""The targets of ``python -m autoencoder_np gradcheck`` and of the pytest plugin: what a name in a file means.

A target is ``path/to/file.py:NAME`` or ``package.module:NAME``; NAME is a layer instance, a layer class
with a zero-argument constructor, a zero-argument factory or a loss. :func:`module_targets` lists every
such object a module defines, for ``pytest --gradcheck-module``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from .. import losses
from .subjects import named_leaves

BATCH = 4  # rows of the default input
DEFAULT_FEATURES = 5  # features of the default input when the layer does not say (no in_features)
_PROTOCOL = ("params", "grads", "forward", "backward")


def load_target(spec: str) -> Any:
    """The object ``spec`` names: ``path/to/file.py:NAME`` or ``package.module:NAME``."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name:
        raise ValueError(f"target must be path/to/file.py:NAME or package.module:NAME, got {spec!r}")
    if where.endswith(".py") or "/" in where or "\\" in where:
        module = import_file(Path(where))
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise ValueError(f"cannot import module {where!r}: {err}") from err
        except Exception as err:  # the module's own code failed while importing
            raise ValueError(f"importing {where!r} failed: {type(err).__name__}: {err}") from err
    if not hasattr(module, name):
        defined = sorted(k for k in vars(module) if not k.startswith("_"))
        shown = ", ".join(defined[:12]) + (", …" if len(defined) > 12 else "")
        raise ValueError(f"{where} has no {name!r} (it defines: {shown or 'nothing public'})")
    return getattr(module, name)


def import_file(path: Path) -> Any:
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    module_name = f"_gradcheck_target_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    sys.path.insert(0, str(path.parent.resolve()))  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # any error in the user's file: report it in one line
        raise ValueError(f"importing {path} failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.pop(0)
    return module


def is_loss(obj: Any) -> bool:
    """A loss has forward(pred, target, mask=None) and a backward() without arguments."""
    if isinstance(obj, losses.Loss):
        return True
    if hasattr(obj, "params") or not callable(getattr(obj, "backward", None)):
        return False
    try:
        required = [
            p
            for p in inspect.signature(obj.backward).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # no signature to read
        return False
    return not required


def needs_arguments(obj: Any, label: str) -> str | None:
    """Why the class or factory ``obj`` cannot be called without arguments, or None when it can."""
    kind = "class" if isinstance(obj, type) else "factory"
    try:
        inspect.signature(obj).bind()
    except TypeError as err:
        return f"{label} is a {kind} that needs arguments ({err}); give an instance or a zero-argument factory"
    except ValueError:  # a builtin without a readable signature: just try it
        pass
    return None


def resolve(obj: Any, label: str) -> Any:
    """A layer or loss instance from ``obj``: the instance itself, or what its class or factory makes."""
    if not isinstance(obj, type) and hasattr(obj, "forward") and hasattr(obj, "backward"):
        instance = obj
    elif callable(obj):
        why = needs_arguments(obj, label)
        if why is not None:
            raise TypeError(why)
        instance = obj()
    else:
        raise TypeError(
            f"{label} is of type {type(obj).__name__}, not a layer, a layer class, a zero-argument factory or a loss"
        )
    if is_loss(instance):
        return instance
    if type(instance).__name__ != label:
        label = f"{label} ({type(instance).__name__})"
    missing = [part for part in _PROTOCOL if not hasattr(instance, part)]
    if missing:
        raise TypeError(
            f"{label} breaks the layer protocol: it lacks {', '.join(missing)} "
            "(a layer has params, grads, forward(x) and backward(grad_y); a loss has forward(pred, target, "
            "mask=None) and backward())"
        )
    for part in ("forward", "backward"):
        if not callable(getattr(instance, part)):
            raise TypeError(f"{label} breaks the layer protocol: {part} is not a method")
    for part in ("params", "grads"):
        if not hasattr(getattr(instance, part), "items"):
            raise TypeError(
                f"{label} breaks the layer protocol: {part} must be a dict of arrays, "
                f"got {type(getattr(instance, part)).__name__}"
            )
    return instance


def input_shape(layer: Any, given: list[int] | None) -> tuple[int, ...]:
    """--input-shape, else (BATCH, in_features) of the first layer that has it, else (BATCH, 5)."""
    if given:
        return tuple(given)
    for _, leaf in named_leaves(layer):
        features = getattr(leaf, "in_features", None)
        if isinstance(features, int):
            return (BATCH, features)
    return (BATCH, DEFAULT_FEATURES)


def _checkable(obj: Any) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def module_targets(module: Any) -> list[tuple[str, Any]]:
    """(name, object) for what ``module`` defines to check, in definition order.

    Every layer or loss instance at module level, and every layer or loss class defined in the module
    itself (not imported), except a class that has an instance in the module already.
    """
    public = [(name, obj) for name, obj in vars(module).items() if not name.startswith("_")]
    instances = [(name, obj) for name, obj in public if not isinstance(obj, type) and _checkable(obj)]
    covered = {type(obj) for _, obj in instances}
    classes = [
        (name, obj)
        for name, obj in public
        if isinstance(obj, type) and obj.__module__ == module.__name__ and _checkable(obj) and obj not in covered
    ]
    order = {name: k for k, name in enumerate(vars(module))}
    return sorted(instances + classes, key=lambda item: order[item[0]])
