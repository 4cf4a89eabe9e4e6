# %% [markdown]
# # Lesson 4 · Losses: MSE, cross-entropy, and why the logits form is stable
#
# The loss turns "how wrong is x̂?" into one number L, and its backward gives the first gradient,
# dL/dx̂, that every layer's backward then passes on. Lesson 1 used the mean squared error. Here: MSE for
# continuous data; cross-entropy for binary data (0/1 pixels, clicked or not); why cross-entropy pairs so
# well with a sigmoid; and why it should be computed from the sigmoid's input (the *logits*), not from
# its output: in float32 the naive form returns inf, and even a careful one stops learning.
#
# Each loss class checks its arguments and calls the textbook functions in
# autoencoder_np/textbook/losses.py: ℓ and ℓ′ entry by entry (`mse`, `mse_derivative`, `bce`, …) and the
# mean over the entries (`masked_mean`, `masked_mean_backward`). The element-wise losses have no fast
# twins: these functions are what trains, in every model. The sigmoid layers here, and the model of step
# 6, run the textbook kernels too (`kernels="textbook"`, lessons 2 and 3).
#
# You need: lessons 2 and 3 (backward, finite differences, the sigmoid and its saturation).

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson

lesson = Lesson("04_losses")


def textbook(layer: ae.Layer) -> ae.Layer:
    """``layer``, set to run the textbook kernels: the plain functions of autoencoder_np/textbook/."""
    layer.kernels = "textbook"
    return layer


# %% [markdown]
# ## Step 1 · Mean squared error
# For a prediction p and a target t of the same shape, with n entries in all:
#
#     L = (1/n) Σ (p − t)²          dL/dp = 2 (p − t) / n
#
# The mean is over every entry, so L does not grow with the batch size. (Keras' "mse" averages each row,
# then the rows: the same number when all rows have the same length.)
#
# `MSELoss` computes it in two textbook steps: ℓ = (p − t)² for every entry (`ae.textbook.mse`), then
# the mean (`ae.textbook.masked_mean`); backward is ℓ′ = 2 (p − t) (`mse_derivative`) divided by n
# (`masked_mean_backward`). The "masked" mean takes an optional 0/1 mask, which lesson 10 needs.

# %%
lesson.step()
pred = np.array([[0.2, 0.9, 0.4], [0.7, 0.1, 0.5]])
target = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]])
mse = ae.MSELoss()
L = mse.forward(pred, target)
by_hand = float(np.mean((pred - target) ** 2))
print(f"(p − t)² = {((pred - target) ** 2).ravel()}, n = {pred.size}")
print(f"L by hand {by_hand:.6f}, MSELoss {L:.6f}")
mse_grad_gap = float(np.max(np.abs(mse.backward() - 2 * (pred - target) / pred.size)))
print("dL/dp = 2(p − t)/n =", mse.backward().ravel(), f"(gap to the formula: {mse_grad_gap:.1e})")
by_functions = (
    ae.textbook.masked_mean(ae.textbook.mse(pred, target)),
    ae.textbook.masked_mean_backward(ae.textbook.mse_derivative(pred, target)),
)
mse_same = by_functions[0] == L and np.array_equal(by_functions[1], mse.backward())
print(f"ae.textbook: masked_mean(mse(p, t)) and its backward give the same: {mse_same}")

# %% [markdown]
# ## Step 2 · Cross-entropy for binary targets
# When each target t is 0 or 1, read the prediction p ∈ (0, 1) as the probability that t = 1. The model
# gives the observed t the probability p^t (1 − p)^(1 − t); the loss is its negative logarithm (small when
# the model was confident and right, large when confident and wrong):
#
#     ℓ = −[t log p + (1 − t) log(1 − p)]      ℓ′ = dℓ/dp = (p − t) / (p (1 − p))
#
# and L is the mean of ℓ over the entries. Predicting p = 0.5 everywhere costs log 2 ≈ 0.693 per entry:
# the first loss to expect from an untrained model. `BCELoss` calls `ae.textbook.bce` and
# `bce_derivative` (step 4 says why they clip p first).

# %%
lesson.step()
bce = ae.BCELoss()
t = target.round()  # 0/1 targets
L = bce.forward(pred, t)
by_hand = float(np.mean(-(t * np.log(pred) + (1 - t) * np.log(1 - pred))))
print("t =", t.ravel())
print(f"L by hand {by_hand:.6f}, BCELoss {L:.6f}; predicting 0.5 everywhere: log 2 = {np.log(2):.6f}")
bce_grad_gap = float(np.max(np.abs(bce.backward() - (pred - t) / (pred * (1 - pred)) / pred.size)))
print("dL/dp = (p − t)/(p(1 − p))/n =", bce.backward().ravel())

