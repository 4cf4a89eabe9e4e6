# %% [markdown]
# # Lesson 2 · A dense layer by hand
#
# Lesson 1 trained an autoencoder whose parameters live in two `Dense` layers. Here we take one `Dense`
# layer apart on a 2×3 example small enough to follow with pencil and paper:
# its forward pass y = x W + b, the three backward equations derived entry by entry, and the test that
# proves them: finite differences, written from scratch, then the library's checker. Last, a layer with a
# bug, and how the check points at it.
#
# The layer here runs the *textbook kernels*: two plain functions, `dense_forward` and `dense_backward` in
# autoencoder_np/textbook/dense.py, one line per equation. Open that file beside this lesson: it is the
# code that computes every number below (and the code an assignment asks you to write).
#
# You need: lesson 1 (what forward, backward, `params`, `grads` and `cache` are for), and the chain rule.

# %%
import numpy as np

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson
from autoencoder_np.plotting import gradcheck_figure

lesson = Lesson("02_dense_layer")

# %% [markdown]
# ## Step 1 · Forward: y = x W + b
# A batch x holds one sample per row: shape (batch, in). W has shape (in, out) and b shape (out,):
#
#     y_nj = Σ_i x_ni W_ij + b_j          y: (batch, out)
#
# Every output j of sample n is a weighted sum of that sample's inputs, plus a bias. b is added to every
# row (NumPy *broadcasts* it over the batch). Our example: 2 samples of 3 features, 2 outputs.
#
# A layer's `forward` checks its input, then calls one function that holds the equation. We set
# `layer.kernels = "textbook"`, so ours calls `ae.textbook.dense_forward(x, W, b)`. It returns y and a
# *cache*, the dict of what backward will need. Calling the function ourselves gives the layer's y exactly.

# %%
lesson.step()
x = np.array([[1.0, 2.0, -1.0], [0.0, 3.0, 2.0]])  # (batch=2, in=3)
W = np.array([[0.5, -1.0], [2.0, 0.25], [-1.0, 1.0]])  # (in=3, out=2)
b = np.array([0.1, -0.2])  # (out=2,)

layer = ae.Dense(3, 2)
layer.kernels = "textbook"  # run the plain functions of autoencoder_np/textbook/
layer.params["W"] = W  # assigning copies the values into the layer's own array
layer.params["b"] = b
y = layer.forward(x)
print("x =", x, sep="\n")
print("W =", W, sep="\n")
print("b =", b)
print(f"y[0, 0] = x00·W00 + x01·W10 + x02·W20 + b0 = 1·0.5 + 2·2 + (−1)·(−1) + 0.1 = {1 * 0.5 + 2 * 2 + 1 + 0.1}")
print("y = layer.forward(x) =", y, sep="\n")
y_by_hand = x @ W + b
y_by_function, cache = ae.textbook.dense_forward(x, W, b)
print(f"x @ W + b gives the same: {np.array_equal(y, y_by_hand)}")
print(f"ae.textbook.dense_forward(x, W, b): the same y: {np.array_equal(y, y_by_function)}; cache {list(cache)}")

# %% [markdown]
# ## Step 2 · Backward: the three equations, derived
# The layer sits inside a bigger computation that ends in a scalar loss L. Backward receives the
# *upstream gradient* G = dL/dy (shape of y) and must return dL/dx and store dL/dW and dL/db. To test it
# alone we choose L = Σ_nj G_nj y_nj: then dL/dy is exactly G, whatever G we pick. By the chain rule,
# summing over every y_nj that depends on the quantity:
#
#     ∂L/∂W_ij = Σ_n G_nj ∂y_nj/∂W_ij = Σ_n G_nj x_ni ⇒ dL/dW = xᵀ G   (in, out)
#     ∂L/∂b_j  = Σ_n G_nj ∂y_nj/∂b_j  = Σ_n G_nj      ⇒ dL/db = Σ_n G_n (out,)
#     ∂L/∂x_ni = Σ_j G_nj ∂y_nj/∂x_ni = Σ_j G_nj W_ij ⇒ dL/dx = G Wᵀ   (batch, in)
#
# The bias gradient is a sum over the batch: b is added to every row. A check you can do in your head:
# each gradient has the shape of what it is the gradient of, and in each case only one arrangement of
# the matrix product gives that shape.
#
# The layer's backward calls `ae.textbook.dense_backward(G, cache)`, three lines in the same file, which
# returns (dL/dx, dL/dW, dL/db); the layer keeps the last two in its `grads`.
#
# Without `kernels="textbook"` a layer runs the *fast* twins, in autoencoder_np/fast/dense.py: the
# default, which `demo` and the recommenders run. They add b in place, write the gradients
# straight into the layer's arrays and sum dL/db with a matrix product. The two sets compute the same
# numbers, up to rounding in the last bit: tests/test_kernels.py proves each pair equal on shapes and
# values hypothesis draws, and tests/test_trajectories.py trains a model both ways to the same weights.

