"""Saving and loading without pickle: ``save(obj, path)`` and ``load(path)``.

- ``archive``: the file format, one ``.npz`` of arrays plus a JSON header (``save_arrays``, ``load_arrays``,
  ``FileFormatError``), which every saveable object of the library uses;
- ``objects``: layers, models (with their optimizer, loss and noise generators) and optimizers' state on it.
"""

from .archive import FORMAT, FORMAT_VERSION, HEADER, MAX_HEADER_BYTES, FileFormatError, load_arrays, save_arrays
from .objects import (
    BIT_GENERATORS,
    LAYER_CLASSES,
    LOSS_CLASSES,
    OPTIMIZER_CLASSES,
    deprecated_save,
    load,
    save,
)

__all__ = [
    "BIT_GENERATORS",
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
    "LAYER_CLASSES",
    "LOSS_CLASSES",
    "MAX_HEADER_BYTES",
    "OPTIMIZER_CLASSES",
    "FileFormatError",
    "deprecated_save",
    "load",
    "load_arrays",
    "save",
    "save_arrays",
]