# %% [markdown]
# ## Step 3 · Cross-entropy meets the sigmoid
# With p = σ(z), the chain rule multiplies ℓ′ by σ′(z) = p (1 − p), and the two cancel:
#
#     dℓ/dz = (p − t) / (p (1 − p)) · p (1 − p) = p − t = σ(z) − t
#
# `BCEWithLogitsLoss` takes the logits z themselves and returns exactly this. Compare with MSE after a
# sigmoid: dℓ/dz = 2 (p − t) · p (1 − p). When the unit is saturated and wrong (z = −10, t = 1: p ≈ 0),
# MSE's gradient is almost 0 and the unit barely learns; cross-entropy's is −1, the largest it gets.
# (`BCEWithLogitsLoss` calls `ae.textbook.bce_with_logits` and `bce_with_logits_derivative`.)

# %%
lesson.step()
z = np.random.default_rng(0).uniform(-4, 4, size=(3, 4))
t = (np.random.default_rng(1).random((3, 4)) > 0.5).astype(float)
sigmoid, bce, logits_bce = textbook(ae.Sigmoid()), ae.BCELoss(), ae.BCEWithLogitsLoss()
bce.forward(sigmoid.forward(z), t)
chained = sigmoid.backward(bce.backward())  # ℓ′ · σ′, two backward steps
logits_bce.forward(z, t)
direct = logits_bce.backward()  # (σ(z) − t)/n, one step
chain_gap = float(np.max(np.abs(chained - direct)))
print(f"Sigmoid then BCELoss, backward twice vs BCEWithLogitsLoss: max gap {chain_gap:.1e}")
print(f"and (σ(z) − t)/n directly: max gap {np.max(np.abs(direct - (sigmoid.forward(z) - t) / z.size)):.1e}")


def per_entry_slope(loss: ae.Loss, z_value: float, t_value: float, through_sigmoid: bool) -> float:
    """dℓ/dz for one entry (n = 1), with or without a Sigmoid layer in front of the loss."""
    z1, t1 = np.array([[z_value]]), np.array([[t_value]])
    if not through_sigmoid:
        loss.forward(z1, t1)
        return float(loss.backward()[0, 0])
    layer = textbook(ae.Sigmoid())
    loss.forward(layer.forward(z1), t1)
    return float(layer.backward(loss.backward())[0, 0])


mse_slope = per_entry_slope(ae.MSELoss(), -10.0, 1.0, through_sigmoid=True)
ce_slope = per_entry_slope(ae.BCEWithLogitsLoss(), -10.0, 1.0, through_sigmoid=False)
print(f"z = −10, t = 1 (confident and wrong): MSE∘σ gives dℓ/dz = {mse_slope:.2e}, cross-entropy {ce_slope:.4f}")

zs = np.linspace(-10, 10, 401)
curves = {
    "MSE after sigmoid": [ae.MSELoss().forward(sigmoid.forward([[v]]), [[1.0]]) for v in zs],
    "cross-entropy (logits)": [ae.BCEWithLogitsLoss().forward([[v]], [[1.0]]) for v in zs],
}
slopes = {
    "MSE after sigmoid": [abs(per_entry_slope(ae.MSELoss(), v, 1.0, True)) for v in zs],
    "cross-entropy (logits)": [abs(per_entry_slope(ae.BCEWithLogitsLoss(), v, 1.0, False)) for v in zs],
}
fig = Figure(figsize=(10, 4), layout="constrained")
left, right = fig.subplots(1, 2)
for name in curves:
    left.plot(zs, curves[name], label=name)
    right.plot(zs, slopes[name], label=name)
left.set_title("loss for target t = 1")
left.set_ylabel("ℓ")
right.set_title("gradient size |dℓ/dz|: what reaches the logit z")
right.set_yscale("log")
for ax in (left, right):
    ax.set_xlabel("logit z (p = σ(z))")
    ax.axvspan(-10, -4, color="red", alpha=0.08)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
left.text(-9.7, 4, "confident\nand wrong", color="darkred")
lesson.save(fig, "loss_vs_logit.png")

# %% [markdown]
# ## Step 4 · float32: the naive form fails, the logits form does not
# float32 keeps about 7 significant digits: the smallest float32 above 1 is 1 + 1.19e-7 (its *machine
# epsilon*). So σ(20) = 1 − 2.1e-9 rounds to exactly 1.0, and for a target t = 0, log(1 − p) = log 0 = −inf:
# the naive loss is inf, and training stops. Clipping p into [ε, 1 − ε] helps only with an ε float32 can
# see: with the common ε = 1e-15, 1 − ε is 1.0 again. `BCELoss` clips with the dtype's own epsilon, so it
# stays finite, but then it is wrong (every z above ≈ 16 costs the same 15.9) and its gradient is 0,
# because the sigmoid's σ′ = p (1 − p) is 0 for p = 1.0.
#
# The logits form never computes p at all:
#
#     ℓ(z, t) = max(z, 0) − z t + log(1 + e^(−|z|))
#
# (substitute p = σ(z) in ℓ above and simplify: exercise 4a). In this form e^(−|z|) never overflows, and
# log(1 + ·) (`np.log1p`) is exact for tiny arguments. In float32 it gives the float64 answer to 7 digits,
# and its gradient σ(z) − t is 1, as it should be.

