# %% [markdown]
# # Lesson 3 · Activations: ReLU, sigmoid and tanh
#
# Lesson 1's autoencoder put a ReLU after its encoder's Dense layer and a Sigmoid after its decoder's.
# This lesson says why a network needs them, what each computes, its derivative (which is all backward
# needs), and the two places where derivatives misbehave: ReLU's *kink* at 0, where it has none, and the
# *saturation* of sigmoid and tanh, where it is almost 0 and learning stalls.
#
# Every layer here runs the textbook kernels (lesson 2): we pass each one through `textbook(layer)`,
# which sets `layer.kernels = "textbook"`. The formulas live in autoencoder_np/textbook/activations.py,
# a forward and a backward function per activation, one or two lines each: open it beside this lesson.
#
# You need: lesson 2 (backward, the upstream gradient G = dL/dy, finite differences, `check_layer`).

# %%
import warnings

import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson

lesson = Lesson("03_activations")


def textbook(layer: ae.Layer) -> ae.Layer:
    """``layer``, set to run the textbook kernels: the plain functions of autoencoder_np/textbook/."""
    layer.kernels = "textbook"
    return layer


# %% [markdown]
# ## Step 1 · Why not just Dense layers?
# Two Dense layers in a row are one Dense layer in disguise:
#
#     (x W₁ + b₁) W₂ + b₂ = x (W₁W₂) + (b₁W₂ + b₂)
#
# so stacking them adds no power. An *activation* f applied entry by entry between them breaks this:
# f(x W₁ + b₁) W₂ + b₂ is not linear in x any more. Lesson 8 shows what that buys an autoencoder.

# %%
lesson.step()
rng = np.random.default_rng(0)
first, second = textbook(ae.Dense(3, 4, rng=1)), textbook(ae.Dense(4, 2, rng=2))
first.params["b"] = rng.normal(size=4)
second.params["b"] = rng.normal(size=2)
x = rng.normal(size=(5, 3))
stacked = second.forward(first.forward(x))
W1, b1, W2, b2 = first.params["W"], first.params["b"], second.params["W"], second.params["b"]
merged = x @ (W1 @ W2) + (b1 @ W2 + b2)
collapse_gap = float(np.max(np.abs(stacked - merged)))
print(f"Dense(3→4) then Dense(4→2) vs one Dense(3→2) with W = W₁W₂ {(W1 @ W2).shape}: max gap {collapse_gap:.1e}")
with_relu = second.forward(textbook(ae.ReLU()).forward(first.forward(x)))
print(f"with a ReLU between them the gap to the merged layer is {np.max(np.abs(with_relu - merged)):.2f}: not linear")

# %% [markdown]
# ## Step 2 · ReLU and its kink
#
#     ReLU(x) = max(x, 0)        ReLU′(x) = 1 for x > 0,  0 for x < 0
#
# Backward multiplies the upstream gradient by ReLU′: dL/dx = G ⊙ 1[x > 0] (⊙: entry by entry), so ReLU
# keeps its input x in the cache. At x = 0 the graph has a corner and no derivative: we take 0. A central
# difference across the corner measures (h − 0)/2h = 0.5, which is neither. The checker knows: when an
# input lies within ±h of a kink, it counts the entry as a *kink* and does not judge it.
#
# The layer calls `ae.textbook.relu_forward(x)`, which returns y and the cache {"x": x}, and
# `ae.textbook.relu_backward(G, cache)`: one line each.
#
# A unit whose input is negative for every sample passes no gradient at all and cannot learn: a *dead* unit.
# `LeakyReLU(α)` avoids that by letting αx through for x < 0 (derivative α there); it has the same kink.

# %%
lesson.step()
relu = textbook(ae.ReLU())
xs = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
print("x           =", xs[0])
print("ReLU(x)     =", relu.forward(xs)[0])
print("ReLU′(x)    =", relu.backward(np.ones_like(xs))[0], " (backward with G = 1 gives the derivative)")
relu_y, relu_cache = ae.textbook.relu_forward(xs)
relu_same = np.array_equal(relu_y, relu.forward(xs)) and np.array_equal(
    ae.textbook.relu_backward(np.ones_like(xs), relu_cache), relu.backward(np.ones_like(xs))
)
print(f"ae.textbook.relu_forward and relu_backward give the same: {relu_same}")
h = 1e-5
at_zero = (relu.forward(np.array([[h]])) - relu.forward(np.array([[-h]])))[0, 0] / (2 * h)
print(f"central difference at x = 0: {at_zero} (the corner: neither 0 nor 1)")
relu_report = ae.gradcheck.check_layer(relu, xs)
print(relu_report.summary())

