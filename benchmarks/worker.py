"""One benchmark process at one pinned thread count: every case, both dtypes, all competitors, interleaved.

Started by ``benchmarks.run`` with OPENBLAS/OMP/MKL_NUM_THREADS already set in its environment (they must be
set before NumPy loads). ``python -m benchmarks.worker --threads 1 --result r.json [--quick]`` by hand works too.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

import autoencoder_np as ae
from autoencoder_np.sparse import CSR

from . import cases as C
from . import gowalla
from .competitors import TRAINERS, Ours, Torch, available
from .timing import GemmLimit, LoadMeter, interleaved, machine_facts, pairwise_ratios, summary

#: Which competitors run on which case (scikit-learn and Keras only where they come near the model).
COMPETITORS = {
    "founding": ("textbook", "numpy-bare", "pytorch", "sklearn", "keras"),
    "autorec": ("textbook", "pytorch", "sklearn"),
    "multdae": ("textbook", "pytorch"),
    "gowalla": ("dense-first-layer", "pytorch"),
}
DTYPES = ("float32", "float64")
#: Cases that run in some dtypes only (the issue's Gowalla target is float32).
CASE_DTYPES = {"gowalla": ("float32",)}


def settings(quick: bool) -> dict[str, Any]:
    """Repetitions and sizes: the issue's sizes, or smaller ones for a quick look."""
    if quick:
        return {
            "reps": 3, "short_case_factor": 1, "warmup": 1,
            "multdae_users": 1000, "scaling_users": 500, "items": (1000, 5000), "gowalla_users": 3000,
        }  # fmt: skip
    # A short case's run (the founding example's fit) takes milliseconds: three times the rounds steady its medians.
    return {
        "reps": 5, "short_case_factor": 3, "warmup": 1,
        "multdae_users": 6000, "scaling_users": 1000, "items": C.SCALING_ITEMS, "gowalla_users": None,
    }  # fmt: skip


def same_loss(case: C.Case, dtype: str, rows: int = 1000) -> dict[str, Any]:
    """One run of autoencoder_np and PyTorch from the same weights and batch order, without dropout (whose
    random draws cannot match), on the first ``rows`` rows: the epoch losses must agree to rounding."""
    case = case.first_rows(rows)
    ours, theirs = Ours(case, dtype, dropout=False), case.trainers.get("pytorch", Torch)(case, dtype, dropout=False)
    ours.run()
    theirs.run()
    a, b = ours.losses[-1], theirs.losses[-1]
    tolerance = 1e-4 if dtype == "float32" else 1e-9
    rel = abs(a - b) / abs(b)
    return {"ours": a, "pytorch": b, "rel_diff": rel, "tolerance": tolerance, "same": rel <= tolerance}


def fit_overhead(case: C.Case, dtype: str, reps: int, warmup: int) -> dict[str, Any]:
    """The fit loop's overhead: fit's wall time over the summed time of the calls it cannot avoid.

    The reference is a hand loop over the same batches that times only the layers' forward and backward,
    the loss's forward and backward and the optimizer step (gathering the batch is not counted).
    """
    ours = Ours(case, dtype)
    twin = Ours(case, dtype)
    layers = C.leaves(twin.model)
    loss = ae.losses.get(case.loss)
    n = twin.X.shape[0]

    def components() -> float:
        spent = 0.0
        twin.model.train()
        twin.model.input_grad = False
        twin.model.check_inputs = loss.check_inputs = False  # as inside fit: the data was checked once
        with np.errstate(all="ignore"):
            for _ in range(case.epochs):
                order = twin.rng.permutation(n)
                for start in range(0, n, case.batch_size):
                    rows = order[start : start + case.batch_size]
                    xb = twin.X[rows]
                    mb = None if twin.mask is None else twin.mask[rows]
                    t0 = time.perf_counter()
                    h = xb
                    for layer in layers:
                        h = layer.forward(h)
                    loss.forward(h, xb, mb)
                    grad = loss.backward()
                    for layer in reversed(layers):
                        grad = layer.backward(grad)
                        if grad is None:
                            break
                    twin.optimizer.step(twin.model)
                    spent += time.perf_counter() - t0
        twin.model.input_grad = True
        return spent

    fit_times, component_times = [], []
    for round_ in range(warmup + reps):
        t0 = time.perf_counter()
        ours.run()
        fit_time = time.perf_counter() - t0
        component_time = components()
        if round_ >= warmup:
            fit_times.append(fit_time)
            component_times.append(component_time)
    ratios = [f / c - 1.0 for f, c in zip(fit_times, component_times, strict=True)]
    return {"fit_s": summary(fit_times), "components_s": summary(component_times), "overhead": summary(ratios)}


