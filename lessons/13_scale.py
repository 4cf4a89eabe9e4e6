# %% [markdown]
# # Lesson 13 · Scale
#
# How far do these models go on one CPU? An autoencoder recommender reads every user's row over *all*
# items, so the work of an epoch grows with users × items. We count that work, measure it as the data
# grows, compare float32 with float64, and store a user's row, 99% zeros, as a sparse matrix (CSR): what
# it saves in memory and in the first product. Last, memory: what dense matrices and EASE's item × item
# matrix cost.
#
# Times depend on the machine and on whatever else runs on it: read the ratios and the shapes of the
# curves, not the seconds. For steady numbers give NumPy one thread, e.g.
# `OPENBLAS_NUM_THREADS=1 python lessons/13_scale.py` (on a busy machine two threads can be many
# times slower than one).
#
# You need: lessons 1 to 12 (Dense's three matrix products from lesson 2; Mult-DAE and EASE from lesson 11).

# %%
import os
import time
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

import autoencoder_np as ae
from autoencoder_np import recsys as rs
from autoencoder_np.lesson import Lesson
from autoencoder_np.sparse import CSR

lesson = Lesson("13_scale")

# %% [markdown]
# ## Step 1 · Counting the work of an epoch
# Lesson 2: a Dense layer (in → out) on a batch of b rows does three matrix products, each of b·in·out
# multiply-adds (2·b·in·out floating-point operations, *FLOPs*):
#
#     forward  y = x W          backward  dL/dW = xᵀ G,   dL/dx = G Wᵀ
#
# Over an epoch the batches add up to all U users. Mult-DAE with one hidden layer of h units has two
# Dense layers, items → h and h → items; `fit` skips dL/dx of the first (nobody reads the gradient of the
# data), so an epoch costs
#
#     2·U·I·h · (2 + 3) = 10·U·I·h FLOPs
#
# plus work proportional to U·I (dropout, the softmax over every item), which is small beside it.

# %%
lesson.step()
hidden = 200


def epoch_flops(users: int, items: int) -> float:
    """Matrix-product FLOPs of one epoch of an items → hidden → items network (first layer: no dL/dx)."""
    products = {(items, hidden): 2, (hidden, items): 3}  # (in, out) of each Dense: how many products
    return sum(2.0 * users * n_in * n_out * count for (n_in, n_out), count in products.items())


data = lesson.ratings()
X_data = data.binarize(3.5).astype(np.float32)
sizes = {
    "this data": X_data.shape,
    "MovieLens-100K": (943, 1682),
    "MovieLens-1M": (6040, 3706),
    "MovieLens-20M": (138_493, 26_744),
}
for name, (users, items) in sizes.items():
    print(f"  {name:<15} {users:>7} users × {items:>6} items: {epoch_flops(users, items) / 1e9:>9.1f} GFLOP per epoch")
formula_gap = abs(epoch_flops(1000, 500) - 10 * 1000 * 500 * hidden)
threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "not set (BLAS decides)"
print(f"BLAS threads: {threads}")

# %% [markdown]
# ## Step 2 · Measuring: the cost follows users × items
# Dense arithmetic does not care which numbers it multiplies, so random clicks at the data's density do
# for timing. We build `rs.MultDAE`'s network (hidden 200) and time one more epoch of its `fit` (batches
# of 100, Adam, the multinomial loss) as the items grow with the users fixed, and as the users grow with
# the items fixed, in float32 and float64, keeping the fastest of a few runs (the one least disturbed by
# other work on the machine).

# %%
lesson.step()
density = float(X_data.mean())
repeats = lesson.pick(full=3, fast=1)
base_users = lesson.pick(full=1000, fast=400)
grown = lesson.pick(full=(500, 1000, 2000, 4000), fast=(250, 500, 1000, 2000))
rng = np.random.default_rng(0)


def clicks(users: int, items: int) -> np.ndarray:
    """A random 0/1 matrix at the data's density, at least one click per user."""
    X = (rng.random((users, items), dtype=np.float32) < density).astype(np.float32)
    X[np.arange(users), rng.integers(0, items, users)] = 1.0
    return X


