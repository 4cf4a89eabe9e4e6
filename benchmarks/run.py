"""Run every benchmark: one pinned worker process per thread count, then peak memory; write JSON, Markdown, figure.

    python -m benchmarks.run [--quick] [--threads 1 2] [--cases founding autorec multdae scaling gowalla]
                             [--reps N] [--json PATH] [--out DIR] [--no-memory] [--gowalla DIR]

Thread counts are pinned before NumPy and PyTorch load: each worker starts with OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS set (and calls torch.set_num_threads). Nothing else in the environment
changes. The machine's other load is recorded per case: on a shared machine read the ratios, not the times.
The Gowalla case (``--cases gowalla``, not in the default set: it takes about an hour) reads the published
split from ``--gowalla DIR`` (default: ``../shared/data/gowalla`` beside the repository) or, without it, draws
a synthetic split of its shape; its memory is measured in a fresh process (``benchmarks.gowalla --memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import report

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pinned_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({var: str(threads) for var in THREAD_VARS})
    return env


def run_worker(threads: int, quick: bool, cases: list[str], reps: int | None, gowalla: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.worker", "--threads", str(threads), "--result", str(result)]
        cmd += ["--quick"] * quick + ["--cases", *cases] + ([] if reps is None else ["--reps", str(reps)])
        cmd += [] if gowalla is None else ["--gowalla", gowalla]
        subprocess.run(cmd, env=pinned_env(threads), check=True)
        return json.loads(result.read_text())


def run_memory(impl: str, quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.memory", "--impl", impl, "--dtype", "float32"]
    cmd += ["--users", "1500"] * quick
    return {"impl": impl, **_json_process(cmd)}


def run_gowalla_memory(quick: bool, gowalla: str | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.gowalla", "--memory"] + ["--users", "3000"] * quick
    return _json_process(cmd + ([] if gowalla is None else ["--data-dir", gowalla]))


def _json_process(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` at one pinned thread; the JSON line it prints, or the last line of its error."""
    done = subprocess.run(cmd, env=pinned_env(1), capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller cases 3 and 4")
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({1, os.cpu_count() or 1}))
    parser.add_argument("--cases", nargs="+", default=["founding", "autorec", "multdae", "scaling"])
    parser.add_argument("--out", default="benchmark_output", help="folder for results.json, results.md, scaling.png")
    parser.add_argument("--json", default=None, help="JSON path (default: OUT/results.json)")
    parser.add_argument("--reps", type=int, default=None, help="rounds kept after the warm-up (default 5, quick 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--gowalla", default=None, help="folder of Gowalla's train.txt, test.txt")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
                               "loadavg_start": [round(v, 2) for v in os.getloadavg()], "workers": []}  # fmt: skip
    for threads in args.threads:
        results["workers"].append(run_worker(threads, args.quick, args.cases, args.reps, args.gowalla))
    if not args.no_memory and "multdae" in args.cases:
        results["memory"] = [run_memory(impl, args.quick) for impl in ("autoencoder_np", "pytorch")]
    if not args.no_memory and "gowalla" in args.cases:
        results["gowalla_memory"] = run_gowalla_memory(args.quick, args.gowalla)
    results["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
    json_path = Path(args.json) if args.json else out / "results.json"
    json_path.write_text(json.dumps(results, indent=1))
    table = report.markdown(results)
    (out / "results.md").write_text(table)
    figure = report.scaling_figure(results, str(out / "scaling.png"))
    print(table)
    print(f"Wrote {json_path}, {out / 'results.md'}" + (f", {figure}" if figure else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
