"""A model is its layers run one after another; its backward is the chain rule, walked in reverse.

    forward:    h_0 = x,   h_k = f_k(h_(k−1)),   y = h_K
    backward:   dL/dh_(k−1) = layer_k.backward(dL/dh_k),   from k = K down to 1

Each layer's backward turns the gradient of its output into the gradient of its input (and fills its own
``grads`` on the way), so the model's backward only has to pass each result on to the layer before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def model_forward(layers: Sequence[Any], x: np.ndarray) -> np.ndarray:
    """layers: first to last, x: the first layer's input -> the last layer's output."""
    h = x
    for layer in layers:
        h = layer.forward(h)
    return h


def model_backward(layers: Sequence[Any], grad_y: np.ndarray) -> np.ndarray | None:
    """layers: first to last, grad_y = dL/dy of the last layer's output -> dL/dx of the first layer's input.

    A layer told that nobody reads its dL/dx (``input_grad`` False: a model's first layer in ``fit``) may
    return None; then nothing flows further back and the walk stops there.
    """
    # BEGIN SOLUTION model.backward
    # HINT: walk the layers from last to first, feeding each backward the gradient the next one returned;
    # HINT: stop when one returns None (input_grad False: a Dropout before the first Dense cannot take None).
    grad = grad_y
    for layer in reversed(layers):
        grad = layer.backward(grad)
        if grad is None:
            break
    return grad
    # END SOLUTION
