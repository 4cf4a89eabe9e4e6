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

In training nobody reads dL/dx of a model's input (the data), and for a first Dense layer it is the costliest
product of its backward. ``input_grad = False`` tells a layer so; a model passes it on to its first layer
with parameters (see ``Container.input_grad``) and stops its backward there. A layer that does not know
the flag simply returns dL/dx as always.

``params`` and ``grads`` are :class:`ParamDict`: assigning to an existing key copies into the array that is
already there. A model keeps all its parameters in one flat buffer (see ``model.py``), so writing
``self.grads["W"] = x.T @ grad_y`` updates the model's buffer instead of replacing the array.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import init as initializers
from .validation import as_array, check_dtype, check_float, check_int, overflow_guard


class ParamDict(dict[str, np.ndarray]):
    """A dict of named arrays whose existing entries are overwritten in place.

    ``d[key] = value`` on a key that exists copies ``value`` into the stored array (shape checked), so
    every view of that array (a model's flat buffer, an optimizer) sees the new values. New keys are
    stored as given. :meth:`rebind` replaces the stored array itself (used when packing a model).
    """

    def __init__(self, label: str, items: Iterable[tuple[str, np.ndarray]] = ()) -> None:
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
        """Replace the array stored under ``key`` (not a copy): used to move parameters into a buffer."""
        super().__setitem__(key, array)


class Layer:
    """Base class of every layer: parameters, gradients, a visible cache, and a training flag.

    Subclasses implement ``forward`` and ``backward``. Class attribute ``kinks`` lists the input values at
    which ``forward`` is not differentiable (ReLU: ``(0.0,)``); such layers keep their input as
    ``cache["x"]`` so the gradient checker can tell a kink from a wrong formula.
    """

    kinks: tuple[float, ...] = ()

    def __init__(self) -> None:
        self.params = ParamDict(f"{self!r}.params")
        self.grads = ParamDict(f"{self!r}.grads")
        self.cache: dict[str, np.ndarray] = {}
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

    def save(self, path: str | Path) -> Path:
        """Save to one .npz file: architecture, parameters, noise state, and a model's optimizer and loss.

        ``autoencoder_np.load(path)`` gives it back exactly; see :mod:`autoencoder_np.serialize`.
        """
        from . import serialize  # serialize builds models, so it imports this module: import it late

        return serialize.save(self, path)

    # Helpers for subclasses -------------------------------------------------------------------------------

    def _cached(self, key: str) -> np.ndarray:
        """``self.cache[key]``, or a clear error when backward comes before forward."""
        try:
            return self.cache[key]
        except KeyError:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)") from None

    def _elementwise_input(self, x: Any) -> np.ndarray:
        """Validate the x of a shape-preserving layer and cache it as ``cache["x"]``.

        Complex x is accepted, as a complex128 Dense accepts it: the complex-step gradient check runs
        whole models in complex128 (see ``validation.LAYER_DTYPES``).
        """
        complex_dtype = np.dtype(np.complex128) if isinstance(x, np.ndarray) and x.dtype.kind == "c" else None
        x = as_array(x, "x", (self, "forward"), dtype=complex_dtype)
        self.cache["x"] = x
        return x

    def _elementwise_grad(self, grad_y: Any) -> np.ndarray:
        """Validate the grad_y of a shape-preserving layer against the cached x."""
        x = self._cached("x")
        return self._grad_input(grad_y, x.shape, x.dtype)

    def _grad_input(self, grad_y: Any, expected_shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Validate ``grad_y``: numeric, finite, the shape of the last forward's output."""
        grad_y = as_array(grad_y, "grad_y", (self, "backward"), dtype=dtype)
        if grad_y.shape != expected_shape:
            raise ValueError(
                f"{self!r}.backward: grad_y has shape {grad_y.shape}, expected {expected_shape} "
                "(the shape of the last forward's output)"
            )
        return grad_y


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones, kept for reuse: 1ᵀ·g sums g over its first axis."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


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
        self.grads = ParamDict(f"{self!r}.grads", [(k, np.zeros_like(v)) for k, v in self.params.items()])

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

    @overflow_guard
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, in_features) -> y: (batch, out_features).

        y = x W + b      (b broadcasts over the batch)
        Cache: x, which backward needs for dL/dW.
        """
        W = self.params["W"]
        x = as_array(x, "x", (self, "forward"), ndim=2, dtype=W.dtype)
        if x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}.forward: x has {x.shape[1]} features, expected {self.in_features}")
        self.cache["x"] = x
        # BEGIN SOLUTION dense.forward
        # HINT: one matrix product and a bias that broadcasts over the batch: y = x W + b.
        y = x @ W
        y += self.params["b"]  # in place: y = x W + b without a second (batch, out) array
        return y
        # END SOLUTION

    @overflow_guard
    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: (batch, out_features) = dL/dy -> dL/dx: (batch, in_features), or None if not ``input_grad``.

        dL/dW = xᵀ · dL/dy            (in, batch)·(batch, out) -> (in, out)
        dL/db = Σ_batch dL/dy         sum over axis 0 -> (out,)
        dL/dx = dL/dy · Wᵀ            (batch, out)·(out, in) -> (batch, in)
        """
        x = self._cached("x")
        W = self.params["W"]
        grad_y = self._grad_input(grad_y, (x.shape[0], self.out_features), W.dtype)
        # BEGIN SOLUTION dense.backward
        # HINT: dL/dW = xᵀ·dL/dy, dL/db = sum of dL/dy over the batch axis, dL/dx = dL/dy·Wᵀ.
        # ``out=`` writes straight into the gradient buffers; same as self.grads["W"] = x.T @ grad_y.
        np.matmul(x.T, grad_y, out=self.grads["W"])
        # dL/db = 1ᵀ·dL/dy: the sum over the batch as a vector-matrix product. Same as
        # grad_y.sum(axis=0), which NumPy runs 1.4–3× slower than BLAS at every size the benchmarks train.
        np.matmul(_ones(x.shape[0], W.dtype), grad_y, out=self.grads["b"])
        if not self.input_grad:
            return None  # nobody reads dL/dx (a model's first layer in fit): skip a third of the work
        return grad_y @ W.T
        # END SOLUTION


