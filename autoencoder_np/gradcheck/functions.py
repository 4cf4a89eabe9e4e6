"""The check of a plain (forward, backward) pair of functions, in the CS231n convention.

::

    out, cache = forward(*inputs)
    grads = backward(grad_out, cache)      # backward(cache) when out is a scalar (a loss)

``grads`` is the gradient of every input in ``wrt`` (default: every floating-point ndarray input, in
order): one array when there is one, else a tuple in that order. The scalar checked is the same as a
layer's: L = Σ G ⊙ out with a random upstream gradient G (or L = out for a scalar out), so the report,
its rows (named by forward's parameter names: x, W, b) and its diagnosis are those of ``check_layer``.

Kinks (where the derivative jumps, ReLU's 0) are declared like a layer's: ``kinks=(0.0,)`` compares the
cached input ``cache["x"]`` (or the cache itself when it is an array) with each value, and a mapping
``kinks={"z": (0.0,)}`` names the cache entry (a key, or an index of a tuple cache). Without ``kinks=``
the check reads ``forward.kinks`` when forward declares it (``relu_forward.kinks = (0.0,)``). Entries
whose finite difference crosses a kink are counted and not judged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..validation import as_array, overflow_as_error
from .diagnosis import Context
from .engine import DEFAULT_ATOL, DEFAULT_LARGE, DEFAULT_RTOL, Evaluator, Problem, run, settings_for
from .report import GradCheckReport

Kinks = Sequence[float] | Mapping[Any, Sequence[float]]
WHERE = "check_function"


def input_names(forward: Callable[..., Any], count: int) -> list[str]:
    """The names of forward's first ``count`` positional parameters (``args[k]`` for ``*args``)."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):  # no signature to read (a builtin)
        return [f"inputs[{k}]" for k in range(count)]
    names = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}[{k}]" for k in range(count - len(names))]
    if len(names) < count:
        raise TypeError(f"{WHERE}: forward takes {len(names)} positional inputs, got {count}")
    return names[:count]


def _positions(wrt: Sequence[str | int] | None, inputs: tuple[Any, ...], names: list[str]) -> list[int]:
    """The positions of the inputs to differentiate: ``wrt`` (names or positions), else every float array."""
    if wrt is None:
        found = [k for k, v in enumerate(inputs) if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)]
        if not found:
            raise ValueError(f"{WHERE}: no input is a floating-point array to differentiate (inputs: {names})")
        return found
    if isinstance(wrt, (str, int)):
        wrt = [wrt]
    positions = []
    for item in wrt:
        k = names.index(item) if isinstance(item, str) and item in names else item
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(inputs):
            raise ValueError(f"{WHERE}: wrt names {item!r}, which is not an input of forward ({', '.join(names)})")
        value = inputs[k]
        if not (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)):
            raise TypeError(
                f"{WHERE}: wrt names {names[k]}, a {type(value).__name__}: only floating-point arrays are "
                "differentiated"
            )
        positions.append(k)
    return positions


def _call(forward: Callable[..., Any], args: list[Any]) -> tuple[Any, Any]:
    result = forward(*args)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"{WHERE}: forward must return (out, cache), got {type(result).__name__}")
    return result


def _gradients(result: Any, names: list[str]) -> list[np.ndarray]:
    """backward's result as one float64 array per name (one array for one name, else a tuple in order)."""
    expected = f"{len(names)} gradient(s), of {', '.join(names)}"
    if len(names) == 1 and not isinstance(result, (tuple, list)):
        result = (result,)
    if not isinstance(result, (tuple, list)):
        raise TypeError(f"{WHERE}: backward returned one {type(result).__name__}, expected a tuple of {expected}")
    if len(result) != len(names):
        raise TypeError(f"{WHERE}: backward returned {len(result)} values, expected {expected} (wrt names them)")
    for name, g in zip(names, result, strict=True):
        if g is None:
            raise TypeError(f"{WHERE}: backward returned None for {name}; it must return dL/d{name}")
    return [np.array(g, dtype=np.float64) for g in result]


def _kink_spec(kinks: Kinks | None, forward: Callable[..., Any]) -> dict[Any, tuple[float, ...]]:
    """{cache key (None: cache["x"] or the cache itself): kink values}."""
    declared = getattr(forward, "kinks", ()) if kinks is None else kinks
    if isinstance(declared, Mapping):
        return {key: tuple(float(k) for k in values) for key, values in declared.items()}
    if not isinstance(declared, (Sequence, np.ndarray)) or isinstance(declared, str):
        raise TypeError(
            f"{WHERE}: kinks must be a sequence of values, e.g. (0.0,), or a mapping from a cache entry to "
            f"values, e.g. {{'z': (0.0,)}}; got {type(declared).__name__}"
        )
    return {None: tuple(float(k) for k in declared)} if len(declared) else {}


def _cached(cache: Any, key: Any) -> np.ndarray:
    """The cache entry a kink is declared on."""
    if key is None:
        if isinstance(cache, np.ndarray):
            return cache
        key = "x"
    try:
        return np.asarray(cache[key])
    except (KeyError, IndexError, TypeError):
        shown = list(cache) if isinstance(cache, Mapping) else type(cache).__name__
        raise TypeError(
            f"{WHERE}: kinks are declared on cache[{key!r}], which forward's cache lacks (it has {shown}); "
            "name the cache entry: kinks={'z': (0.0,)}"
        ) from None