# %% [markdown]
# ## Step 3 · Sigmoid, computed without overflow
#
#     σ(x) = 1 / (1 + e^(−x))      σ′(x) = σ(x) (1 − σ(x))
#
# σ squashes every number into (0, 1), which suits data in [0, 1] like lesson 1's. Its derivative is at
# most 1/4 (at x = 0) and tiny for large |x|: σ′(10) ≈ 4.5e-5. There the unit is *saturated*: whatever
# the upstream gradient, almost nothing passes back.
#
# Written naively, e^(−x) overflows for x < −709 in float64 (e^710 is beyond the largest float64). The
# library computes σ in two branches with z = e^(−|x|) ≤ 1, which never overflows:
# σ(x) = 1/(1 + z) for x ≥ 0 and z/(1 + z) for x < 0 (`ae.textbook.sigmoid`, in
# autoencoder_np/textbook/stable.py). Backward needs only the output y = σ(x): dL/dx = G ⊙ y (1 − y)
# (`ae.textbook.sigmoid_backward`), so the cache keeps y.
#
# The fast twin, which layers run by default (autoencoder_np/fast/activations.py), writes the two
# branches as one formula, max(z, 1[x ≥ 0]) / (1 + z), without `np.where`, which decides entry by entry
# and is slow on inputs of mixed signs. The two sets give the same numbers, bit for bit
# (tests/test_kernels.py).

# %%
lesson.step()
sigmoid = textbook(ae.Sigmoid())
xs = np.array([[-1000.0, -10.0, -2.0, 0.0, 2.0, 10.0, 1000.0]])
print("x       =", xs[0])
print("σ(x)    =", sigmoid.forward(xs)[0])
derivative = sigmoid.backward(np.ones_like(xs))[0]
print("σ′(x)   =", np.array2string(derivative, formatter={"float_kind": lambda v: f"{v:.1e}"}))
print(f"σ′(0) = {derivative[3]} (the largest it gets); σ′(10) = {derivative[5]:.2e}: saturated")
print("sigmoid keeps in its cache:", list(sigmoid.cache))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    naive = 1.0 / (1.0 + np.exp(-xs))
    naive_warnings = [str(w.message) for w in caught]
print(f"naive 1/(1 + exp(−x)): {naive[0]} with warnings {naive_warnings}")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    stable = sigmoid.forward(xs)
    stable_warnings = [str(w.message) for w in caught]
print(f"the library's two-branch σ: no warnings ({len(stable_warnings)}), σ(±1000) = {stable[0, [0, -1]]}")
default_sigmoid = ae.Sigmoid()  # no kernels chosen: the default set
sigmoid_sets_equal = np.array_equal(default_sigmoid.forward(xs), stable) and np.array_equal(
    default_sigmoid.backward(np.ones_like(xs)), sigmoid.backward(np.ones_like(xs))
)
print(f"a Sigmoid on the default ({default_sigmoid.kernels!r}) kernels gives the same bits: {sigmoid_sets_equal}")

# %% [markdown]
# ## Step 4 · Tanh
#
#     tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) = 2σ(2x) − 1
#     tanh′(x) = 1 − tanh(x)²
#
# tanh is a sigmoid stretched to (−1, 1): centred on 0, with a derivative up to 1 instead of 1/4. It
# saturates too, for large |x|. Like sigmoid, its backward needs only the output y: dL/dx = G ⊙ (1 − y²)
# (`ae.textbook.tanh_forward` and `tanh_backward`).

# %%
lesson.step()
tanh = textbook(ae.Tanh())
xs = np.linspace(-3, 3, 7)[None, :]
y = tanh.forward(xs)
print("x          =", xs[0])
print("tanh(x)    =", y[0])
print("tanh′(x)   =", tanh.backward(np.ones_like(xs))[0])
identity_gap = float(np.max(np.abs(y - (2 * sigmoid.forward(2 * xs) - 1))))
print(f"max |tanh(x) − (2σ(2x) − 1)| = {identity_gap:.1e}")

# %% [markdown]
# ## Step 5 · Every activation, checked
# Finite differences on random inputs, as in lesson 2. ReLU-like layers report the entries where the
# nudge crossed the kink; we put one input exactly at 0 to see it counted.

# %%
lesson.step()
xs = np.random.default_rng(3).uniform(-3, 3, size=(4, 5))
xs[0, 0] = 0.0  # exactly on ReLU's kink
reports = {}
for layer in (ae.ReLU(), ae.LeakyReLU(0.1), ae.Sigmoid(), ae.Tanh()):
    layer = textbook(layer)
    reports[repr(layer)] = ae.gradcheck.check_layer(layer, xs)
    print(reports[repr(layer)].summary())

# %% [markdown]
# ## Step 6 · Figure: each function and its derivative
# Top row: the functions. Bottom row: the derivative as backward computes it (line) and as central
# differences measure it (dots). Shaded: where the derivative is below 0.01, the saturated zone.

