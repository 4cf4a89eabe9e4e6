"""``python -m autoencoder_np gradcheck [TARGET]``: check backward passes and explain what is wrong.

Without a target: every built-in layer, activation, loss (with and without a mask) and a small model of
each kind, in one table. With a target ``path/to/file.py:NAME`` or ``package.module:NAME``, where NAME is a
layer instance, a layer class with a zero-argument constructor, a zero-argument factory or a loss: that
object, with the full report and its hints (a model that fails is then checked layer by layer).

Exit status: 0 every check passes, 1 a check fails, 2 the target cannot be loaded or breaks the layer
protocol (one line on stderr, through ``cli.main``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import activations, gradcheck, losses
from .gradcheck import METHODS, GradCheckReport, LayerwiseReport
from .layers import Dense, Dropout, GaussianNoise
from .model import Autoencoder, Sequential
from .validation import check_int

JSON_SCHEMA = "autoencoder_np.gradcheck/1"
BATCH = 4  # rows of the default input
DEFAULT_FEATURES = 5  # features of the default input when the layer does not say (no in_features)
_PROTOCOL = ("params", "grads", "forward", "backward")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", help="path/to/file.py:NAME or package.module:NAME (default: every built-in)"
    )
    parser.add_argument(
        "--input-shape", type=int, nargs="+", metavar="N",
        help=f"input (or prediction) shape, e.g. 4 10 (default: ({BATCH}, in_features), else ({BATCH}, 5))",
    )  # fmt: skip
    parser.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64",
        help="dtype of the layers under test; checks always run in float64 (float32 is upcast, with a note)",
    )  # fmt: skip
    parser.add_argument(
        "--eps", type=float, help="relative step (default: 6e-6 central, 1e-3 richardson, 1e-20 complex)"
    )
    parser.add_argument("--rtol", type=float, default=gradcheck.DEFAULT_RTOL, help="relative tolerance (default 1e-6)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of inputs, weights and upstream gradients (default 0)"
    )
    parser.add_argument("--method", choices=METHODS, default="central", help="numeric derivative (default central)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON (docs/gradcheck.md)")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="save the eps sweep (1e-1 … 1e-12) figure as PATH")


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

    def to_dict(self) -> dict[str, Any]:
        if self.report is None:
            return {"label": self.label, "kind": self.kind, "skipped": self.skipped}
        result = {"label": self.label, "kind": self.kind, **self.report.to_dict()}
        if self.layerwise is not None:
            result["layerwise"] = self.layerwise.to_dict()
        return result


# Loading a target ------------------------------------------------------------------------------------------


def load_target(spec: str) -> Any:
    """The object ``spec`` names: ``path/to/file.py:NAME`` or ``package.module:NAME``."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name:
        raise ValueError(f"target must be path/to/file.py:NAME or package.module:NAME, got {spec!r}")
    if where.endswith(".py") or "/" in where or "\\" in where:
        module = _import_file(Path(where))
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise ValueError(f"cannot import module {where!r}: {err}") from err
        except Exception as err:  # the module's own code failed while importing
            raise ValueError(f"importing {where!r} failed: {type(err).__name__}: {err}") from err
    if not hasattr(module, name):
        defined = sorted(k for k in vars(module) if not k.startswith("_"))
        shown = ", ".join(defined[:12]) + (", …" if len(defined) > 12 else "")
        raise ValueError(f"{where} has no {name!r} (it defines: {shown or 'nothing public'})")
    return getattr(module, name)


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    module_name = f"_gradcheck_target_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    sys.path.insert(0, str(path.parent.resolve()))  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # any error in the user's file: report it in one line
        raise ValueError(f"importing {path} failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.pop(0)
    return module


def _is_loss(obj: Any) -> bool:
    """A loss has forward(pred, target, mask=None) and a backward() without arguments."""
    if isinstance(obj, losses.Loss):
        return True
    if hasattr(obj, "params") or not callable(getattr(obj, "backward", None)):
        return False
    try:
        required = [
            p
            for p in inspect.signature(obj.backward).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # no signature to read
        return False
    return not required


def resolve(obj: Any, label: str) -> Any:
    """A layer or loss instance from ``obj``: the instance itself, or what its class or factory makes."""
    if not isinstance(obj, type) and hasattr(obj, "forward") and hasattr(obj, "backward"):
        instance = obj
    elif callable(obj):
        kind = "class" if isinstance(obj, type) else "factory"
        try:
            inspect.signature(obj).bind()
        except TypeError as err:
            raise TypeError(
                f"{label} is a {kind} that needs arguments ({err}); give an instance or a zero-argument factory"
            ) from None
        except ValueError:  # a builtin without a readable signature: just try it
            pass
        instance = obj()
    else:
        raise TypeError(
            f"{label} is of type {type(obj).__name__}, not a layer, a layer class, a zero-argument factory or a loss"
        )
    if _is_loss(instance):
        return instance
    if type(instance).__name__ != label:
        label = f"{label} ({type(instance).__name__})"
    missing = [part for part in _PROTOCOL if not hasattr(instance, part)]
    if missing:
        raise TypeError(
            f"{label} breaks the layer protocol: it lacks {', '.join(missing)} "
            "(a layer has params, grads, forward(x) and backward(grad_y); a loss has forward(pred, target, "
            "mask=None) and backward())"
        )
    for part in ("forward", "backward"):
        if not callable(getattr(instance, part)):
            raise TypeError(f"{label} breaks the layer protocol: {part} is not a method")
    for part in ("params", "grads"):
        if not hasattr(getattr(instance, part), "items"):
            raise TypeError(
                f"{label} breaks the layer protocol: {part} must be a dict of arrays, "
                f"got {type(getattr(instance, part)).__name__}"
            )
    return instance


def _input_shape(layer: Any, given: list[int] | None) -> tuple[int, ...]:
    """--input-shape, else (BATCH, in_features) of the first layer that has it, else (BATCH, 5)."""
    if given:
        return tuple(given)
    for _, leaf in gradcheck.named_leaves(layer):
        features = getattr(leaf, "in_features", None)
        if isinstance(features, int):
            return (BATCH, features)
    return (BATCH, DEFAULT_FEATURES)


# Running checks --------------------------------------------------------------------------------------------


@dataclass
class Options:
    method: str
    eps: float | None
    rtol: float
    seed: int

    def kwargs(self) -> dict[str, Any]:
        return {"method": self.method, "eps": self.eps, "rtol": self.rtol, "seed": self.seed}


def _guarded(label: str, check: Callable[[], Any]) -> Any:
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
    report = _guarded(label, check)
    layerwise = None
    if not report.passed and len(gradcheck.named_leaves(layer)) > 1:
        layerwise = _guarded(label, lambda: gradcheck.check_model_layers(layer, x, **options.kwargs()))
    return Outcome(label, kind, report, layerwise)


def check_layer_outcome(label: str, layer: Any, x: np.ndarray, options: Options, kind: str = "layer") -> Outcome:
    """The layer (or model, through a random upstream gradient) on input x."""
    return _outcome(label, kind, layer, x, options, lambda: gradcheck.check_layer(layer, x, **options.kwargs()))


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
    outcomes = [
        Outcome(label, "loss", _guarded(label, lambda: gradcheck.check_loss(loss, pred, target, **options.kwargs())))
    ]
    masked = f"{label} with mask"
    try:
        loss.forward(pred, target, mask)
    except (ValueError, TypeError) as err:
        return [*outcomes, Outcome(masked, "loss", None, skipped=str(err))]
    report = _guarded(masked, lambda: gradcheck.check_loss(loss, pred, target, mask, **options.kwargs()))
    return [*outcomes, Outcome(masked, "loss", report)]


def _model_outcome(
    label: str, model: Any, loss: Any, x: np.ndarray, options: Options, *, masked: bool = False
) -> Outcome:
    """The model with its loss, end to end (with a random 0/1 mask when ``masked``)."""
    mask = _mask(np.random.default_rng(options.seed + 1), x.shape) if masked else None

    def check() -> GradCheckReport:
        return gradcheck.check_model(model, x, loss, mask=mask, **options.kwargs())

    return _outcome(label, "model", model, x, options, check)


def builtin_outcomes(options: Options, dtype: str, input_shape: list[int] | None) -> list[Outcome]:
    """Every built-in layer, activation and loss (with and without mask), and a small model of each kind."""
    seed = options.seed
    rng = np.random.default_rng(seed)
    shape = tuple(input_shape) if input_shape else (BATCH, DEFAULT_FEATURES)
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
    spec: str, options: Options, dtype: str, input_shape: list[int] | None
) -> tuple[list[Outcome], tuple[Any, np.ndarray] | None]:
    """The checks of one target, and (layer, x) for the eps sweep (None for a loss)."""
    obj = resolve(load_target(spec), spec.rpartition(":")[2])
    label = repr(obj) if repr(obj).startswith(type(obj).__name__) else f"{type(obj).__name__} ({obj!r})"
    shape = _input_shape(obj, input_shape)
    if _is_loss(obj):
        return check_loss_outcomes(label, obj, shape, options), None
    if dtype == "float32" and getattr(obj, "dtype", None) is not None:
        obj = gradcheck.copy_as(obj, np.float32)
    x = np.random.default_rng(options.seed).uniform(-2.0, 2.0, shape)
    kind = "model" if len(gradcheck.named_leaves(obj)) > 1 else "layer"
    return [check_layer_outcome(label, obj, x, options, kind)], (obj, x)


# Output ----------------------------------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    """One line per check: label, rows, worst error and band, kinks, verdict."""
    width = max(44, *(len(o.label) + 2 for o in outcomes))
    lines = [f"{'check':<{width}}{'rows':>5}{'max rel err':>13}  {'band':<16}{'kinks':>6}  verdict"]
    for o in outcomes:
        if o.report is None:
            lines.append(f"{o.label:<{width}}{'-':>5}{'-':>13}  {'-':<16}{'-':>6}  skipped: {o.skipped}")
            continue
        r = o.report
        lines.append(
            f"{o.label:<{width}}{len(r.rows):>5}{r.max_rel_error:>13.2e}  {gradcheck.band(r.max_rel_error):<16}"
            f"{r.n_kinks:>6}  {'ok' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)


def notes_by_text(outcomes: list[Outcome]) -> dict[str, list[str]]:
    """Each distinct note of the reports, with the labels of the checks it belongs to."""
    grouped: dict[str, list[str]] = {}
    for o in outcomes:
        for note in o.report.all_notes if o.report is not None else []:
            grouped.setdefault(note, []).append(o.label)
    return grouped


def details(outcome: Outcome) -> str:
    """The full report of one check (and its layer-by-layer check when it has one)."""
    parts = [f"== {outcome.label}", str(outcome.report)]
    if outcome.layerwise is not None:
        parts += ["", str(outcome.layerwise)]
    return "\n".join(parts)


def write_json(path: Path, args: argparse.Namespace, outcomes: list[Outcome], sweep: Any) -> None:
    document = {
        "schema": JSON_SCHEMA,
        "target": args.target,
        "passed": all(o.passed for o in outcomes),
        "method": args.method,
        "eps": args.eps if args.eps is not None else gradcheck.DEFAULT_STEPS[args.method],
        "rtol": args.rtol,
        "seed": args.seed,
        "dtype": args.dtype,
        "checks": [o.to_dict() for o in outcomes],
        "eps_sweep": None if sweep is None else sweep.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    for n in args.input_shape or ():
        check_int(n, "--input-shape", "gradcheck")
    options = Options(args.method, args.eps, args.rtol, args.seed)
    start = time.perf_counter()
    subject = None
    if args.target is None:
        outcomes = builtin_outcomes(options, args.dtype, args.input_shape)
    else:
        outcomes, subject = target_outcomes(args.target, options, args.dtype, args.input_shape)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if not o.passed]
    if args.target is None:
        print(
            f"gradcheck: built-in layers, losses and models; method {args.method}, rtol {args.rtol:g}, seed {args.seed}"
        )
        print(table(outcomes))
        for note, labels in notes_by_text(outcomes).items():
            print(f"note: {note} ({', '.join(labels)})")
        for o in failed:
            print()
            print(details(o))
    else:
        print("\n\n".join(details(o) for o in outcomes if o.report is not None))
        for o in outcomes:
            if o.report is None:
                print(f"{o.label}: skipped: {o.skipped}")
    checked = [o for o in outcomes if o.report is not None]
    verdict = f"{len(failed)} of {len(checked)} check(s) FAIL" if failed else f"all {len(checked)} check(s) pass"
    print(f"{verdict} ({seconds:.2f} s)")
    sweep = None
    if args.plot is not None:
        from .plotting import save_eps_sweep  # matplotlib loads only when a figure is asked for

        layer, x = subject if subject is not None else (None, None)
        sweep = _guarded("eps sweep", lambda: gradcheck.eps_sweep(layer, x, seed=args.seed))
        path = save_eps_sweep(sweep, args.plot)
        best = "; ".join(
            f"{label} {sweep.best(label)[1]:.1e} at eps {sweep.best(label)[0]:.0e}" for label in sweep.errors
        )
        print(f"eps sweep saved to {path} (smallest error: {best})")
        for note in sweep.notes:
            print(f"note: {note}")
    if args.json is not None:
        write_json(args.json, args, outcomes, sweep)
        print(f"JSON report written to {args.json}")
    return 1 if failed else 0
