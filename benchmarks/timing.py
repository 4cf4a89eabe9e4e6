"""Interleaved timing, pairwise ratios, the GEMM-bound limit, the machine's other load and its facts."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .cases import Case, dense_layers


def summary(values: list[float]) -> dict[str, float]:
    """Median, min and max of a list of numbers."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def interleaved(
    runners: dict[str, Callable[[], Any]], reps: int, warmup: int = 1, beside: Callable[[], float] | None = None
) -> tuple[dict[str, list[float]], list[float]]:
    """Run every runner once per round (A B C, A B C, …); the first ``warmup`` rounds are not kept.

    ``beside`` (e.g. a :class:`GemmLimit`) runs once per kept round too; its return values come back as a list.
    """
    times: dict[str, list[float]] = {name: [] for name in runners}
    besides: list[float] = []
    for round_ in range(warmup + reps):
        for name, run in runners.items():
            elapsed = _timed(run)
            if round_ >= warmup:
                times[name].append(elapsed)
        if beside is not None and round_ >= warmup:
            besides.append(beside())
    return times, besides


def pairwise_ratios(times: dict[str, list[float]], ours: str) -> dict[str, dict[str, float]]:
    """For each competitor, ours/theirs round by round (below 1: we are faster), summarized."""
    return {
        name: summary([a / b for a, b in zip(times[ours], other, strict=True)])
        for name, other in times.items()
        if name != ours
    }


# The GEMM-bound limit ----------------------------------------------------------------------------------------


def matmul_products(case: Case, model: Any, n_rows: int) -> list[dict[str, Any]]:
    """Every matrix product of one epoch: forward x·W, dW = xᵀ·g and dX = g·Wᵀ per Dense (no dX for the first).

    Each entry: the layer sizes, the batch size, how many batches of that size, and FLOPs = 2·b·in·out each.
    """
    sizes = [case.batch_size] * (n_rows // case.batch_size)
    if n_rows % case.batch_size:
        sizes.append(n_rows % case.batch_size)
    products = []
    for k, layer in enumerate(dense_layers(model)):
        kinds = ("forward", "dW") if k == 0 else ("forward", "dW", "dX")
        for kind in kinds:
            for b in sorted(set(sizes)):
                products.append({
                    "kind": kind, "in": layer.in_features, "out": layer.out_features, "batch": b,
                    "count": sizes.count(b), "flops": 2.0 * b * layer.in_features * layer.out_features,
                })  # fmt: skip
    return products


def _operands(kind: str, b: int, n_in: int, n_out: int, dtype: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operands in the layouts the layers use: x·W, xᵀ·g (x.T is a transposed view), g·Wᵀ."""
    rng = np.random.default_rng(0)
    x = rng.random((b, n_in), dtype=np.float32).astype(dtype)
    g = rng.random((b, n_out), dtype=np.float32).astype(dtype)
    W = rng.random((n_in, n_out), dtype=np.float32).astype(dtype)
    if kind == "forward":
        return x, W, np.empty((b, n_out), dtype)
    if kind == "dW":
        return x.T, g, np.empty((n_in, n_out), dtype)
    return g, W.T, np.empty((b, n_in), dtype)


class GemmLimit:
    """The GEMM-bound limit of one run of a case: its matrix-product FLOPs at numpy.matmul's peak on each shape.

    Call it once per interleaved round: it times every distinct product (best of ``repeats`` calls) under
    that round's conditions and returns the limit in seconds for the whole run, so each round's time has a
    limit measured beside it. ``peak_gflops`` keeps the best rate seen per shape over all rounds.
    """

    def __init__(self, case: Case, model: Any, dtype: Any, n_rows: int, repeats: int = 3) -> None:
        self.products = matmul_products(case, model, n_rows)
        self.epochs = case.epochs
        self.repeats = repeats
        self.shapes = {(p["kind"], p["batch"], p["in"], p["out"]): None for p in self.products}
        self.operands = {key: _operands(*key, dtype) for key in self.shapes}
        self.flops = self.epochs * sum(p["count"] * p["flops"] for p in self.products)
        self.peak_gflops: dict[str, float] = {}

    def __call__(self) -> float:
        seconds = 0.0
        for p in self.products:
            key = (p["kind"], p["batch"], p["in"], p["out"])
            a, w, out = self.operands[key]
            np.matmul(a, w, out=out)  # warm-up
            best = min(_timed(lambda a=a, w=w, out=out: np.matmul(a, w, out=out)) for _ in range(self.repeats))
            label = f"{key[0]} b={key[1]} {key[2]}→{key[3]}"
            self.peak_gflops[label] = max(self.peak_gflops.get(label, 0.0), round(p["flops"] / best / 1e9, 1))
            seconds += p["count"] * best
        return seconds * self.epochs


def _timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# The machine ------------------------------------------------------------------------------------------------


class LoadMeter:
    """CPU cores that other processes kept busy while a block ran: (machine busy − our CPU time) / wall time.

    Reads ``/proc/stat`` (Linux); elsewhere reports only the load average.
    """

    def __enter__(self) -> LoadMeter:
        self._start = (time.perf_counter(), _machine_busy(), _our_cpu())
        self.result: dict[str, float | None] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        wall0, busy0, ours0 = self._start
        wall, busy, ours = time.perf_counter() - wall0, _machine_busy(), _our_cpu()
        other = None if busy is None or busy0 is None else max(0.0, (busy - busy0 - (ours - ours0)) / wall)
        self.result = {"other_cores_busy": other, "loadavg_1min": os.getloadavg()[0], "wall_s": wall}


def _machine_busy() -> float | None:
    """Seconds of CPU time all cores spent busy since boot, or None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _our_cpu() -> float:
    self_, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime


def machine_facts() -> dict[str, Any]:
    """CPU, cores, BLAS (numpy.show_config and threadpoolctl when present), versions, thread variables, load."""
    facts: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "thread_env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        facts["blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception as err:
        facts["blas"] = f"unknown ({err})"
    try:
        from threadpoolctl import threadpool_info

        facts["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "architecture", "version")}
            for p in threadpool_info()
        ]
    except ImportError:
        facts["threadpools"] = "threadpoolctl not installed"
    return facts


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
