"""A model's parameters in one flat buffer, and its gradients in another: what lets Adam update a whole model
in a handful of NumPy calls instead of a handful per parameter.

Building a model moves every parameter of its layers into one contiguous 1-D buffer (and every gradient into
another); each layer's ``params["W"]`` becomes a view of its slice, shaped as before, so layers read and write
plain ``W`` and ``b`` as always.

The layers stay free to write their ``params`` and ``grads`` in any of the usual styles. :meth:`sync` runs
before every optimizer step and makes the buffers hold exactly what the layers hold:

- written in place (``grads["W"][...] = …``, ``np.matmul(…, out=grads["W"])``): already in the buffer;
- a new array under a key (``grads["W"] = x.T @ grad_y``) or a new dict (``self.grads = {"W": …, "b": …}``):
  copied into the buffer, and the layer's entry bound to the buffer's view again;
- a key missing, a new key (``params["extra"] = …``) or a new shape: a ValueError naming the layer and what
  to write instead. A layer creates its parameters in ``__init__``, before it goes into a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class _Slot:
    """One parameter of one layer: where it lives in the buffers, and the views the layer should hold."""

    name: str  # "encoder.0.W"
    layer: Any
    key: str  # "W"
    param: np.ndarray  # the view of ``FlatParameters.params`` that is the layer's params[key]
    grad: np.ndarray  # the view of ``FlatParameters.grads`` that is the layer's grads[key]


@dataclass
class FlatParameters:
    """A model's parameters in one 1-D buffer and its gradients in another.

    ``params``, ``grads``: (size,) arrays; ``layout[name] = (offset, shape)`` says where each parameter lives.
    """

    params: np.ndarray
    grads: np.ndarray
    layout: dict[str, tuple[int, tuple[int, ...]]]
    slots: list[_Slot] = field(default_factory=list, repr=False)
    counts: list[tuple[Any, int]] = field(default_factory=list, repr=False)  # (layer, number of its params)

    @classmethod
    def pack(cls, entries: list[tuple[str, Any, str]], dtype: np.dtype) -> FlatParameters:
        """Move ``layer.params[key]`` (and its gradient) for every (name, layer, key) into new flat buffers."""
        total = sum(layer.params[key].size for _, layer, key in entries)
        flat = cls(np.empty(total, dtype), np.zeros(total, dtype), {})
        offset = 0
        for name, layer, key in entries:
            value = np.asarray(layer.params[key])
            shape, size = value.shape, value.size
            param = flat.params[offset : offset + size].reshape(shape)
            grad = flat.grads[offset : offset + size].reshape(shape)
            param[...] = value
            dict.__setitem__(layer.params, key, param)  # rebind, whatever kind of dict the layer keeps
            if key in layer.grads and np.shape(layer.grads[key]) == shape:
                grad[...] = layer.grads[key]
            dict.__setitem__(layer.grads, key, grad)
            flat.layout[name] = (offset, shape)
            flat.slots.append(_Slot(name, layer, key, param, grad))
            offset += size
        layers = {id(layer): layer for _, layer, _ in entries}
        flat.counts = [(layer, len(layer.params)) for layer in layers.values()]
        return flat

    def view(self, buffer: np.ndarray, name: str) -> np.ndarray:
        """The slice of ``buffer`` (any array laid out like ``params``) that belongs to ``name``, reshaped."""
        offset, shape = self.layout[name]
        return buffer[offset : offset + math.prod(shape)].reshape(shape)

    def sync(self) -> None:
        """Make the buffers hold exactly the layers' ``params`` and ``grads`` (see the module docstring)."""
        for slot in self.slots:
            layer = slot.layer
            params, grads = layer.params, layer.grads
            if params.get(slot.key) is not slot.param:
                _adopt(params, slot, slot.param, "params")
            if grads.get(slot.key) is not slot.grad:
                _adopt(grads, slot, slot.grad, "grads")
        for layer, count in self.counts:
            if len(layer.params) != count:
                _count_changed(layer, [slot.key for slot in self.slots if slot.layer is layer])


def _adopt(store: dict[str, Any], slot: _Slot, view: np.ndarray, which: str) -> None:
    """Copy the layer's new array into the buffer's view, and bind the layer's entry to the view again."""
    value = store.get(slot.key)
    if value is None:
        writer = "backward" if which == "grads" else "__init__"
        raise ValueError(
            f"{slot.layer!r}: {which}[{slot.key!r}] is missing ({slot.name} in the model); "
            f"{writer} must write {which}[{slot.key!r}], an array of shape {view.shape}"
        )
    value = np.asarray(value)
    if value.shape != view.shape:
        raise ValueError(
            f"{slot.layer!r}: {which}[{slot.key!r}] has shape {value.shape}, expected {view.shape} "
            f"(the shape of params[{slot.key!r}] when the model was built)"
        )
    view[...] = value
    dict.__setitem__(store, slot.key, view)


def _count_changed(layer: Any, keys: list[str]) -> None:
    now = sorted(layer.params)
    raise ValueError(
        f"{layer!r}: params has the keys {now}, but {sorted(keys)} when the model was built; a layer creates "
        "its parameters in __init__, before it goes into a model (build the model again after adding one)"
    )
