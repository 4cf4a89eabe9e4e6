"""The grader's checks, one module per part; ``protocol`` says what a check is and where each piece runs.

- ``dense``: y = x W + b and dL/dW, dL/db, dL/dx;  ``activations``: ReLU, LeakyReLU, Sigmoid, Tanh backward;
- ``losses``: ℓ and ℓ′ of MSE, BCE, BCE-with-logits;  ``masked_loss``: the masked mean and its gradient;
- ``autoencoder``: a model's backward walk (and the grader's own layers);  ``adam``: the Adam update;
- ``judging``: comparing values and gradients, with the diagnosis of a wrong gradient.

The expected values live in ``assignments/reference.py``, which a student handout does not carry.
"""

from __future__ import annotations

from . import activations, adam, autoencoder, dense, losses, masked_loss
from .protocol import Check

PART_MODULES = (dense, activations, losses, masked_loss, autoencoder, adam)

#: function id -> its check
CHECKS: dict[str, Check] = {check.function: check for module in PART_MODULES for check in module.CHECKS}

#: Hint codes beyond the gradient checker's (``diagnosis.HINT_CODES``).
HINT_CODES: dict[str, str] = {
    "accumulates": "backward adds to grads instead of overwriting them",
    "in_place": "an array changed in place that must not (grad_y), or not changed in place that must (p, m, v)",
    "bias": "the bias b is missing from y = x W + b",
    "dtype": "a float32 layer returned float64",
    "kink": "the derivative at the kink x = 0 differs from the docstring's convention",
    "not_finite": "NaN or inf where the exact value is finite (overflow, log 0, division by 0)",
    "mask": "the mask is ignored",
    "bias_correction": "Adam's bias correction is missing or uses β instead of β^t",
    "eps": "Adam's ε is inside the square root",
    "state": "Adam's m and v do not carry over between steps",
    "weight_decay": "the weight decay is missing or of the wrong kind",
    "input_grad": "a model's backward walks on past the layer that returned None (input_grad False)",
}