# %%
lesson.step()
f32 = np.float32
print(f"float32 epsilon {np.finfo(f32).eps:.3g}; 1 − 1e-15 in float32 == 1: {f32(1) - f32(1e-15) == 1}")
print(f"σ(20) in float32: {float(sigmoid.forward(np.array([[20]], dtype=f32))[0, 0])}")


def float32_losses(z_value: float, t_value: float) -> dict[str, tuple[float, float]]:
    """(loss, dℓ/dz) for one entry, four ways: float64 reference, naive, clipped (BCELoss), logits."""
    z32, t32 = np.array([[z_value]], dtype=f32), np.array([[t_value]], dtype=f32)
    reference = ae.BCEWithLogitsLoss()
    ref = (reference.forward(z32.astype(float), t32.astype(float)), float(reference.backward()[0, 0]))
    layer = textbook(ae.Sigmoid())
    p = layer.forward(z32)
    with np.errstate(divide="ignore", invalid="ignore"):
        naive_loss = -(t32 * np.log(p) + (1 - t32) * np.log(1 - p))
        naive_grad = (p - t32) / (p * (1 - p)) * (p * (1 - p))  # ℓ′ · σ′ without the cancellation
    clipped = ae.BCELoss()
    clipped_loss = clipped.forward(p, t32)
    clipped_grad = float(layer.backward(clipped.backward())[0, 0])
    logits = ae.BCEWithLogitsLoss()
    logits_loss = logits.forward(z32, t32)
    return {
        "float64 reference": ref,
        "naive float32": (float(naive_loss[0, 0]), float(naive_grad[0, 0])),
        "BCELoss float32 (clipped)": (clipped_loss, clipped_grad),
        "logits float32": (logits_loss, float(logits.backward()[0, 0])),
    }


print("target t = 0, loss ℓ / gradient dℓ/dz:")
columns = ("float64", "naive float32", "BCELoss float32", "logits float32")
print(f"{'z':>5}" + "".join(f"{name:>18}" for name in columns))
table = {}
for z_value in (5.0, 10.0, 17.0, 20.0, 50.0, 100.0):
    table[z_value] = float32_losses(z_value, 0.0)
    print(f"{z_value:>5.0f}" + "".join(f"{f'{v[0]:.7g} / {v[1]:.3g}':>18}" for v in table[z_value].values()))
at10 = table[10.0]
print(
    f"At z = 10 the naive float32 loss has already lost digits ({at10['naive float32'][0]:.5g} for "
    f"{at10['float64 reference'][0]:.7g});\nclipped (BCELoss), every large z costs −log ε₃₂ = "
    f"{-np.log(np.finfo(f32).eps):.4f}."
)

zs = np.linspace(0.5, 40, 300)
rows = [float32_losses(v, 0.0) for v in zs]
fig = Figure(figsize=(10, 4), layout="constrained")
left, right = fig.subplots(1, 2)
styles = {"float64 reference": "-", "naive float32": "o", "BCELoss float32 (clipped)": "--", "logits float32": ":"}
for name, style in styles.items():
    losses = np.array([row[name][0] for row in rows])
    grads = np.array([row[name][1] for row in rows])
    finite = np.isfinite(losses)
    left.plot(zs[finite], losses[finite], style, markersize=2, label=name)
    right.plot(zs, np.nan_to_num(grads, nan=-0.1), style, markersize=2, label=name)
first_inf = zs[~np.isfinite([row["naive float32"][0] for row in rows])][0]
left.axvline(first_inf, color="red", linewidth=1)
left.text(first_inf + 0.5, 2, f"naive float32 is inf\nfrom z ≈ {first_inf:.0f} on", color="red")
print(f"on the figure's grid of z, the naive float32 loss is inf from z ≈ {first_inf:.1f} on")
left.set_title("cross-entropy for t = 0 (confident and wrong)")
left.set_ylabel("ℓ")
right.set_title("gradient dℓ/dz (NaN drawn at −0.1)")
for ax in (left, right):
    ax.set_xlabel("logit z")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
lesson.save(fig, "bce_float32.png")

# %% [markdown]
# ## Step 5 · Every loss's backward, checked
# `ae.gradcheck.check_loss(loss, pred, target)` compares backward with finite differences in pred, as
# lesson 2 did for a layer.

