"""The Markdown table and the scaling figure, from the JSON that ``benchmarks.run`` collects."""

from __future__ import annotations

from typing import Any


def _t(summary: dict[str, float] | None) -> str:
    if summary is None:
        return "–"
    return f"{_s(summary['median'])} ({_s(summary['min'])}–{_s(summary['max'])})"


def _s(seconds: float) -> str:
    return f"{1000 * seconds:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _r(summary: dict[str, float] | None) -> str:
    if summary is None:
        return "–"
    return f"{summary['median']:.3g} ({summary['min']:.3g}–{summary['max']:.3g})"


def _percent(summary: dict[str, float]) -> str:
    return f"{100 * summary['median']:.0f}% ({100 * summary['min']:.0f}–{100 * summary['max']:.0f}%)"


def short_table(results: dict[str, Any]) -> str:
    """The README's table: per case and dtype, ours, ours/PyTorch and % of the GEMM limit at each thread count."""
    threads = [block["threads"] for block in results["workers"]]
    head = "| case | dtype | " + " | ".join(f"{t} thr: ours | ours/PyTorch | % of limit" for t in threads) + " |"
    lines = [head, "|---|---|" + "---|---|---|" * len(threads)]
    rows: dict[tuple[str, str], list[str]] = {}
    for block in results["workers"]:
        for run in block["runs"]:
            ratio = run["ratio_ours_over"].get("pytorch")
            cells = rows.setdefault((run["case"], run["dtype"]), [])
            cells += [
                _s(run["times_s"]["autoencoder_np"]["median"]),
                "–" if ratio is None else f"{ratio['median']:.2f}",
                f"{100 * run['fraction_of_limit']['median']:.0f}%",
            ]
    lines += [f"| {case} | {dtype} | " + " | ".join(cells) + " |" for (case, dtype), cells in rows.items()]
    return "\n".join(lines) + "\n"


