"""The textbook kernels: every equation of the library, once, in the plainest NumPy that is still correct.

Pure functions in the style of CS231n's ``layers.py``: a forward returns its output and a cache, the matching
backward takes dL/d(output) and that cache and returns the gradient of each input. No input checks, no
scratch buffers, no in-place tricks: each line maps to a line of the docstring's equation. The classes
(``Dense``, ``Sigmoid``, ``MSELoss``, ``Adam``, …) run these when a model is built or fit with
``kernels="textbook"``; by default they run the fast set (``autoencoder_np.fast``), which gives the same
numbers and names the textbook function it equals. The functions a student writes in an assignment are
marked ``# BEGIN SOLUTION <id>`` here.

=====================================  ======================================  ==============================
equation                               textbook                                module
=====================================  ======================================  ==============================
y = x W + b, and its three gradients   dense_forward, dense_backward           dense
ReLU, LeakyReLU, σ, tanh, dropout      <name>_forward, <name>_backward         activations
stable σ, log Σ e^z, softmax           sigmoid, log_sum_exp, softmax, …        stable
masked mean of ℓ, and its gradient     masked_mean, masked_mean_backward       losses
MSE, BCE, BCE on logits: ℓ and ℓ′      mse, mse_derivative, bce, …             losses
softmax log-likelihood                 multinomial_forward, …_backward         losses
a model: layers in order; the chain     model_forward, model_backward           model
SGD (momentum, Nesterov), Adam(W)      sgd_step, adam_step                     optimizers
one step; the epoch loop               train_step, fit                         training
=====================================  ======================================  ==============================
"""

import importlib
from typing import Any

#: Where each function lives. They are imported when first used, so that in an assignment handout a syntax
#: error in one file stops only the functions of that file (the grader counts on it).
_HOMES = {
    "adam_step": "optimizers",
    "bce": "losses",
    "bce_derivative": "losses",
    "bce_with_logits": "losses",
    "bce_with_logits_derivative": "losses",
    "clip_probability": "losses",
    "dense_backward": "dense",
    "dense_forward": "dense",
    "dropout_backward": "activations",
    "dropout_forward": "activations",
    "fit": "training",
    "leaky_relu_backward": "activations",
    "leaky_relu_forward": "activations",
    "log_softmax": "stable",
    "log_sum_exp": "stable",
    "masked_mean": "losses",
    "masked_mean_backward": "losses",
    "model_backward": "model",
    "model_forward": "model",
    "mse": "losses",
    "mse_derivative": "losses",
    "multinomial_backward": "losses",
    "multinomial_forward": "losses",
    "relu_backward": "activations",
    "relu_forward": "activations",
    "sgd_step": "optimizers",
    "sigmoid": "stable",
    "sigmoid_backward": "activations",
    "sigmoid_forward": "activations",
    "softmax": "stable",
    "tanh_backward": "activations",
    "tanh_forward": "activations",
    "train_step": "training",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    function = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = function  # the next lookup is an ordinary attribute
    return function


__all__ = [
    "adam_step",
    "bce",
    "bce_derivative",
    "bce_with_logits",
    "bce_with_logits_derivative",
    "clip_probability",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "fit",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "log_softmax",
    "log_sum_exp",
    "masked_mean",
    "masked_mean_backward",
    "model_backward",
    "model_forward",
    "mse",
    "mse_derivative",
    "multinomial_backward",
    "multinomial_forward",
    "relu_backward",
    "relu_forward",
    "sgd_step",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax",
    "tanh_backward",
    "tanh_forward",
    "train_step",
]