# %%
lesson.step()
rng = np.random.default_rng(2)
binary = (rng.random((4, 5)) > 0.5).astype(float)
loss_reports = {
    "MSELoss": ae.gradcheck.check_loss(ae.MSELoss(), rng.normal(size=(4, 5)), rng.normal(size=(4, 5))),
    "BCELoss": ae.gradcheck.check_loss(ae.BCELoss(), rng.uniform(0.05, 0.95, size=(4, 5)), binary),
    "BCEWithLogitsLoss": ae.gradcheck.check_loss(ae.BCEWithLogitsLoss(), rng.normal(size=(4, 5)), binary),
}
for report in loss_reports.values():
    print(report.summary())

# %% [markdown]
# ## Step 6 · The logits form in a model
# To train on binary data with the stable loss, end the decoder with `Identity` (no sigmoid) so the model
# outputs logits, and train with `BCEWithLogitsLoss`. For probabilities, apply a sigmoid to its output.
# The data: 200 rows, each one of three random 0/1 patterns of 10 bits with 10% of the bits flipped. We
# train in float32 (half the memory of float64) to show it is safe. Expect a first loss near log 2.

# %%
lesson.step()
rng = np.random.default_rng(3)
patterns = rng.random((3, 10)) > 0.5
X_bits = patterns[rng.integers(0, 3, size=200)] ^ (rng.random((200, 10)) < 0.1)
X_bits = X_bits.astype(np.float32)
model = ae.Autoencoder.from_sizes(
    [10, 5], hidden_activation="relu", output_activation="identity", seed=0, dtype=np.float32, kernels="textbook"
)  # fmt: skip
first_loss = model.evaluate(X_bits, loss=ae.BCEWithLogitsLoss())
history = model.fit(
    X_bits, epochs=lesson.pick(full=200, fast=60), batch_size=20, optimizer=ae.Adam(lr=1e-2),
    loss=ae.BCEWithLogitsLoss(), seed=0, verbose=0,
)  # fmt: skip
final_loss = model.evaluate(X_bits)
probabilities = sigmoid.forward(model.predict(X_bits[:3]))
print(f"loss: first {first_loss:.4f} (log 2 = {np.log(2):.4f}), after {len(history['loss'])} epochs {final_loss:.4f}")
print("three rows:", X_bits[:3].astype(int), "probabilities σ(model output):", probabilities, sep="\n")
accuracy = float(np.mean((sigmoid.forward(model.predict(X_bits)) > 0.5) == (X_bits > 0.5)))
print(f"bits predicted right (probability > 0.5 ↔ bit 1): {accuracy:.1%}; dtype kept: {model.dtype}")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("MSELoss's backward is 2(p − t)/n", mse_grad_gap < 1e-15, f"gap {mse_grad_gap:.1e}")
lesson.check("MSELoss gives the textbook functions' numbers", mse_same)
lesson.check("BCELoss's backward is (p − t)/(p(1 − p))/n", bce_grad_gap < 1e-12, f"gap {bce_grad_gap:.1e}")
lesson.check("Sigmoid + BCELoss backward = BCEWithLogitsLoss backward", chain_gap < 1e-12, f"gap {chain_gap:.1e}")
lesson.check("MSE after a saturated sigmoid barely moves z", abs(mse_slope) < 1e-3 * abs(ce_slope))
at20 = table[20.0]
lesson.check("float32: naive cross-entropy at z = 20 is inf", np.isinf(at20["naive float32"][0]))
ref_loss, ref_grad = at20["float64 reference"]
logits_loss, logits_grad = at20["logits float32"]
lesson.check(
    "float32: the logits form matches float64 at z = 20",
    abs(logits_loss - ref_loss) <= 1e-6 * ref_loss and abs(logits_grad - ref_grad) < 1e-6,
    f"{logits_loss} vs {ref_loss:.9f}",
)
clipped_loss, clipped_grad = at20["BCELoss float32 (clipped)"]
clipped_large = [table[z]["BCELoss float32 (clipped)"][0] for z in (20.0, 50.0, 100.0)]
lesson.check(
    "float32: clipping keeps BCELoss finite but wrong: −log ε₃₂ for every large z",
    np.allclose(clipped_large, -np.log(np.finfo(f32).eps), rtol=1e-6),
    f"{clipped_loss:.4f}",
)
lesson.check(
    "float32: the gradient through σ is lost; the logits gradient is 1", clipped_grad == 0 and logits_grad == 1
)
for name, report in loss_reports.items():
    lesson.check_gradients(f"{name} backward passes the check", report)
lesson.check("the first loss on binary data is near log 2", abs(first_loss - np.log(2)) < 0.1, f"{first_loss:.4f}")
lesson.check("training with the logits loss lowers it", final_loss < 0.6 * first_loss, f"{final_loss:.4f}")
lesson.finish()
