"""The checks one run of the command makes, each an :class:`Outcome`: built-in objects, or one target.

Each check runs through :func:`guarded`: an exception inside the checked code becomes one clear line
(``TypeError``), never a traceback; a model that fails is also checked layer by layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import activations, losses
from ..layers import Dense, Dropout, GaussianNoise
from ..model import Autoencoder, Sequential
from .checks import check_layer, check_loss, check_model, check_model_layers
from .report import GradCheckReport, LayerwiseReport
from .subjects import copy_as, named_leaves
from .targets import BATCH, DEFAULT_FEATURES, input_shape, is_loss, load_target, resolve


@dataclass
class Outcome:
    """One check of the run: its label, its kind ("layer", "loss", "model") and its report (or why skipped)."""

    label: str
    kind: str
    report: GradCheckReport | None
    layerwise: LayerwiseReport | None = None
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.report is None or self.report.passed

    def details(self) -> str:
        """The full report of the check (and its layer-by-layer check when it has one)."""
        parts = [f"== {self.label}", str(self.report) if self.report is not None else f"skipped: {self.skipped}"]
        if self.layerwise is not None:
            parts += ["", str(self.layerwise)]
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        if self.report is None:
            return {"label": self.label, "kind": self.kind, "skipped": self.skipped}
        result = {"label": self.label, "kind": self.kind, **self.report.to_dict()}
        if self.layerwise is not None:
            result["layerwise"] = self.layerwise.to_dict()
        return result


@dataclass
class Options:
    method: str
    eps: float | None
    rtol: float
    seed: int

    def kwargs(self) -> dict[str, Any]:
        return {"method": self.method, "eps": self.eps, "rtol": self.rtol, "seed": self.seed}


def guarded(label: str, check: Callable[[], Any]) -> Any:
    """Run a check; an exception inside the checked code becomes one clear line (exit 2), not a traceback."""
    try:
        return check()
    except (ValueError, TypeError):
        raise
    except Exception as err:  # user code may raise anything; the CLI reports it in one line
        frame = err.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        function = frame.tb_frame.f_code.co_name if frame is not None else "a method"
        if isinstance(err, NotImplementedError):
            raise TypeError(f"{label} breaks the layer protocol: {function} is not implemented") from err
        raise TypeError(f"{label}: the check stopped: {type(err).__name__} in {function}: {err}") from err


def _outcome(label: str, kind: str, layer: Any, x: np.ndarray, options: Options, check: Callable[[], Any]) -> Outcome:
    """Run ``check``; when it fails on a model, also the layer-by-layer check naming the first failing layer."""
    report = guarded(label, check)
    layerwise = None
    if not report.passed and len(named_leaves(layer)) > 1:
        layerwise = guarded(label, lambda: check_model_layers(layer, x, **options.kwargs()))
    return Outcome(label, kind, report, layerwise)


def check_layer_outcome(label: str, layer: Any, x: np.ndarray, options: Options, kind: str = "layer") -> Outcome:
    """The layer (or model, through a random upstream gradient) on input x."""
    return _outcome(label, kind, layer, x, options, lambda: check_layer(layer, x, **options.kwargs()))


def _mask(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    mask = (rng.random(shape) < 0.6).astype(np.float64)
    mask.flat[0] = 1.0  # at least one observed entry
    return mask


def check_loss_outcomes(label: str, loss: Any, shape: tuple[int, ...], options: Options) -> list[Outcome]:
    """The loss against a random target, without and with a random 0/1 mask (skipped if it takes none)."""
    rng = np.random.default_rng(options.seed)
    pred = rng.uniform(0.05, 0.95, shape)  # valid for probabilities (BCE) and logits alike
    target = rng.random(shape)
    mask = _mask(rng, shape)
    outcomes = [Outcome(label, "loss", guarded(label, lambda: check_loss(loss, pred, target, **options.kwargs())))]
    masked = f"{label} with mask"
    try:
        loss.forward(pred, target, mask)
    except (ValueError, TypeError) as err:
        return [*outcomes, Outcome(masked, "loss", None, skipped=str(err))]
    report = guarded(masked, lambda: check_loss(loss, pred, target, mask, **options.kwargs()))
    return [*outcomes, Outcome(masked, "loss", report)]


def _model_outcome(
    label: str, model: Any, loss: Any, x: np.ndarray, options: Options, *, masked: bool = False
) -> Outcome:
    """The model with its loss, end to end (with a random 0/1 mask when ``masked``)."""
    mask = _mask(np.random.default_rng(options.seed + 1), x.shape) if masked else None

    def check() -> GradCheckReport:
        return check_model(model, x, loss, mask=mask, **options.kwargs())

    return _outcome(label, "model", model, x, options, check)


def builtin_outcomes(options: Options, dtype: str, given_shape: list[int] | None) -> list[Outcome]:
    """Every built-in layer, activation and loss (with and without mask), and a small model of each kind."""
    seed = options.seed
    rng = np.random.default_rng(seed)
    shape = tuple(given_shape) if given_shape else (BATCH, DEFAULT_FEATURES)
    x = rng.uniform(-2.0, 2.0, shape)
    features = shape[-1]
    layers = [
        Dense(features, 3, rng=seed, dtype=dtype),
        Dropout(0.3, rng=seed),
        GaussianNoise(0.1, rng=seed),
        *(cls() for cls in dict.fromkeys(activations.ACTIVATIONS.values())),
    ]
    outcomes = [check_layer_outcome(repr(layer), layer, x, options) for layer in layers]
    for cls in losses.LOSSES.values():
        loss = cls()
        outcomes += check_loss_outcomes(repr(loss), loss, shape, options)
    data = rng.random((BATCH, 6))

    def auto(sizes: list[int], **kwargs: Any) -> Autoencoder:
        return Autoencoder.from_sizes(sizes, seed=seed, dtype=dtype, **kwargs)

    mlp = Sequential([Dense(6, 4, rng=seed, dtype=dtype), activations.Tanh(), Dense(4, 6, rng=seed + 1, dtype=dtype)])
    deep = auto([6, 4, 2], hidden_activation="tanh", output_activation="identity")
    autorec = auto([6, 3], hidden_activation="sigmoid", output_activation="identity")
    mult_dae = auto([6, 3], hidden_activation="tanh", output_activation="identity", input_dropout=0.5)
    models = [
        ("Sequential 6→4→6 tanh, MSE", mlp, losses.MSELoss(), False),
        ("Autoencoder 6→3 relu/sigmoid, MSE", auto([6, 3]), losses.MSELoss(), False),
        ("deep Autoencoder 6→4→2 tanh, BCE with logits", deep, losses.BCEWithLogitsLoss(), False),
        ("denoising Autoencoder (dropout + noise), BCE", auto([6, 3], input_dropout=0.3, input_noise=0.1),
         losses.BCELoss(), False),
        ("masked Autoencoder (AutoRec-like), MSE", autorec, losses.MSELoss(), True),
        ("Mult-DAE-like Autoencoder, multinomial", mult_dae, losses.MultinomialLoss(), False),
    ]  # fmt: skip
    outcomes += [_model_outcome(label, m, loss, data, options, masked=masked) for label, m, loss, masked in models]
    return outcomes


def target_outcomes(
    spec: str, options: Options, dtype: str, given_shape: list[int] | None
) -> tuple[list[Outcome], tuple[Any, np.ndarray] | None]:
    """The checks of one target, and (layer, x) for the eps sweep (None for a loss)."""
    return object_outcomes(load_target(spec), spec.rpartition(":")[2], options, dtype, given_shape)


def object_outcomes(
    obj: Any, name: str, options: Options, dtype: str = "float64", given_shape: list[int] | None = None
) -> tuple[list[Outcome], tuple[Any, np.ndarray] | None]:
    """The checks of a layer, layer class, zero-argument factory or loss called ``name``, and (layer, x)."""
    obj = resolve(obj, name)
    label = repr(obj) if repr(obj).startswith(type(obj).__name__) else f"{type(obj).__name__} ({obj!r})"
    shape = input_shape(obj, given_shape)
    if is_loss(obj):
        return check_loss_outcomes(label, obj, shape, options), None
    if dtype == "float32" and getattr(obj, "dtype", None) is not None:
        obj = copy_as(obj, np.float32)
    x = np.random.default_rng(options.seed).uniform(-2.0, 2.0, shape)
    kind = "model" if len(named_leaves(obj)) > 1 else "layer"
    return [check_layer_outcome(label, obj, x, options, kind)], (obj, x)