# %%
lesson.step()
grid = np.linspace(-6, 6, 601)[None, :]
coarse = np.linspace(-6, 6, 25)[None, :]  # includes 0
fig = Figure(figsize=(11, 6), layout="constrained")
axes = fig.subplots(2, 3, sharex=True)
for column, layer in enumerate((textbook(ae.ReLU()), textbook(ae.Sigmoid()), textbook(ae.Tanh()))):
    values = layer.forward(grid)[0]
    slope = layer.backward(np.ones_like(grid))[0]
    numeric = (layer.forward(coarse + h) - layer.forward(coarse - h))[0] / (2 * h)
    top, bottom = axes[0, column], axes[1, column]
    top.plot(grid[0], values)
    top.set_title(repr(layer))
    bottom.plot(grid[0], slope, label="backward (analytic)")
    bottom.plot(coarse[0], numeric, "o", markersize=4, label="central difference")
    saturated = slope < 0.01
    if not isinstance(layer, ae.ReLU):
        bottom.fill_between(grid[0], 0, 1, where=saturated, color="orange", alpha=0.2, label="saturated: f′ < 0.01")
    else:
        bottom.annotate("kink: numeric 0.5", (0, 0.5), (1.2, 0.55), arrowprops={"arrowstyle": "->"})
    bottom.set_xlabel("x")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
axes[0, 0].set_ylabel("f(x)")
axes[1, 0].set_ylabel("f′(x)")
axes[1, 1].legend(fontsize="small")
lesson.save(fig, "activations.png")

# %% [markdown]
# ## Step 7 · Saturation through depth
# Backward multiplies by f′ once per layer. With sigmoid, f′ ≤ 1/4, so the gradient reaching the first
# layers of a deep stack shrinks layer after layer: the *vanishing gradient*. We stack six
# Dense(32→32) + activation layers, pass a batch forward, send a random G back, and measure the size
# (Frobenius norm) of each Dense layer's dL/dW. With sigmoid the first layer's gradient comes out
# hundreds to thousands of times smaller than the last one's; with tanh and ReLU it stays about the same
# size.

# %%
lesson.step()
x_batch = np.random.default_rng(4).normal(size=(64, 32))
norms = {}
for name in ("sigmoid", "tanh", "relu"):
    layers = []
    for depth in range(6):
        layers += [ae.Dense(32, 32, rng=depth), ae.activations.get(name)]
    stack = ae.Sequential(layers, kernels="textbook")
    out = stack.forward(x_batch)
    stack.backward(np.random.default_rng(5).normal(size=out.shape))
    norms[name] = [float(np.linalg.norm(layer.grads["W"])) for layer in stack.layers[::2]]
    ratio = norms[name][-1] / norms[name][0]
    print(f"{name:<8} |dL/dW| for layers 1…6: {np.array(norms[name])}  last/first = {ratio:.1f}")
fig = Figure(figsize=(6, 4), layout="constrained")
ax = fig.add_subplot()
for name, values in norms.items():
    ax.plot(range(1, 7), values, "o-", label=name)
ax.set_yscale("log")
ax.set_xlabel("Dense layer (1 = nearest the input)")
ax.set_ylabel("‖dL/dW‖")
ax.set_title("gradient size by depth: six Dense(32→32) + activation")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
lesson.save(fig, "gradient_by_depth.png")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("two Dense layers collapse into one", collapse_gap < 1e-12, f"max gap {collapse_gap:.1e}")
lesson.check("the central difference at ReLU's kink is 0.5", abs(at_zero - 0.5) < 1e-9, f"{at_zero}")
lesson.check("ReLU's check counts the kink instead of failing", relu_report.passed and relu_report.n_kinks == 1)
lesson.check("ReLU's layer gives the textbook functions' numbers", relu_same)
lesson.check("σ′ peaks at 1/4", derivative[3] == 0.25, f"σ′(0) = {derivative[3]}")
lesson.check("the naive sigmoid overflows at x = −1000", any("overflow" in w for w in naive_warnings))
lesson.check("the library's sigmoid does not", not stable_warnings and np.isfinite(stable).all())
lesson.check("the default kernels' sigmoid gives the same bits", sigmoid_sets_equal)
lesson.check("tanh(x) = 2σ(2x) − 1", identity_gap < 1e-12, f"max gap {identity_gap:.1e}")
for name, report in reports.items():
    lesson.check_gradients(f"{name} backward passes the check", report)
sigmoid_ratio = norms["sigmoid"][-1] / norms["sigmoid"][0]
lesson.check("sigmoid's gradient vanishes with depth", sigmoid_ratio > 100, f"last/first = {sigmoid_ratio:.0f}")
steady = all(0.2 < norms[n][-1] / norms[n][0] < 5 for n in ("tanh", "relu"))
lesson.check("tanh's and ReLU's do not", steady, "last/first within 5×")
lesson.finish()