# %%
lesson.step()
G = np.array([[1.0, -2.0], [0.5, 3.0]])  # dL/dy, (batch=2, out=2)
print("G = dL/dy =", G, sep="\n")
print(f"dL/dW[0, 0] = G00·x00 + G10·x10 = 1·1 + 0.5·0 = {G[0, 0] * x[0, 0] + G[1, 0] * x[1, 0]}")
print(f"dL/db[1]    = G01 + G11 = −2 + 3 = {G[0, 1] + G[1, 1]}")
print(f"dL/dx[1, 2] = G10·W20 + G11·W21 = 0.5·(−1) + 3·1 = {G[1, 0] * W[2, 0] + G[1, 1] * W[2, 1]}")
dW, db, dx = x.T @ G, G.sum(axis=0), G @ W.T
print("xᵀG =", dW, sep="\n")
print("Σ_batch G =", db)
print("G Wᵀ =", dx, sep="\n")
grad_x = layer.backward(G)
print("layer.backward(G) returns dL/dx and fills layer.grads['W'] and layer.grads['b']:")
formula_gap = max(
    float(np.max(np.abs(layer.grads["W"] - dW))),
    float(np.max(np.abs(layer.grads["b"] - db))),
    float(np.max(np.abs(grad_x - dx))),
)
print(f"max |layer − formulas| = {formula_gap:.1e}")
by_function = dict(zip(("x", "W", "b"), ae.textbook.dense_backward(G, cache), strict=True))
function_gap = max(
    float(np.max(np.abs(grad_x - by_function["x"]))),
    float(np.max(np.abs(layer.grads["W"] - by_function["W"]))),
    float(np.max(np.abs(layer.grads["b"] - by_function["b"]))),
)
print(f"ae.textbook.dense_backward(G, cache) = the layer's gradients: max gap {function_gap:.1e}")

default_layer = ae.Dense(3, 2)  # no kernels chosen: the default set
default_layer.params["W"], default_layer.params["b"] = W, b
sets_gap = max(
    float(np.max(np.abs(default_layer.forward(x) - y))),
    float(np.max(np.abs(default_layer.backward(G) - grad_x))),
    float(np.max(np.abs(default_layer.grads["W"] - layer.grads["W"]))),
    float(np.max(np.abs(default_layer.grads["b"] - layer.grads["b"]))),
)
print(f"a Dense left at the default runs the {default_layer.kernels!r} kernels: max gap to ours {sets_gap:.1e}")

# %% [markdown]
# ## Step 3 · Proof by finite differences, from scratch
# A derivative is a slope. Nudge one number θ up and down by a small h and measure:
#
#     ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h
#
# This *central difference* errs by a term that shrinks like h² (lesson 7). It needs only the forward pass,
# so it is an independent witness for backward. Our own loop does it for every entry of an array; we compare
# with backward by the *relative error* |a − n| / max(|a|, |n|), which does not care how big the gradient
# is. In float64, with h ≈ 1e-5, expect relative errors around 1e-10 or below when backward is right; above
# 1e-4 it is almost surely wrong.

# %%
lesson.step()


def loss_of_layer() -> float:
    """L = Σ G ⊙ y, for the layer's current W, b and the current x."""
    return float(np.sum(G * layer.forward(x)))


