"""The layer protocol, and the layers that hold parameters or noise: Dense, Dropout, GaussianNoise.

The protocol (everything else in the library, the gradient checker included, relies only on this)::

    layer.params : dict[str, ndarray]    e.g. {"W": (in, out), "b": (out,)}; {} for activations
    layer.grads  : dict[str, ndarray]    same keys and shapes, written by backward
    layer.cache  : dict[str, ndarray]    what forward kept for backward, visible to the reader
    layer.forward(x)       -> y          stores in ``cache`` what backward needs
    layer.backward(grad_y) -> grad_x     overwrites ``grads`` (never accumulates); returns dL/dx
    layer.input_grad : bool              True by default; False says nobody reads dL/dx, so backward may
                                         skip it and return None (``fit`` sets it on a model's first layer)

``grad_y`` is dL/dy, the gradient of the scalar loss L with respect to this layer's output, so backward is
one step of the chain rule: it turns dL/dy into dL/dx (returned) and dL/dθ for every parameter θ (stored).
Write ``grads`` in any usual style: ``self.grads["W"] = x.T @ grad_y`` (a :class:`ParamDict` copies it into the
array already there), ``self.grads = {"W": …, "b": …}``, or in place. A model copies whatever you wrote into
its flat buffer before each step (see ``fast/flat.py``).

Each method here has three parts, in this order: the boundary checks (``_input``, ``_grad_input``: a wrong
argument gets a clear error), the equation, which is a call of one kernel (``autoencoder_np.textbook``, or its
twin in ``autoencoder_np.fast``, as ``self.kernels`` says), and what the cache keeps. The kernels hold the math.

Two more flags a model's ``fit`` sets for its loop and restores after it:

- ``check_inputs`` (True): scan inputs for NaN/inf and turn an overflow into a ValueError naming the layer.
  ``fit`` has checked the whole data once and reports an overflow as ``TrainingDiverged`` instead.
- ``input_grad`` (above).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from . import fast, textbook
from . import init as initializers
from . import kernels as kernel_sets
from .validation import as_array, check_dtype, check_float, check_int, overflow_as_error


class ParamDict(dict[str, np.ndarray]):
    """The dict of a layer's ``params`` or ``grads``: assigning to an existing key copies into the stored array.

    ``d[key] = value`` on a key that exists copies ``value`` into the array already there (shape checked, dtype
    kept), so every view of that array (a model's flat buffer) sees the new values at once and a wrong shape is
    an error right where it is written. New keys are stored as given. A plain dict works too: a model copies
    what its layers wrote into its buffers before each step (``fast/flat.py``).
    """

    def __init__(self, label: str, items: Any = ()) -> None:
        super().__init__(items)
        self.label = label

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            super().__setitem__(key, value)
            return
        target = self[key]
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.label}[{key!r}] has shape {target.shape}, got an array of shape {value.shape}")
        target[...] = value

    def rebind(self, key: str, array: np.ndarray) -> None:
        """Replace the array stored under ``key`` itself (not a copy into it), e.g. with one of another dtype."""
        super().__setitem__(key, array)


class Layer:
    """Base class of every layer: parameters, gradients, a visible cache, and the flags a model sets.

    Subclasses implement ``forward`` and ``backward``. Class attribute ``kinks`` lists the input values at
    which ``forward`` is not differentiable (ReLU: ``(0.0,)``); such layers keep their input as
    ``cache["x"]`` so the gradient checker can tell a kink from a wrong formula.
    """

    kinks: tuple[float, ...] = ()
    #: The kernel set this layer runs: "fast" or "textbook" (see ``autoencoder_np.kernels``).
    kernels: str = kernel_sets.DEFAULT
    #: Scan inputs for NaN/inf and report an overflow as a ValueError; fit turns it off for its loop.
    check_inputs: bool = True

    def __init__(self) -> None:
        self.params = ParamDict(f"{self!r}.params")
        self.grads = ParamDict(f"{self!r}.grads")
        self.cache: dict[str, Any] = {}
        self.training = True
        self.input_grad = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, ...) -> y: (batch, ...). Stores in ``self.cache`` what backward needs."""
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """grad_y = dL/dy -> dL/dx (or None when ``input_grad`` is False). Overwrites ``self.grads``."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, parameter, gradient) triples, in a stable order; what optimizers walk."""
        return [(name, self.params[name], self.grads[name]) for name in self.params]

    def aux_loss(self) -> float:
        """A loss term the layer adds itself (e.g. a KL penalty), set by the last forward; 0 by default.

        A layer that adds one also adds its gradient inside ``backward``.
        """
        return 0.0

    def train(self, mode: bool = True) -> Layer:
        """Switch training behaviour (dropout, noise) on or off; returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to inference behaviour: dropout and noise layers pass their input through."""
        return self.train(False)

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the parameters, or None for a layer without parameters."""
        for value in self.params.values():
            return value.dtype
        return None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-able values (for saving and for ``repr``)."""
        return {}

    def __repr__(self) -> str:
        config = self.get_config()
        if not config:  # most activations: error messages name the layer on every call, keep it cheap
            return f"{type(self).__name__}()"
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({args})"

    def save(self, path: Any) -> Any:
        """Deprecated: use ``autoencoder_np.save(layer, path)``, which this calls."""
        from .serialize import deprecated_save  # the file format is not part of the layer classes

        return deprecated_save(self, path)

    # Boundary checks for subclasses ------------------------------------------------------------------------

    def _cached(self, key: str) -> Any:
        """``self.cache[key]``, or a clear error when backward comes before forward."""
        try:
            return self.cache[key]
        except KeyError:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)") from None

    def _input(self, x: Any, *, ndim: int | None = None, dtype: np.dtype | None = None) -> np.ndarray:
        """``x`` checked at forward's boundary: numeric, not empty, the right ndim, finite (while check_inputs)."""
        return as_array(x, "x", (self, "forward"), ndim=ndim, dtype=dtype, finite=self.check_inputs)

    def _elementwise_input(self, x: Any) -> np.ndarray:
        """Check the x of a shape-preserving layer (complex allowed for the complex-step check); caches x.

        Complex x is accepted, as a complex128 Dense accepts it: the complex-step gradient check runs
        whole models in complex128 (see ``validation.LAYER_DTYPES``).
        """
        complex_dtype = np.dtype(np.complex128) if isinstance(x, np.ndarray) and x.dtype.kind == "c" else None
        x = self._input(x, dtype=complex_dtype)
        self.cache = {"x": x}
        return x

    def _elementwise_grad(self, grad_y: Any) -> np.ndarray:
        """Check the grad_y of a shape-preserving layer against the cached x."""
        x = self._cached("x")
        return self._grad_input(grad_y, x.shape, x.dtype)

    def _grad_input(self, grad_y: Any, expected_shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """``grad_y`` checked at backward's boundary: numeric, finite (while check_inputs), forward's output shape."""
        grad_y = as_array(grad_y, "grad_y", (self, "backward"), dtype=dtype, finite=self.check_inputs)
        if grad_y.shape != expected_shape:
            raise ValueError(
                f"{self!r}.backward: grad_y has shape {grad_y.shape}, expected {expected_shape} "
                "(the shape of the last forward's output)"
            )
        return grad_y

    def _guard(self, method: str) -> contextlib.AbstractContextManager[None]:
        """Around a kernel call: an overflow becomes a ValueError naming ``layer.method`` (while check_inputs).

        Inside ``fit`` NumPy raises on overflow and ``fit`` reports it as ``TrainingDiverged``.
        """
        return overflow_as_error((self, method)) if self.check_inputs else _UNGUARDED

    def _textbook(self) -> bool:
        """Whether this layer runs the textbook kernels (else the fast ones)."""
        return self.kernels == "textbook"


_UNGUARDED = contextlib.nullcontext()


class Dense(Layer):
    """Fully connected layer: y = x W + b.

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        init: initializer name (see ``autoencoder_np.init``) or callable ``(shape, rng, dtype) -> array``
            for W; b starts at zero.
        rng: ``np.random.Generator``, int seed, or None (fresh entropy).
        dtype: float64 (default) or float32; x is cast to it.

    Parameters: ``W: (in_features, out_features)``, ``b: (out_features,)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: str | initializers.Initializer = "glorot_uniform",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        self.in_features = check_int(in_features, "in_features", "Dense")
        self.out_features = check_int(out_features, "out_features", "Dense")
        self.init = init
        dt = check_dtype(dtype, "Dense")
        super().__init__()
        W = initializers.get(init)((self.in_features, self.out_features), initializers.as_generator(rng), dt)
        self.params = ParamDict(f"{self!r}.params", [("W", W), ("b", np.zeros(self.out_features, dt))])
        self.grads = ParamDict(f"{self!r}.grads", [("W", np.zeros_like(W)), ("b", np.zeros(self.out_features, dt))])

    def __repr__(self) -> str:
        return f"Dense({self.in_features}→{self.out_features})"

    def get_config(self) -> dict[str, Any]:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "custom")
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "init": init,
            "dtype": str(self.params["W"].dtype),
        }

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, in_features) -> y: (batch, out_features).

        y = x W + b      (b broadcasts over the batch)               textbook.dense_forward
        Cache: x and W, which backward needs for dL/dW and dL/dx.
        """
        W, b = self.params["W"], self.params["b"]
        x = self._features(x)
        with self._guard("forward"):
            if self._textbook():
                y, self.cache = textbook.dense_forward(x, W, b)
            else:
                y, self.cache = fast.dense_forward(x, W, b)
        return y

    def _features(self, x: Any) -> np.ndarray:
        """``x`` checked at forward's boundary: 2-D of W's dtype with ``in_features`` columns."""
        x = self._input(x, ndim=2, dtype=self.params["W"].dtype)
        if x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}.forward: x has {x.shape[1]} features, expected {self.in_features}")
        return x

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: (batch, out_features) = dL/dy -> dL/dx: (batch, in_features), or None if not ``input_grad``.

        dL/dx = dL/dy · Wᵀ            (batch, out)·(out, in) -> (batch, in)      textbook.dense_backward
        dL/dW = xᵀ · dL/dy            (in, batch)·(batch, out) -> (in, out)
        dL/db = Σ_batch dL/dy         sum over axis 0 -> (out,)
        dL/dW and dL/db overwrite ``grads["W"]`` and ``grads["b"]``.
        """
        x = self._cached("x")
        grad_y = self._grad_input(grad_y, (x.shape[0], self.out_features), x.dtype)
        with self._guard("backward"):
            if self._textbook():
                grad_x, self.grads["W"], self.grads["b"] = textbook.dense_backward(grad_y, self.cache)
                return grad_x
            return fast.dense_backward(grad_y, self.cache, self.grads["W"], self.grads["b"], self.input_grad)


class _Noise(Layer):
    """Shared base of the layers that perturb their input in training mode only (denoising)."""

    def __init__(self, rng: np.random.Generator | int | None) -> None:
        super().__init__()
        self.rng = initializers.as_generator(rng)


class Dropout(_Noise):
    """Inverted dropout: in training, y = x ⊙ k / (1 − rate) with k_ij ~ Bernoulli(1 − rate); else y = x.

    Dividing by (1 − rate) keeps E[y] = x, so nothing needs rescaling at inference. Used on the input it
    is the "masking noise" of a denoising autoencoder (and the input dropout of Mult-DAE).

    Args:
        rate: probability of dropping each entry, in [0, 1).
        rng: ``np.random.Generator``, int seed, or None.
    """

    def __init__(self, rate: float, *, rng: np.random.Generator | int | None = None) -> None:
        self.rate = check_float(rate, "rate", "Dropout", low=0.0, high=1.0, high_open=True)
        super().__init__(rng)

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, ...) -> y: same shape.     y = x ⊙ k / (1 − rate)        textbook.dropout_forward

        Cache: x, and the keep mask k as booleans (None at inference, where y = x).
        """
        x = self._elementwise_input(x)
        if not self.training or self.rate == 0.0:
            self.cache["keep"] = None
            return x
        keep = self.draw_keep(x.shape)
        with self._guard("forward"):
            if self._textbook():
                y, cache = textbook.dropout_forward(x, keep, self.rate)
            else:
                y, cache = fast.dropout_forward(x, keep, self.rate)
        self.cache.update(cache)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ k / (1 − rate)  (training);  dL/dx = dL/dy  (inference).   textbook.dropout_backward"""
        grad_y = self._elementwise_grad(grad_y)
        if self.cache["keep"] is None:
            return grad_y
        with self._guard("backward"):
            if self._textbook():
                return textbook.dropout_backward(grad_y, self.cache)
            return fast.dropout_backward(grad_y, self.cache)

    def draw_keep(self, shape: tuple[int, ...]) -> np.ndarray:
        """k: booleans of ``shape``, each True with probability 1 − rate, independently, from ``self.rng``.

        When 256·rate is a whole number (0.5, 0.25, …) one random byte per entry decides exactly:
        P(byte ≥ 256·rate) = 1 − rate. That is about 3× faster than a float32 uniform per entry, which every
        other rate uses (half the cost of a float64 one; it resolves the rate to 2⁻²⁴).
        """
        threshold = 256 * self.rate
        if threshold.is_integer():  # compared as an int: a float threshold would cast every byte to float64
            return np.frombuffer(self.rng.bytes(math.prod(shape)), np.uint8).reshape(shape) >= int(threshold)
        return self.rng.random(shape, dtype=np.float32) >= self.rate


class GaussianNoise(_Noise):
    """Additive noise: in training, y = x + σ·ε with ε ~ N(0, 1); else y = x.  dL/dx = dL/dy.

    Args:
        std: σ ≥ 0.
        rng: ``np.random.Generator``, int seed, or None.
    """

    def __init__(self, std: float, *, rng: np.random.Generator | int | None = None) -> None:
        self.std = check_float(std, "std", "GaussianNoise", low=0.0)
        super().__init__(rng)

    def get_config(self) -> dict[str, Any]:
        return {"std": self.std}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, ...) -> y = x + σ·ε: same shape (y = x at inference).  Cache: x."""
        x = self._elementwise_input(x)
        if not self.training or self.std == 0.0:
            return x
        noise = self.rng.standard_normal(x.shape).astype(x.dtype, copy=False)
        with self._guard("forward"):
            return x + self.std * noise

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy (the noise does not depend on x)."""
        return self._elementwise_grad(grad_y)
