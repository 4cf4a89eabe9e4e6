"""Which kernel set a model runs: ``"textbook"`` (``autoencoder_np.textbook``) or ``"fast"`` (``autoencoder_np.fast``).

The two sets compute the same numbers (the tests prove each pair equal), so the choice changes speed, not
results. Choose per model or per fit call::

    model = ae.Autoencoder.from_sizes([10, 5], kernels="textbook")   # this model, from now on
    model.kernels = "textbook"                                        # the same, later
    model.fit(X, kernels="textbook")                                  # this fit only

A layer, model or loss nobody set runs :data:`DEFAULT`. A model's optimizer follows the model.
"""

from __future__ import annotations

from typing import Any

KERNELS = ("fast", "textbook")

#: The set a layer runs when nobody chooses. An assignment handout sets "textbook" here, so that the functions
#: a student writes are the ones that train.
DEFAULT = "fast"


def check(kernels: Any, where: str) -> str:
    """``kernels`` if it names a set, else a ValueError naming the sets."""
    if not isinstance(kernels, str) or kernels not in KERNELS:
        raise ValueError(f"{where}: kernels must be one of {list(KERNELS)}, got {kernels!r}")
    return kernels
