"""Gradient checks in your own test suite: assertions, hypothesis strategies and a pytest plugin.

A property test of your layer, in three lines::

    import autoencoder_np as ae
    from hypothesis import given

    @given(x=ae.testing.inputs_for(MyLayer(4, 3)))
    def test_my_layer(x):
        ae.testing.assert_layer_gradients(MyLayer(4, 3), x)

- ``assert_layer_gradients``, ``assert_loss_gradients``, ``assert_model_gradients``,
  ``assert_function_gradients``: the checker's verdict; on failure an AssertionError whose message is the
  report with its diagnosis (``assertions``). They need only numpy.
- ``inputs_for``, ``arrays``, ``masks``, ``loss_inputs``, ``models``, ``values_between``: hypothesis
  strategies (``strategies``); hypothesis loads on first use.
- The pytest plugin (``plugin``, registered as a ``pytest11`` entry point): a ``gradcheck`` fixture and
  ``pytest --gradcheck-module my_layers.py``.

pytest and hypothesis are the optional extra ``pip install "autoencoder_np[testing]"``.
"""

from __future__ import annotations

import importlib
from typing import Any

from .assertions import (
    GradCheck,
    assert_function_gradients,
    assert_layer_gradients,
    assert_loss_gradients,
    assert_model_gradients,
)

STRATEGIES = ("arrays", "inputs_for", "loss_inputs", "masks", "models", "values_between")

__all__ = [
    "GradCheck",
    "assert_function_gradients",
    "assert_layer_gradients",
    "assert_loss_gradients",
    "assert_model_gradients",
    *STRATEGIES,
]


def __getattr__(name: str) -> Any:
    """The strategies, imported on first use: hypothesis is optional."""
    if name in STRATEGIES:
        try:
            strategies = importlib.import_module(".strategies", __name__)
        except ModuleNotFoundError as err:
            raise ImportError(
                f"autoencoder_np.testing.{name} needs hypothesis ({err}): pip install 'autoencoder_np[testing]'"
            ) from err
        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
