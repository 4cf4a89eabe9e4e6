"""Models: Sequential and Autoencoder, each itself a layer, plus fit / evaluate / predict.

A model chains its children: forward runs them in order, backward in reverse (the chain rule)::

    x ─ layer 1 ─ h1 ─ layer 2 ─ … ─ y          y = f_k(… f_2(f_1(x)))          textbook.model_forward
    dL/dx ─ layer 1 ─ dL/dh1 ─ … ─ dL/dy        each backward turns dL/d(output)  textbook.model_backward
                                                into dL/d(input)

Its ``params`` / ``grads`` are its children's, named by path ("encoder.0.W"), and they are the very same
arrays: the gradient checker and the optimizers treat a whole model exactly like one Dense.

Flat buffers (``fast/flat.py``): building a model moves every parameter of its layers into one contiguous 1-D
buffer (and every gradient into another); each layer's ``params["W"]`` becomes a view of its slice, shaped as
before. Layers still read and write plain ``W`` and ``b``, in any style; before each optimizer step the model
copies what they wrote into its buffers (``model.flat.sync()``). Keep using ``layer.params[...]`` after
building the model: an array you took out of a layer before is no longer the layer's.

A model sets the flags of its layers: ``kernels`` (which kernel set they run), ``check_inputs``, ``training``
and ``input_grad``.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import activations, batches, textbook, training
from . import kernels as kernel_sets
from .fast.flat import FlatParameters
from .layers import Dense, Dropout, GaussianNoise, Layer
from .losses import Loss
from .optimizers import Optimizer
from .validation import as_array, check_float, check_int, overflow_as_error, require_layer


class ModelArrays(dict[str, np.ndarray]):
    """A model's parameters (or gradients) by name "path.key": the layers' own arrays, gathered when asked.

    ``model.params[name] = value`` copies ``value`` into the layer's array (the shapes must match). A name the
    model does not have is refused: parameters belong to layers, which create them in ``__init__``.
    """

    def __init__(self, owner: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        super().__init__(items)
        self.owner = owner

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in self:
            raise ValueError(
                f"{self.owner} has no {name!r} (it has {sorted(self)}); a model's parameters belong to its "
                "layers: create a new parameter in a layer's __init__, then build the model"
            )
        target = self[name]
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.owner}[{name!r}] has shape {target.shape}, got an array of shape {value.shape}")
        target[...] = value


class Container(Layer):
    """A layer made of named child layers run one after another. Base of Sequential and Autoencoder."""

    def __init__(self, children: dict[str, Any], kernels: str | None = None) -> None:
        # params and grads are properties here, so Layer.__init__ (which assigns them) is not called.
        where = type(self).__name__
        if not children:
            raise ValueError(f"{where}: needs at least one layer, got none")
        for child in children.values():
            require_layer(child, where)
        self.children = children
        self._in_order = tuple(children.values())  # what forward and backward walk, made once
        self.cache: dict[str, Any] = {}
        self.training = True
        self._input_grad = True
        self._check_inputs = True
        # None: the set the first child runs (so wrapping textbook layers keeps them textbook), else the default.
        first = next(iter(children.values()))
        self.kernels = getattr(first, "kernels", kernel_sets.DEFAULT) if kernels is None else kernels
        self.flat: FlatParameters | None = None
        self.optimizer: Optimizer | None = None  # set by fit, reused by the next fit (like Keras' compile)
        self.loss: Loss | None = None
        self._pack()

    # The layer protocol ----------------------------------------------------------------------------------

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: the first layer's input -> the last layer's output.  h ← layer.forward(h) for each layer."""
        return textbook.model_forward(self._in_order, x)

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """dL/dy -> dL/dx, through the layers in reverse order (the chain rule); fills every layer's grads.

        Returns None when ``input_grad`` is False: the walk stops at the first layer with parameters.
        """
        return textbook.model_backward(self._in_order, grad_y)

    @property
    def input_grad(self) -> bool:  # type: ignore[override]
        """Whether backward must return dL/dx. Setting False passes it on to the first child with parameters.

        The children before that one hold no parameters, so backward need not reach them; the children
        after it must still return their dL/dx, which the layers before them read.
        """
        return self._input_grad

    @input_grad.setter
    def input_grad(self, needed: bool) -> None:
        self._input_grad = bool(needed)
        first = next((child for child in self.children.values() if child.params), None)
        for child in self.children.values():
            child.input_grad = self._input_grad or child is not first

    @property
    def kernels(self) -> str:  # type: ignore[override]
        """The kernel set every layer of this model runs ("fast" or "textbook"); setting it sets theirs."""
        return self._kernels

    @kernels.setter
    def kernels(self, value: str) -> None:
        self._kernels = kernel_sets.check(value, f"{type(self).__name__}.kernels")
        for child in self.children.values():
            child.kernels = value

    @property
    def check_inputs(self) -> bool:  # type: ignore[override]
        """Whether the layers scan their inputs for NaN/inf (see ``Layer.check_inputs``); setting it sets theirs."""
        return self._check_inputs

    @check_inputs.setter
    def check_inputs(self, value: bool) -> None:
        self._check_inputs = bool(value)
        for child in self.children.values():
            child.check_inputs = self._check_inputs

    def _named_leaves(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(path, layer) for every non-container layer below this one, depth first, in order."""
        for name, child in self.children.items():
            if isinstance(child, Container):
                yield from child._named_leaves(f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}", child

    def _containers(self) -> Iterator[Container]:
        for child in self.children.values():
            if isinstance(child, Container):
                yield child
                yield from child._containers()

    def _gather(self, store: str) -> ModelArrays:
        """The leaves' ``params`` or ``grads`` in one dict named "path.key" (the very same arrays)."""
        return ModelArrays(
            f"{self!r}.{store}",
            [(f"{path}.{k}", v) for path, layer in self._named_leaves() for k, v in getattr(layer, store).items()],
        )

    @property
    def params(self) -> ModelArrays:  # type: ignore[override]
        """Every parameter below this model, named "path.key"; the same arrays the layers hold."""
        return self._gather("params")

    @property
    def grads(self) -> ModelArrays:  # type: ignore[override]
        """Every gradient below this model, named like ``params``."""
        return self._gather("grads")

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [
            (f"{path}.{k}", layer.params[k], layer.grads[k])
            for path, layer in self._named_leaves()
            for k in layer.params
        ]

    def aux_loss(self) -> float:
        if not self._aux_layers:  # most models: asked every step in fit, answer at once
            return 0.0
        return float(sum(layer.aux_loss() for layer in self._aux_layers))

    def train(self, mode: bool = True) -> Container:
        self.training = bool(mode)
        for child in self.children.values():
            if hasattr(child, "train"):
                child.train(mode)
            else:
                child.training = bool(mode)
        return self

    @property
    def dtype(self) -> np.dtype | None:
        return None if self.flat is None else self.flat.params.dtype

    @contextlib.contextmanager
    def inference(self) -> Iterator[None]:
        """Run the block in inference mode (no dropout or noise), then restore the previous mode."""
        was_training = self.training
        self.eval()
        try:
            yield
        finally:
            self.train(was_training)

    def __deepcopy__(self, memo: dict[int, Any]) -> Container:
        """A deep copy with its own flat buffers (a copied view no longer views the copied buffer)."""
        copied = copy.copy(self)
        memo[id(self)] = copied
        for key, value in self.__dict__.items():
            setattr(copied, key, copy.deepcopy(value, memo))
        copied._pack()
        return copied

    def _pack(self) -> None:
        """Move every parameter (and gradient) of the leaves into one flat buffer; see the module docstring."""
        where = type(self).__name__
        entries: list[tuple[str, Any, str]] = []  # (qualified name, owning layer, key)
        seen: set[int] = set()
        for path, layer in self._named_leaves():
            if id(layer) in seen:
                raise ValueError(f"{where}: layer {layer!r} appears twice; use a separate layer for each place")
            seen.add(id(layer))
            entries.extend((f"{path}.{k}", layer, k) for k in layer.params)
        # Only leaves that override aux_loss can add a term: the training loop asks these alone, every step.
        self._aux_layers = [
            layer
            for _, layer in self._named_leaves()
            if getattr(type(layer), "aux_loss", Layer.aux_loss) is not Layer.aux_loss
        ]
        dtypes = {layer.params[k].dtype for _, layer, k in entries}
        if len(dtypes) > 1:
            raise TypeError(f"{where}: all layers must share one dtype, got {sorted(map(str, dtypes))}")
        dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        self.flat = FlatParameters.pack(entries, dtype)
        for inner in self._containers():
            inner.flat = None  # their arrays now live in this model's buffer

    # Training and inference ------------------------------------------------------------------------------

    def _default_target(self, X: np.ndarray, where: str) -> np.ndarray:
        """The target when ``y`` is None: a plain model has none (an Autoencoder reconstructs X)."""
        raise ValueError(f"{where}: y is required for a {type(self).__name__} (only an Autoencoder defaults to y = X)")

    # The training loop lives in training.py; as methods, ``model.fit(X, ...)`` is ``training.fit(model, X, ...)``.
    fit = training.fit
    evaluate = training.evaluate

    def predict(self, X: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
        """X: (n, in_features), dense or sparse -> the model's output (n, out_features), in inference mode, batched."""
        with self.inference():
            return _batched_forward(self, X, batch_size, f"{type(self).__name__}.predict")


def _batched_forward(layer: Any, X: Any, batch_size: int, where: str) -> np.ndarray:
    """The forward pass of X in batches: X checked once here, so the layers skip their per-batch scans.

    A sparse X (CSR or ``scipy.sparse``) is densified one batch at a time.
    """
    dtype = layer.dtype or np.dtype(np.float64)
    X = batches.matrix(X, "X", where, dtype) if batches.is_sparse(X) else as_array(X, "X", where, ndim=2)
    batch_size = check_int(batch_size, "batch_size", where)
    with training.unchecked(layer), overflow_as_error(where):
        outputs = [layer.forward(batches.rows_of(X, i, i + batch_size)) for i in batches.starts(X.shape[0], batch_size)]
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


class Sequential(Container):
    """Layers run in order: y = f_k(… f_1(x)).  Itself a layer (params named "0.W", "0.b", "2.W", …).

    Args:
        layers: the layers, first to last.
        kernels: "fast" or "textbook" (see ``autoencoder_np.kernels``); None: what the first layer runs.
    """

    def __init__(self, layers: Sequence[Any], *, kernels: str | None = None) -> None:
        if not isinstance(layers, Iterable):
            raise TypeError(f"Sequential: layers must be a list of layers, got {type(layers).__name__}")
        self.layers = list(layers)
        super().__init__({str(i): layer for i, layer in enumerate(self.layers)}, kernels)

    def __repr__(self) -> str:
        return f"Sequential([{', '.join(map(repr, self.layers))}])"

    def get_config(self) -> dict[str, Any]:
        return {"layers": [{"class": type(layer).__name__, "config": layer.get_config()} for layer in self.layers]}


class Autoencoder(Container):
    """An encoder and a decoder: code h = encoder(x), reconstruction x̂ = decoder(h).

    Itself a layer whose forward is x ↦ x̂ (params named "encoder.0.W", "decoder.0.W", …). ``fit(X)``
    with no ``y`` trains it to reconstruct X. Put a :class:`~autoencoder_np.layers.Dropout` or
    :class:`~autoencoder_np.layers.GaussianNoise` first in the encoder for a denoising autoencoder: it
    corrupts the input in training only, while the target stays the clean X.

    Args:
        encoder: a layer (often a Sequential) mapping x: (batch, n_features) to h: (batch, code_size).
        decoder: a layer mapping h back to x̂: (batch, n_features).
        kernels: "fast" or "textbook" (see ``autoencoder_np.kernels``); None: what the encoder runs.
    """

    def __init__(self, encoder: Any, decoder: Any, *, kernels: str | None = None) -> None:
        self.encoder = encoder
        self.decoder = decoder
        super().__init__({"encoder": encoder, "decoder": decoder}, kernels)

    def __repr__(self) -> str:
        return f"Autoencoder(encoder={self.encoder!r}, decoder={self.decoder!r})"

    def get_config(self) -> dict[str, Any]:
        return {
            "encoder": {"class": type(self.encoder).__name__, "config": self.encoder.get_config()},
            "decoder": {"class": type(self.decoder).__name__, "config": self.decoder.get_config()},
        }

    @classmethod
    def from_sizes(
        cls,
        sizes: Sequence[int],
        *,
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        init: str = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        input_dropout: float = 0.0,
        input_noise: float = 0.0,
        kernels: str | None = None,
    ) -> Autoencoder:
        """A symmetric deep autoencoder: sizes [n, h1, …, code] give n→h1→…→code→…→h1→n.

        Every Dense but the last is followed by ``hidden_activation`` (the code layer included); the last by
        ``output_activation``. ``input_dropout`` (a rate) and ``input_noise`` (a Gaussian σ) corrupt the
        input in training, which makes it a denoising autoencoder. ``seed`` fixes weights and noise.
        ``kernels``: "fast" (the default) or "textbook" (see ``autoencoder_np.kernels``).

        ``from_sizes([10, 5])`` is the founding example: Dense(10→5)+ReLU, then Dense(5→10)+Sigmoid.
        """
        where = "Autoencoder.from_sizes"
        if isinstance(sizes, str) or not isinstance(sizes, Iterable):
            raise TypeError(f"{where}: sizes must be a list of layer sizes, got {type(sizes).__name__}")
        sizes = [check_int(s, "sizes[i]", where) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"{where}: sizes needs at least [n_features, code_size], got {sizes}")
        check_float(input_dropout, "input_dropout", where, low=0.0, high=1.0, high_open=True)
        check_float(input_noise, "input_noise", where, low=0.0)
        rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
        encoder: list[Any] = []
        if input_dropout:
            encoder.append(Dropout(input_dropout, rng=rng))
        if input_noise:
            encoder.append(GaussianNoise(input_noise, rng=rng))
        for a, b in itertools.pairwise(sizes):
            encoder += [Dense(a, b, init=init, rng=rng, dtype=dtype), activations.get(hidden_activation)]
        decoder: list[Any] = []
        backwards = sizes[::-1]
        for i, (a, b) in enumerate(itertools.pairwise(backwards)):
            last = i == len(backwards) - 2
            act = output_activation if last else hidden_activation
            decoder += [Dense(a, b, init=init, rng=rng, dtype=dtype), activations.get(act)]
        return cls(Sequential(encoder), Sequential(decoder), kernels=kernels)

    def _default_target(self, X: np.ndarray, where: str) -> np.ndarray:
        return X

    def encode(self, X: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
        """X: (n, n_features) -> codes h: (n, code_size), in inference mode."""
        with self.inference():
            return _batched_forward(self.encoder, X, batch_size, "Autoencoder.encode")

    def decode(self, H: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
        """H: (n, code_size) -> reconstructions x̂: (n, n_features), in inference mode."""
        with self.inference():
            return _batched_forward(self.decoder, H, batch_size, "Autoencoder.decode")

    def reconstruct(self, X: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
        """X: (n, n_features) -> x̂ = decoder(encoder(X)): (n, n_features), in inference mode."""
        with self.inference():
            return _batched_forward(self, X, batch_size, "Autoencoder.reconstruct")