class _Noise(Layer):
    """Shared base of the layers that perturb their input in training mode only (denoising)."""

    def __init__(self, rng: np.random.Generator | int | None) -> None:
        super().__init__()
        self.rng = initializers.as_generator(rng)


class Dropout(_Noise):
    """Inverted dropout: in training, y = x ⊙ m / (1 − rate) with m_ij ~ Bernoulli(1 − rate); else y = x.

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

    @overflow_guard
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, ...) -> y: same shape.  Cache: x, and the 0/1 mask m as booleans (None at inference)."""
        x = self._elementwise_input(x)
        if not self.training or self.rate == 0.0:
            self.cache["mask"] = None
            return x
        keep = self._draw_keep(x.shape)
        self.cache["mask"] = keep
        return self._apply(x, keep)

    @overflow_guard
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ m / (1 − rate)  (training);  dL/dx = dL/dy  (inference)."""
        grad_y = self._elementwise_grad(grad_y)
        mask = self.cache["mask"]
        return grad_y if mask is None else self._apply(grad_y, mask)

    def _draw_keep(self, shape: tuple[int, ...]) -> np.ndarray:
        """m: booleans of ``shape``, each True with probability 1 − rate, independently.

        When 256·rate is a whole number (0.5, 0.25, …) one random byte per entry decides exactly:
        P(byte ≥ 256·rate) = 1 − rate. That is about 3× faster than a float32 uniform per entry, which every
        other rate uses (half the cost of a float64 one; it resolves the rate to 2⁻²⁴).
        """
        threshold = 256 * self.rate
        if threshold.is_integer():  # compared as an int: a float threshold would cast every byte to float64
            return np.frombuffer(self.rng.bytes(math.prod(shape)), np.uint8).reshape(shape) >= int(threshold)
        return self.rng.random(shape, dtype=np.float32) >= self.rate

    def _apply(self, a: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """a ⊙ m / (1 − rate), in place on one new array."""
        out = np.multiply(a, keep)
        out *= 1.0 / (1.0 - self.rate)
        return out


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

    @overflow_guard
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, ...) -> y: same shape."""
        x = self._elementwise_input(x)
        if not self.training or self.std == 0.0:
            return x
        noise = self.rng.standard_normal(x.shape).astype(x.dtype, copy=False)
        return x + self.std * noise

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy (the noise does not depend on x)."""
        return self._elementwise_grad(grad_y)