def bench_case(case: C.Case, dtype: str, names: tuple[str, ...], cfg: dict[str, Any], skipped: dict) -> dict:
    """Time ``case`` interleaved against the competitors that can run; the limit, loss check and overhead."""
    runnable = [name for name in names if available(name) is None]
    trainers = {"autoencoder_np": Ours(case, dtype)}
    for name in runnable:
        trainers[name] = (case.trainers[name] if name in case.trainers else TRAINERS[name])(case, dtype)
    ours = trainers["autoencoder_np"]
    limit = GemmLimit(case, ours.model, np.dtype(dtype), ours.X.shape[0])
    with LoadMeter() as load:
        reps = cfg["reps"] * cfg["short_case_factor"] if case.short else cfg["reps"]
        times, limits = interleaved({name: t.run for name, t in trainers.items()}, reps, cfg["warmup"], limit)
    fractions = [lim / t for lim, t in zip(limits, times["autoencoder_np"], strict=True)]
    result = {
        "case": case.name,
        "dtype": dtype,
        "unit": case.info.get("unit"),
        "source": case.info.get("source"),
        "items": case.info.get("items"),
        "times_s": {name: summary(v) for name, v in times.items()},
        "raw_s": times,
        "ratio_ours_over": pairwise_ratios(times, "autoencoder_np"),
        "final_loss": {name: t.losses[-1] for name, t in trainers.items()},
        "notes": {name: t.note for name, t in trainers.items() if t.note},
        "gemm_limit": {"flops": limit.flops, "seconds": summary(limits), "peak_gflops": limit.peak_gflops},
        "fraction_of_limit": summary(fractions),
        "load": load.result,
        "skipped": {name: skipped[name] for name in names if name in skipped},
    }
    if "pytorch" in runnable:
        result["same_loss_check"] = same_loss(case, dtype)
    if "numpy-bare" in runnable:  # the floor against the others: bare / PyTorch, bare / Keras, …
        result["ratio_bare_over"] = pairwise_ratios(times, "numpy-bare")
    if case.extra is not None:
        with LoadMeter() as extra_load:
            result.update(case.extra(ours, cfg["reps"]))
        result["extra_load"] = extra_load.result
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, required=True, help="the thread count pinned by the caller")
    parser.add_argument("--result", required=True, help="JSON file to write")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=None, help="rounds kept after the warm-up (default 5; quick 3)")
    parser.add_argument("--cases", nargs="*", default=["founding", "autorec", "multdae", "scaling"])
    parser.add_argument("--gowalla", default=None, help="the folder of Gowalla's train.txt and test.txt")
    args = parser.parse_args(argv)
    cfg = settings(args.quick)
    if args.reps is not None:
        cfg["reps"] = args.reps
    skipped = {name: why for name in ("pytorch", "sklearn", "keras") if (why := available(name))}
    if "pytorch" not in skipped:
        import torch

        torch.set_num_threads(args.threads)
    if "keras" not in skipped and os.environ.get("KERAS_BACKEND") == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    runs = []
    todo = [
        ("founding", lambda: C.founding()),
        ("autorec", lambda: C.autorec()),
        ("multdae", lambda: C.multdae(cfg["multdae_users"])),
        ("gowalla", lambda: gowalla.case(args.gowalla, cfg["gowalla_users"])),
    ]
    for dtype in DTYPES:
        for name, make in todo:
            if name in args.cases and dtype in CASE_DTYPES.get(name, DTYPES):
                case = make()
                runs.append(bench_case(case, dtype, COMPETITORS.get(name, ("pytorch",)), cfg, skipped))
                if dtype == "float32" and not isinstance(case.X, CSR):  # the hand loop gathers dense rows
                    runs[-1]["fit_overhead"] = fit_overhead(case, dtype, cfg["reps"], cfg["warmup"])
                _progress(runs[-1], args.threads)
        if "scaling" in args.cases:
            for items in cfg["items"]:
                runs.append(bench_case(C.scaling(items, cfg["scaling_users"]), dtype, ("pytorch",), cfg, skipped))
                _progress(runs[-1], args.threads)
    facts = machine_facts()
    if "pytorch" not in skipped:
        import torch

        facts["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    if "keras" not in skipped:
        import keras

        facts["keras"] = {"version": keras.__version__, "backend": keras.backend.backend()}
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            facts["keras"]["tensorflow"] = tf.__version__
    if "sklearn" not in skipped:
        import sklearn

        facts["sklearn"] = sklearn.__version__
    with open(args.result, "w") as f:
        json.dump({"threads": args.threads, "settings": cfg, "machine": facts, "skipped": skipped, "runs": runs}, f)
    return 0


def _progress(run: dict[str, Any], threads: int) -> None:
    times = ", ".join(f"{k} {v['median']:.4g}s" for k, v in run["times_s"].items())
    fraction = 100 * run["fraction_of_limit"]["median"]
    print(f"[{threads} thr] {run['case']} {run['dtype']}: {times}; {fraction:.0f}% of limit", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