def check_function(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[..., Any],
    *inputs: Any,
    wrt: Sequence[str | int] | str | int | None = None,
    grad_out: np.ndarray | None = None,
    kinks: Kinks | None = None,
    eps: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    method: str = "central",
    large: int | None = DEFAULT_LARGE,
) -> GradCheckReport:
    """Check ``backward`` against finite differences of ``forward`` for every input in ``wrt``.

    Args:
        forward: ``forward(*inputs) -> (out, cache)``, e.g. ``dense_forward(x, W, b)``.
        backward: ``backward(grad_out, cache)`` (``backward(cache)`` when out is a scalar) returning the
            gradient of each input in ``wrt``: one array, or a tuple in wrt's order.
        inputs: forward's positional inputs, e.g. x: (batch, in), W: (in, out), b: (out,); the arrays
            differentiated are copied to float64, the others (a float α, a mask) are passed as they are.
        wrt: names (forward's parameter names) or positions of the inputs backward differentiates;
            default: every floating-point ndarray input, in order.
        grad_out: the upstream gradient G (out's shape); default: standard normal, seeded.
        kinks: where the derivative jumps (see the module docstring); default ``forward.kinks`` if declared.
        eps, rtol, atol, seed, method, large: as in :func:`~.checks.check_layer`.

    Example: ``check_function(dense_forward, dense_backward, x, W, b)`` has rows x, W and b.
    """
    if not callable(forward) or not callable(backward):
        raise TypeError(f"{WHERE}: forward and backward must be functions, got {type(forward).__name__}, "
                        f"{type(backward).__name__}")  # fmt: skip
    settings = settings_for(method, eps, rtol, atol, large, seed, WHERE)
    names = input_names(forward, len(inputs))
    positions = _positions(wrt, inputs, names)
    args = list(inputs)
    upcast = [f"{names[k]} ({inputs[k].dtype})" for k in positions if inputs[k].dtype != np.float64]
    for k in positions:
        args[k] = np.array(as_array(inputs[k], names[k], WHERE), dtype=np.float64)
    if grad_out is not None:
        grad_out = np.array(as_array(grad_out, "grad_out", WHERE), dtype=np.float64)
    with overflow_as_error(WHERE):
        problem = _function_problem(forward, backward, args, names, positions, grad_out, kinks, seed, upcast)
        return run(problem, settings)


def _function_problem(
    forward: Callable[..., Any], backward: Callable[..., Any], args: list[Any], names: list[str],
    positions: list[int], grad_out: np.ndarray | None, kinks: Kinks | None, seed: int, upcast: list[str],
) -> Problem:  # fmt: skip
    """The problem of :func:`check_function`: L = Σ G ⊙ out (or out), the inputs at ``positions`` perturbed."""
    out, cache = _call(forward, args)
    out = np.asarray(out)
    scalar = out.ndim == 0
    if scalar and grad_out is not None:
        raise ValueError(f"{WHERE}: forward returned a scalar, so backward takes (cache) and no grad_out")
    G = None
    if not scalar:
        G = np.random.default_rng(seed).standard_normal(out.shape) if grad_out is None else grad_out
        if G.shape != out.shape:
            raise ValueError(f"{WHERE}: grad_out has shape {G.shape}, expected out's shape {out.shape}")
    wrt = [names[k] for k in positions]
    analytic = _gradients(backward(cache) if scalar else backward(G, cache), wrt)
    spec = _kink_spec(kinks, forward)
    last: dict[str, Any] = {"cache": cache}

    def scalar_of(arguments: list[Any]) -> Any:
        value, cache_ = _call(forward, arguments)
        last["cache"] = cache_
        return value if G is None else np.sum(value * G)

    def probe() -> np.ndarray:
        return np.concatenate([(_cached(last["cache"], key) > k).ravel() for key, ks in spec.items() for k in ks])

    if spec:
        probe()  # a kink declared on a missing cache entry is a clear error now, not inside the estimates

    def complex_twin() -> tuple[Evaluator, dict[str, np.ndarray]]:
        twin = list(args)
        for k in positions:
            twin[k] = args[k].astype(np.complex128)
        return (lambda: scalar_of(twin)), {names[k]: twin[k] for k in positions}

    first = args[positions[0]]
    counts = {"the batch size": float(first.shape[0])} if first.ndim else {}
    if scalar:
        counts["the number of entries"] = float(first.size)
        mask = args[names.index("mask")] if "mask" in names else None
        if isinstance(mask, np.ndarray):
            counts["Σ mask (the observed entries)"] = float(mask.sum())
    quantities = {names[k]: args[k] for k in positions}
    return Problem(
        subject=f"{getattr(forward, '__name__', 'forward')}/{getattr(backward, '__name__', 'backward')}",
        loss=lambda: scalar_of(args),
        quantities=quantities,
        analytic=dict(zip(wrt, analytic, strict=True)),
        output_scale=float(np.sum(np.abs(out if G is None else G * out))),
        probe=probe if spec else None,
        context=Context(counts, G if G is not None and G.ndim == 2 else None, dict(quantities)),
        complex_twin=complex_twin,
        upcast=f"{', '.join(upcast)} copied to float64 for the check" if upcast else None,
        input_name=names[0] if positions[0] == 0 else None,
    )
