"""Peak memory of one Mult-DAE epoch (case 3), measured in a fresh process.

``python -m benchmarks.memory --impl autoencoder_np --dtype float32`` prints one JSON line: the resident set
before the model exists (interpreter, libraries, the data) and the peak after one epoch (``ru_maxrss``), their
difference, and the bytes the training must hold: parameters, gradients, Adam's m and v, and one batch's
activations (every array the layers' and the loss's caches keep after a step, plus dL/dlogits).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
from typing import Any

import numpy as np

from . import cases as C
from .competitors import TRAINERS


def resident_bytes() -> int:
    """The current resident set size (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def activation_bytes(trainer: Any, case: C.Case) -> int:
    """Bytes of the distinct arrays in the layers' and the loss's caches after the last step, plus dL/dlogits."""
    arrays: dict[int, int] = {}
    caches = [layer.cache for layer in C.leaves(trainer.model)] + [trainer.model.loss.cache]
    for cache in caches:
        for value in cache.values():
            if isinstance(value, np.ndarray):
                base = value if value.base is None else value.base
                arrays[id(base)] = base.nbytes
    logits = caches[-1]["pred"]
    return sum(arrays.values()) + logits.nbytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=["autoencoder_np", "pytorch"], default="autoencoder_np")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--users", type=int, default=6000)
    args = parser.parse_args(argv)
    if args.impl == "pytorch":
        import torch  # noqa: F401 -- its libraries belong to the baseline, not to the training
    case = C.multdae(args.users)
    case.X = case.X.astype(args.dtype, copy=False)
    before = resident_bytes()
    peak_before = peak_bytes()
    trainer = TRAINERS[args.impl](case, args.dtype)
    trainer.run()
    peak = peak_bytes()
    itemsize = np.dtype(args.dtype).itemsize
    n_params = sum(layer.params["W"].size + layer.params["b"].size for layer in C.dense_layers(case.model(args.dtype)))
    reference = C.multdae(args.users)  # the activations of our model, the same for both implementations
    ours = trainer if args.impl == "autoencoder_np" else TRAINERS["autoencoder_np"](reference, args.dtype)
    if ours is not trainer:
        ours.model.fit(ours.X[: case.batch_size], epochs=1, batch_size=case.batch_size, loss=case.loss, verbose=0)
    held = {
        "parameters": n_params * itemsize,
        "gradients": n_params * itemsize,
        "adam_m_v": 2 * n_params * itemsize,
        "activations": activation_bytes(ours, case),
    }
    result = {
        "impl": args.impl,
        "dtype": args.dtype,
        "users": args.users,
        "rss_before_model": before,
        "peak_rss_before_model": peak_before,
        "peak_rss": peak,
        "growth": peak - before,
        "held": held,
        "held_total": sum(held.values()),
        "growth_over_held": (peak - before) / sum(held.values()),
        "growth_over_held_without_gradients": (peak - before) / (sum(held.values()) - held["gradients"]),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