def markdown(results: dict[str, Any]) -> str:
    """One table row per case, dtype and thread count; then overhead, dtype ratio, memory and machine lines."""
    lines = [
        short_table(results),
        "| case | dtype | threads | autoencoder_np | PyTorch | ours/PyTorch | ours/sklearn | ours/Keras "
        "| % of GEMM limit | same loss as PyTorch | other load (cores) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for block in results["workers"]:
        for run in block["runs"]:
            ratios = run["ratio_ours_over"]
            check = run.get("same_loss_check")
            same = "–" if check is None else f"{'yes' if check['same'] else 'NO'} ({check['rel_diff']:.1e})"
            other = run["load"].get("other_cores_busy")
            lines.append(
                f"| {run['case']} | {run['dtype']} | {block['threads']} | {_t(run['times_s']['autoencoder_np'])} "
                f"| {_t(run['times_s'].get('pytorch'))} | {_r(ratios.get('pytorch'))} | {_r(ratios.get('sklearn'))} "
                f"| {_r(ratios.get('keras'))} | {_percent(run['fraction_of_limit'])} | {same} "
                f"| {'–' if other is None else f'{other:.2f}'} |"
            )
    lines += ["", "Times: median (min–max) of the interleaved repetitions; ratios: median (min–max) round by round."]
    lines += _floor(results) + _plainness(results) + _overheads(results) + _dtype_speedups(results) + _memory(results)
    lines += _gowalla(results) + _machine(results)
    return "\n".join(lines) + "\n"


def _floor(results: dict[str, Any]) -> list[str]:
    """The founding example against its bare NumPy loop: what the library adds, and what the loop alone reaches."""
    out = ["", "The founding example against the same steps in bare NumPy (no checks, containers, divergence checks):"]
    for block in results["workers"]:
        for run in block["runs"]:
            bare = run.get("ratio_bare_over")
            if bare is None:
                continue
            others = "; ".join(f"bare/{name} {_r(bare[name])}" for name in ("pytorch", "keras") if name in bare)
            out.append(
                f"- {run['dtype']}, {block['threads']} thread(s): ours/bare {_r(run['ratio_ours_over']['numpy-bare'])}"
                f" (bare {_t(run['times_s']['numpy-bare'])}, loss {run['final_loss']['numpy-bare']:.6g} against ours "
                f"{run['final_loss']['autoencoder_np']:.6g}){'; ' + others if others else ''}"
            )
    return out


def _plainness(results: dict[str, Any]) -> list[str]:
    """The textbook loop on the textbook kernels against fit on the fast ones: what the fast set buys."""
    out = ["", "textbook.fit on the textbook kernels, against fit on the fast ones (time / ours, and / PyTorch):"]
    for block in results["workers"]:
        for run in block["runs"]:
            ours_over = run["ratio_ours_over"].get("textbook")
            if ours_over is None:
                continue
            plain = run["times_s"]["textbook"]
            vs_torch = run["times_s"].get("pytorch")
            torch = "" if vs_torch is None else f"; textbook/PyTorch {plain['median'] / vs_torch['median']:.2f}"
            out.append(
                f"- {run['case']}, {run['dtype']}, {block['threads']} thread(s): textbook {_t(plain)}, "
                f"{1 / ours_over['median']:.2f}× ours{torch}"
            )
    return out


def _overheads(results: dict[str, Any]) -> list[str]:
    out = ["", "fit-loop overhead over the summed layer forward/backward, loss and optimizer calls (float32):"]
    for block in results["workers"]:
        for run in block["runs"]:
            if "fit_overhead" in run:
                o = run["fit_overhead"]["overhead"]
                out.append(f"- {run['case']}, {block['threads']} thread(s): {100 * o['median']:.1f}% "
                           f"({100 * o['min']:.1f}–{100 * o['max']:.1f}%)")  # fmt: skip
    return out


def _dtype_speedups(results: dict[str, Any]) -> list[str]:
    out = ["", "float64 time / float32 time of autoencoder_np (medians):"]
    for block in results["workers"]:
        by_key = {(r["case"], r["dtype"]): r["times_s"]["autoencoder_np"]["median"] for r in block["runs"]}
        for (case, dtype), t32 in by_key.items():
            if dtype == "float32" and (case, "float64") in by_key:
                out.append(f"- {case}, {block['threads']} thread(s): {by_key[(case, 'float64')] / t32:.2f}×")
    return out


def _memory(results: dict[str, Any]) -> list[str]:
    out = ["", "Peak memory of one case-3 epoch in a fresh process (growth of the resident set over the data):"]
    for m in results.get("memory", []):
        if "error" in m:
            out.append(f"- {m['impl']}: {m['error']}")
            continue
        grew, held = m["growth"] / 2**20, m["held_total"] / 2**20
        out.append(
            f"- {m['impl']} {m['dtype']}: grew {grew:.0f} MiB for {held:.0f} MiB held "
            f"(parameters, gradients, Adam m and v, one batch's activations): {m['growth_over_held']:.2f}× "
            f"({m['growth_over_held_without_gradients']:.2f}× if gradients are not counted as held)"
        )
    return out


def _gowalla(results: dict[str, Any]) -> list[str]:
    """The Gowalla case: its data, the full ranking's time against an epoch's, and the memory of training."""
    out = []
    for block in results["workers"]:
        for run in block["runs"]:
            evaluation = run.get("evaluation")
            if run["case"] != "gowalla" or evaluation is None:
                continue
            epoch = run["times_s"]["autoencoder_np"]["median"]
            ranking = evaluation["times_s"]["median"]
            metrics = evaluation["metrics"]
            other = run["extra_load"].get("other_cores_busy")
            gather = run["ratio_ours_over"].get("dense-first-layer")
            layer = run.get("first_layer_s")
            if gather is not None and layer is not None:
                dense, torch = (run["times_s"].get(n, {}).get("median") for n in ("dense-first-layer", "pytorch"))
                like = "" if torch is None else f" (that one / PyTorch's epoch: {dense / torch:.2f})"
                out.append(
                    f"- Gowalla, {block['threads']} thread(s): our epoch / the same epoch with the first layer's "
                    f"dense products {_r(gather)}{like}; on one batch ({100 * layer['density']:.3f}% "
                    f"non-zero) forward {_s(layer['gather forward'])} against {_s(layer['dense forward'])} dense, "
                    f"forward and dL/dW {_s(layer['gather forward and dL/dW'])} against "
                    f"{_s(layer['dense forward'] + layer['dense dL/dW'])}"
                )
            out.append(
                f"- Gowalla, {block['threads']} thread(s): ranking all {evaluation['users']} users (forward, top 20, "
                f"metrics) {_t(evaluation['times_s'])}, {ranking / epoch:.2f}× our epoch of {_s(epoch)}; "
                f"Recall@20 {metrics['plain_recall@20']:.4f}, NDCG@20 {metrics['ndcg@20']:.4f} after the timed epochs"
                f"{'' if other is None else f'; other load {other:.2f} cores'}"
            )
    m = results.get("gowalla_memory")
    if m is not None:
        if "error" in m:
            out.append(f"- Gowalla memory: {m['error']}")
        else:
            mib = 2**20
            held = ", ".join(f"{k.replace('_', ' ')} {v / mib:.0f}" for k, v in m["held"].items())
            out.append(
                f"- Gowalla memory (MultVAE.fit with validation, {m['epochs']} epochs, then the full ranking, in a "
                f"fresh process): peak {m['peak_fit'] / mib:.0f} MiB in fit, {m['peak_ranking'] / mib:.0f} MiB after "
                f"the ranking; {m['rss_before_data'] / mib:.0f} MiB before the data (interpreter, libraries); held "
                f"{m['held_total'] / mib:.0f} MiB ({held}); (peak − before) / held = {m['peak_over_held']:.2f}"
            )
    if out:
        source = next((r["source"] for b in results["workers"] for r in b["runs"] if r.get("source")), None)
        out = ["", f"Gowalla case{f' ({source})' if source else ''}:", *out]
    return out


def _machine(results: dict[str, Any]) -> list[str]:
    facts = results["workers"][0]["machine"] if results["workers"] else {}
    blas = facts.get("blas", {})
    blas = f"{blas.get('name')} {blas.get('version')}" if isinstance(blas, dict) else str(blas)
    pools = facts.get("threadpools", [])
    kernels = {f"{p.get('internal_api')} {p.get('architecture') or ''}".strip() for p in pools if isinstance(p, dict)}
    keras = facts.get("keras", {})
    return [
        "",
        f"Machine: {facts.get('cpu')}, {facts.get('cores')} cores; NumPy {facts.get('numpy')} with {blas} "
        f"(thread pools: {', '.join(sorted(kernels)) or 'unknown: no threadpoolctl'}); "
        f"PyTorch {facts.get('torch', {}).get('version', '–')}; scikit-learn {facts.get('sklearn', '–')}; "
        f"Keras {keras.get('version', '–')} ({keras.get('backend', '–')} backend"
        f"{' ' + keras['tensorflow'] if 'tensorflow' in keras else ''}); "
        f"load average at start {results.get('loadavg_start')}.",
    ]


def scaling_figure(results: dict[str, Any], path: str) -> str | None:
    """Epoch time against the number of items, per thread count and dtype; returns the path or None."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = [b for b in results["workers"] if any(r["items"] for r in b["runs"])]
    if not blocks:
        return None
    fig, axes = plt.subplots(1, len(blocks), figsize=(5.5 * len(blocks), 4), squeeze=False)
    for ax, block in zip(axes[0], blocks, strict=True):
        for dtype, style in (("float32", "-"), ("float64", "--")):
            runs = sorted((r for r in block["runs"] if r["items"] and r["dtype"] == dtype), key=lambda r: r["items"])
            items = [r["items"] for r in runs]
            for name, marker in (("autoencoder_np", "o"), ("pytorch", "s")):
                if runs and name in runs[0]["times_s"]:
                    ax.plot(items, [r["times_s"][name]["median"] for r in runs], style, marker=marker,
                            label=f"{name} {dtype}")  # fmt: skip
            limits = [r["gemm_limit"]["seconds"]["median"] for r in runs]
            ax.plot(items, limits, style, color="grey", label=f"GEMM limit {dtype}")
        ax.set(xscale="log", yscale="log", xlabel="items", ylabel="seconds per epoch",
               title=f"Mult-DAE epoch, {block['threads']} thread(s)")  # fmt: skip
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