def numeric_gradient(array: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of loss_of_layer with respect to every entry of ``array`` (changed in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        L_plus = loss_of_layer()
        array[index] = original - h
        L_minus = loss_of_layer()
        array[index] = original  # put it back
        grad[index] = (L_plus - L_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, n: np.ndarray) -> float:
    """The largest |a − n| / max(|a|, |n|) over the entries (entries where both are 0 count as 0)."""
    scale = np.maximum(np.abs(a), np.abs(n))
    return float(np.max(np.divide(np.abs(a - n), scale, out=np.zeros_like(scale), where=scale > 0)))


layer.forward(x)
layer.backward(G)
analytic = {"W": layer.grads["W"].copy(), "b": layer.grads["b"].copy(), "x": layer.backward(G)}
numeric = {
    "W": numeric_gradient(layer.params["W"]),
    "b": numeric_gradient(layer.params["b"]),
    "x": numeric_gradient(x),
}
own_errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
print("one entry: W[0, 0] nudged by h = 1e-5 →", f"{numeric['W'][0, 0]:.12f} (backward says {analytic['W'][0, 0]})")
for name, error in own_errors.items():
    print(f"dL/d{name}: numeric {numeric[name].ravel()}  relative error {error:.1e}")

library_numeric = ae.gradcheck.numerical_gradient(lambda _: loss_of_layer(), layer.params["W"])
library_gap = float(np.max(np.abs(library_numeric - numeric["W"])))
print(f"the library's numerical_gradient on W agrees with ours to {library_gap:.1e} (it picks a slightly different h)")

# %% [markdown]
# ## Step 4 · The library's checker
# `ae.gradcheck.check_layer(layer, x)` does all of the above for x and every parameter: it draws a random G
# (or takes ours), compares backward with central differences entry by entry, and prints one row per
# gradient. Columns: the largest and the median relative error, the worst entry with its analytic and
# numeric values, kinks (lesson 3), and a verdict band (CS231n: above 1e-2 probably wrong; 1e-2…1e-4
# uncomfortable; 1e-4…1e-7 fine where there are kinks; below 1e-7 good). It also knows the size of the
# rounding noise in the finite differences themselves: a difference below that noise counts as 0. So
# where step 3 measured relative errors of about 1e-10, the table prints 0.00e+00: nothing measurable is
# wrong (lesson 7 computes the noise).

# %%
lesson.step()
report = ae.gradcheck.check_layer(layer, x, grad_y=G)
print(report)
raw_errors = {row.name: relative_error(row.analytic, row.numeric) for row in report.rows}
print(
    "the same rows' relative errors before the noise floor:", ", ".join(f"{n} {e:.0e}" for n, e in raw_errors.items())
)

# %% [markdown]
# ## Step 5 · A layer with a bug
# A classic mistake: averaging the bias gradient over the batch instead of summing it. The loss is a sum
# over the samples, so every sample's contribution must be added. We write the buggy layer as a subclass
# of `Dense` and check it. Only the `b` row fails, and the ratio analytic/numeric is 1/2 = 1/batch: a
# division by the batch size that should not be there. The checker spots such patterns and prints them as
# `hint:` lines, each with the numbers behind it; with a batch of 2, "halved" fits as well as "1/batch".
#
# The figure shows both checks. Top: backward's value against the finite difference, entry by entry (on
# the diagonal when they agree). Bottom: each entry's relative error before the noise floor, so the
# correct layer's entries sit near 1e-10 where its table prints 0, and the bug's b entries sit at 0.5.

# %%
lesson.step()


class MeanInsteadOfSum(ae.Dense):
    """Dense with a wrong bias gradient."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x, W = self.cache["x"], self.params["W"]
        self.grads["W"] = x.T @ grad_y
        self.grads["b"] = grad_y.mean(axis=0)  # the bug: should be grad_y.sum(axis=0)
        return grad_y @ W.T


buggy = MeanInsteadOfSum(3, 2)
buggy.params["W"], buggy.params["b"] = W, b
buggy_report = ae.gradcheck.check_layer(buggy, x, grad_y=G)
print(buggy_report)
ratio = buggy_report["b"].analytic / buggy_report["b"].numeric
print(f"analytic / numeric for b: {ratio} → 1/{x.shape[0]}: a mean where a sum belongs")
lesson.save(
    gradcheck_figure({"Dense(3→2), correct backward": report, "bias gradient averaged (bug)": buggy_report}),
    "dense_gradcheck.png",
)

# %% [markdown]
# ## Step 6 · Any size, random numbers
# Our example used hand-picked numbers. A layer must be right for every shape: the same check on a
# random Dense(6→4) with a batch of 5 and a random G.

# %%
lesson.step()
rng = np.random.default_rng(0)
random_layer = ae.Dense(6, 4, rng=1)
random_layer.kernels = "textbook"
random_report = ae.gradcheck.check_layer(random_layer, rng.normal(size=(5, 6)), seed=2)
print(random_report)

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("forward is x W + b", np.array_equal(y, y_by_hand), "exact")
lesson.check("backward gives xᵀG, Σ G, G Wᵀ", formula_gap < 1e-12, f"max gap {formula_gap:.1e}")
lesson.check(
    "the layer's numbers are the textbook functions'", np.array_equal(y, y_by_function) and function_gap == 0.0
)
lesson.check("the default kernels give the same numbers", sets_gap < 1e-15, f"max gap {sets_gap:.1e}")
worst_own = max(own_errors.values())
lesson.check("our finite differences agree with backward", worst_own < 1e-8, f"max relative error {worst_own:.1e}")
lesson.check("the library's numerical_gradient agrees with ours", library_gap < 1e-8, f"{library_gap:.1e}")
lesson.check_gradients("check_layer passes the correct layer", report)
worst_raw = max(raw_errors.values())
lesson.check("its errors before the noise floor are good", worst_raw < 1e-7, f"at most {worst_raw:.0e}")
failing = [row.name for row in buggy_report.rows if not row.passed]
lesson.check("check_layer fails the buggy layer on b only", failing == ["b"], f"failing rows: {failing}")
lesson.check("the buggy ratio is 1/batch", np.allclose(ratio, 1 / x.shape[0]), f"{ratio}")
lesson.check("the checker hints at the missing sum", any("sum over the batch" in h for h in buggy_report.hints))
lesson.check_gradients("a random Dense(6→4) passes", random_report)
lesson.finish()