def fastest(run: Callable[[], object]) -> float:
    """The shortest wall-clock time of ``repeats`` calls of ``run``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def epoch_seconds(X: np.ndarray, dtype: str, *, textbook: bool = False) -> float:
    """The time of one training epoch of Mult-DAE's network on X (built, and its buffers allocated, before):
    ``fit`` on the fast kernels, or with ``textbook`` the plain loop ``ae.textbook.fit`` on the textbook ones."""
    network = rs.MultDAE(hidden=(hidden,), epochs=1, batch_size=100, dtype=dtype, seed=0).fit(X).network_
    X = X.astype(dtype)  # so fit converts nothing

    def epoch() -> None:
        network.fit(X, epochs=1, batch_size=100, optimizer=ae.Adam(lr=1e-3), loss=ae.MultinomialLoss(), verbose=0)

    def plain_epoch() -> None:
        ae.textbook.fit(network, X, loss=ae.MultinomialLoss(), optimizer=ae.Adam(lr=1e-3), epochs=1, batch_size=100)

    if textbook:
        network.kernels = "textbook"
    return fastest(plain_epoch if textbook else epoch)


measured = {}  # (sweep, dtype) -> [(users, items, seconds)]
for sweep in ("items grow", "users grow"):
    for dtype in ("float32", "float64"):
        measured[sweep, dtype] = []
        for n in grown:
            users, items = (base_users, n) if sweep == "items grow" else (n, base_users)
            measured[sweep, dtype].append((users, items, epoch_seconds(clicks(users, items), dtype)))
data_point = {dtype: epoch_seconds(X_data, dtype) for dtype in ("float32", "float64")}
print(f"{'':>12} {'users':>6} {'items':>6} {'GFLOP':>7} {'float32 s':>10} {'float64 s':>10} {'64 / 32':>8}")
for sweep in ("items grow", "users grow"):
    for (users, items, t32), (_, _, t64) in zip(measured[sweep, "float32"], measured[sweep, "float64"], strict=True):
        flops = epoch_flops(users, items) / 1e9
        print(f"{sweep:>12} {users:>6} {items:>6} {flops:>7.2f} {t32:>10.3f} {t64:>10.3f} {t64 / t32:>8.2f}")
users, items = X_data.shape
t32, t64 = data_point["float32"], data_point["float64"]
flops = epoch_flops(users, items) / 1e9
print(f"{'this data':>12} {users:>6} {items:>6} {flops:>7.2f} {t32:>10.3f} {t64:>10.3f} {t64 / t32:>8.2f}")

# %% [markdown]
# ## Step 3 · How close to the machine's limit?
# Nearly all the FLOPs are matrix products, which NumPy hands to BLAS. So the fastest an epoch can go is
# its FLOPs at the speed of `numpy.matmul` on the same shapes: the *GEMM-bound limit*. We measure matmul
# on one batch's first product, (100 × items) @ (items × 200), and compare. float64 numbers are twice as
# wide, so a vector instruction holds half as many and memory moves half as many per byte: expect float32
# to be about twice as fast, in matmul and in the whole epoch.
#
# Every epoch so far ran `fit` on the fast kernels, the default. Last, the price of plainness: we time
# the largest epoch again, with `fit` and with the plain loop `ae.textbook.fit` on the textbook kernels,
# the functions lessons 1 to 6 read. The two compute the same numbers (tests/test_trajectories.py); the
# plain one pays for a new array for every intermediate result, Adam's update one parameter at a time,
# the first layer's dL/dx that nobody reads, and a NaN scan of every layer's input.
# `python -m benchmarks.run` reports the same ratio for the founding example, AutoRec and Mult-DAE.

# %%
lesson.step()
peak = {}
for dtype in ("float32", "float64"):
    a = np.ones((100, grown[-1]), dtype=dtype)
    w = np.ones((grown[-1], hidden), dtype=dtype)
    out = np.empty((100, hidden), dtype=dtype)
    np.matmul(a, w, out=out)  # warm-up
    best = min(fastest(lambda a=a, w=w, out=out: np.matmul(a, w, out=out)) for _ in range(5))
    peak[dtype] = 2 * 100 * grown[-1] * hidden / best / 1e9
achieved = {
    key: [epoch_flops(users, items) / seconds / 1e9 for users, items, seconds in values]
    for key, values in measured.items()
}
for dtype in ("float32", "float64"):
    largest = max(achieved["items grow", dtype][-1], achieved["users grow", dtype][-1])
    print(
        f"{dtype}: matmul {peak[dtype]:.1f} GFLOP/s; the largest epochs run at {largest:.1f} GFLOP/s "
        f"({largest / peak[dtype]:.0%} of it)"
    )
users, items, _ = measured["items grow", "float32"][-1]
X_largest = clicks(users, items)
for dtype in ("float32", "float64"):
    quick, plain = epoch_seconds(X_largest, dtype), epoch_seconds(X_largest, dtype, textbook=True)
    ratio = plain / quick
    print(f"{dtype}: one epoch at {users} × {items}: fit {quick:.3f} s, ae.textbook.fit {plain:.3f} s ({ratio:.1f}×)")

fig = Figure(figsize=(12, 4.5), layout="constrained")
left, right = fig.subplots(1, 2)
colours = {"float32": "tab:blue", "float64": "tab:orange"}
markers = {"items grow": "o", "users grow": "s"}
for (sweep, dtype), values in measured.items():
    work = [users * items / 1e6 for users, items, _ in values]
    seconds = [s for *_, s in values]
    left.plot(work, seconds, marker=markers[sweep], color=colours[dtype], label=f"{dtype}, {sweep}")
    right.plot(work, achieved[sweep, dtype], marker=markers[sweep], color=colours[dtype], label=f"{dtype}, {sweep}")
for dtype, seconds in data_point.items():
    left.plot(users * items / 1e6, seconds, "*", markersize=14, color=colours[dtype], label=f"{dtype}, this data")
largest = max(u * i for u, i, _ in measured["items grow", "float32"]) / 1e6
reference = np.array([largest / 16, largest])
left.plot(
    reference,
    measured["items grow", "float32"][-1][2] * reference / largest,
    color="gray",
    linestyle="--",
    label="∝ users × items",
)
for dtype, value in peak.items():
    right.axhline(value, color=colours[dtype], linestyle=":", label=f"numpy.matmul, {dtype}")
ticks = sorted({round(users * items / 1e6, 3) for values in measured.values() for users, items, _ in values})
for ax in (left, right):
    ax.set_xscale("log")
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("users × items (millions)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper left" if ax is left else "center right")
left.set_yscale("log")
left.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
left.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else ""))
left.set_ylabel("seconds per epoch (fastest run)")
left.set_title(f"one Mult-DAE epoch (hidden {hidden}): the cost follows users × items")
right.set_ylabel("achieved GFLOP/s (epoch FLOPs / time)")
right.set_ylim(bottom=0)
right.set_title("how much of the matrix-product speed the epoch reaches")
lesson.save(fig, "epoch_cost.png")

# %% [markdown]
# ## Step 4 · float32 computes the same, in half the bytes
# Speed aside, float32 must not change what is learned beyond rounding (lesson 4 showed where float32
# fails: a naive log; the library's losses avoid it). One epoch from the same weights and batches in
# both precisions: the losses agree to float32's precision, and every array takes half the memory.

# %%
lesson.step()
X_small = X_data[: min(len(X_data), 400)]
runs = {
    dtype: rs.MultDAE(hidden=(64,), epochs=1, batch_size=100, dtype=dtype, seed=0).fit(X_small)
    for dtype in ("float32", "float64")
}
scores = {dtype: model.score(X_small).astype(np.float64) for dtype, model in runs.items()}
score_gap = float(np.max(np.abs(scores["float32"] - scores["float64"])) / np.max(np.abs(scores["float64"])))
bytes_ = {dtype: model.network_.flat.params.nbytes for dtype, model in runs.items()}
print(f"largest relative difference of the scores after one epoch: {score_gap:.1e}")
print(f"parameter bytes: float32 {bytes_['float32']:,}, float64 {bytes_['float64']:,}")

# %% [markdown]
# ## Step 5 · Sparse rows: CSR, and the first product
# A user's row is mostly zeros. A CSR (compressed sparse row, `autoencoder_np.sparse.CSR`) keeps only
# the entries that are not zero, row after row, in three arrays: `indptr` (row r's entries sit at
# positions indptr[r] … indptr[r+1] − 1), `indices` (their columns) and `values`. It takes
# 8·(users + 1) + 12·clicks bytes in float32 instead of 4·users·items.
#
# `fit` takes the CSR and densifies one minibatch at a time into a buffer it reuses. The network sees
# the same dense batches, so training from the CSR gives, bit for bit, the parameters of training from
# the dense matrix, and the users × items matrix is never dense in memory (Gowalla's 29 858 users ×
# 40 981 items: 10 MB as a CSR, 4.9 GB dense). The recommenders always train this way.
#
# The first product x W need not multiply all the zeros either: it is the sum of W's rows at the
# user's items. We time that gather against BLAS's dense product on one batch, at the data's density
# and at 1%. The recommenders' first layer (`rs.SparseInputDense`) gathers below 1% density, and
# computes dL/dW the same way (row j sums the batch's users of item j). The output layer (h → items) and
# the softmax give *every* item a score, so they stay dense: the share of the first product in an
# epoch bounds what the gather can save (Amdahl's law).

# %%
lesson.step()
X_csr = CSR.from_dense(X_small)
first = X_csr.rows([0, 1, 2])
print(f"the first 3 users as a CSR: indptr {first.indptr.tolist()}")
print(f"  indices {first.indices[:6].tolist()} …")
print(f"  values  {first.values[:6].tolist()} …")
print(f"{X_small.shape[0]} users: dense {X_small.nbytes:,} bytes, CSR {X_csr.nbytes:,} bytes "
      f"({X_csr.nbytes / X_small.nbytes:.1%})")  # fmt: skip
twins = [
    ae.Autoencoder.from_sizes([X_small.shape[1], 64], hidden_activation="tanh", output_activation="identity", seed=0)
    for _ in range(2)
]
for twin, X_in in zip(twins, (X_small, X_csr), strict=True):
    twin.fit(X_in, epochs=2, batch_size=100, loss="multinomial", seed=0, verbose=0)
same_training = bool(np.array_equal(twins[0].flat.params, twins[1].flat.params))
print(f"two epochs from the dense X and from the CSR, same parameters: {same_training}")
items = grown[-1]
W1 = rng.standard_normal((items, hidden)).astype(np.float32)
sparse_gap = 0.0
for row_density in (density, 0.01):
    batch = (rng.random((100, items)) < row_density).astype(np.float32)
    batch[np.arange(100), rng.integers(0, items, 100)] = 1.0  # every row has an item
    rows, columns = np.nonzero(batch)
    starts = np.searchsorted(rows, np.arange(len(batch)))

    def gathered(columns: np.ndarray = columns, starts: np.ndarray = starts) -> np.ndarray:
        """x W as, for each row, the sum of W's rows for the row's items."""
        return np.add.reduceat(W1[columns], starts, axis=0)

    dense_time = fastest(lambda batch=batch: batch @ W1)
    gather_time = fastest(gathered)
    sparse_gap = max(sparse_gap, float(np.max(np.abs(gathered() - batch @ W1))))
    print(
        f"batch of 100 × {items} at {batch.mean():.1%} density: dense x W {dense_time * 1e3:.2f} ms, "
        f"gathered rows {gather_time * 1e3:.2f} ms ({gather_time / dense_time:.2f}× the dense time)"
    )
first_batch = np.ones((100, items), np.float32)  # a dense product's time does not depend on the values
share = fastest(lambda: first_batch @ W1) * (base_users / 100) / measured["items grow", "float32"][-1][2]
print(
    f"the first product is {share:.0%} of a float32 epoch ({base_users} users × {items} items): even if it were "
    f"free, the epoch would be at most {share:.0%} shorter"
)

# %% [markdown]
# ## Step 6 · Memory
# Dense matrices cost users × items × 4 bytes in float32 (8 in float64), whatever their density. EASE
# needs XᵀX and its inverse, two items × items float64 matrices: 16·items² bytes. Past `max_items`
# (20 000) it refuses with a message instead of exhausting the machine's memory.

# %%
lesson.step()
for name, (users, items) in sizes.items():
    print(
        f"  {name:<15} X float32 {users * items * 4 / 1e6:>9,.0f} MB   EASE 16·items² {16 * items**2 / 1e6:>9,.0f} MB"
    )
try:
    rs.EASE().fit(np.zeros((1, 30_000), dtype=np.float32))  # refused before anything big is allocated
    refusal = ""
except ValueError as err:
    refusal = str(err)
print(f"EASE() on one user × 30 000 items: {refusal}")

# %% [markdown]
# ## Self-checks
# (No self-check here depends on a time: times vary with the machine and its load.)

# %%
lesson.step()
lesson.check("the FLOP count is 10·users·items·hidden", formula_gap == 0)
lesson.check("every size was measured", all(len(v) == len(grown) for v in measured.values()))
lesson.check("float32 and float64 learn the same in one epoch", score_gap < 1e-3, f"{score_gap:.1e}")
lesson.check("float32 parameters take half the bytes", 2 * bytes_["float32"] == bytes_["float64"])
lesson.check("training from the CSR equals training from the dense matrix", same_training)
csr_formula = 8 * (X_small.shape[0] + 1) + 12 * X_csr.nnz
lesson.check("the CSR takes 8·(users + 1) + 12·clicks bytes", X_csr.nbytes == csr_formula)
lesson.check("the gathered product equals the dense one", sparse_gap < 1e-3, f"{sparse_gap:.1e}")
lesson.check("EASE refuses past max_items, saying why", "GB" in refusal and "max_items" in refusal)
lesson.finish()
