# %% [markdown]
# # Lesson 9 · Denoising and sparse autoencoders
#
# A plain autoencoder learns to copy. Two small changes make it learn *what the data is made of*:
#
# - **Denoising**: corrupt the input during training but keep the clean data as the target. To undo the
#   noise, the network has to know what clean data looks like (Vincent et al. 2008).
# - **Sparsity**: add a penalty that makes most code units 0 for any one input, so each unit has to stand
#   for one recurring part of the data.
#
# The data are 8×8 images made of horizontal and vertical bars, so we know the parts and can see whether
# the units found them. We add noise, watch the reconstructions, write the sparsity penalty as a layer
# of our own (and check its gradient), and look at the codes and at what each code unit draws.
#
# You need: lessons 1 to 6; lesson 4's cross-entropy on logits is the loss here (the pixels are 0 or 1).

# %%
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson

lesson = Lesson("09_denoising_sparse")

# %% [markdown]
# ## Step 1 · The data: bars
# Each image turns on each of 16 bars (8 rows, 8 columns) independently with probability 1/8, so about
# two bars per image. A pixel is 1 where any bar covers it. Each image is flattened to 64 numbers.

# %%
lesson.step()
BARS = np.zeros((16, 8, 8))
for i in range(8):
    BARS[i, i, :] = 1  # row i
    BARS[8 + i, :, i] = 1  # column i
BARS = BARS.reshape(16, 64)


def bar_images(n: int, seed: int) -> np.ndarray:
    """(n, 64) images, each the union of the bars it turned on."""
    on = np.random.default_rng(seed).random((n, 16)) < 1 / 8
    return (on.astype(float) @ BARS > 0).astype(float)


def mosaic(images: np.ndarray, columns: int) -> np.ndarray:
    """(n, 64) images -> one 2-D array of 8×8 tiles, ``columns`` per row, NaN (blank) between them."""
    rows = -(-len(images) // columns)
    canvas = np.full((rows * 9 - 1, columns * 9 - 1), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = image.reshape(8, 8)
    return canvas


X = bar_images(lesson.pick(full=2000, fast=800), seed=0)
X_test = bar_images(300, seed=1)
epochs = lesson.pick(full=60, fast=30)
print(f"training images {X.shape}, test images {X_test.shape}; {X.mean():.1%} of the pixels are on")
print("one image (8×8):", X[3].reshape(8, 8).astype(int), sep="\n")

# %% [markdown]
# ## Step 2 · A plain autoencoder
# 64 → 32 → 64: encoder Dense + ReLU, decoder Dense with no activation, so it outputs logits, trained with
# `BCEWithLogitsLoss` (lesson 4); σ(output) is the probability that a pixel is on. Every model in this
# lesson starts from the same initial weights and sees the same batches.

# %%
lesson.step()


def autoencoder(first_layers: list, extra_code_layers: list) -> ae.Autoencoder:
    """64→32→64: [first_layers] Dense ReLU [extra_code_layers] | Dense (logits). Same weights every time."""
    encoder = ae.Sequential([*first_layers, ae.Dense(64, 32, rng=0), ae.ReLU(), *extra_code_layers])
    return ae.Autoencoder(encoder, ae.Sequential([ae.Dense(32, 64, rng=1), ae.Identity()]))


def train(model: ae.Autoencoder) -> ae.Autoencoder:
    model.fit(
        X, epochs=epochs, batch_size=50, optimizer=ae.Adam(lr=3e-3), loss=ae.BCEWithLogitsLoss(), seed=0, verbose=0
    )
    return model


def probabilities(model: ae.Autoencoder, images: np.ndarray) -> np.ndarray:
    return ae.Sigmoid().forward(model.predict(images))


plain = train(autoencoder([], []))
plain_clean = float(np.mean((probabilities(plain, X_test) - X_test) ** 2))
print(f"after {epochs} epochs, on clean test images: cross-entropy {plain.evaluate(X_test):.4f}, MSE {plain_clean:.4f}")

# %% [markdown]
# ## Step 3 · Corrupt the input
# Add Gaussian noise of standard deviation 0.5 to every pixel of the test images, and score what the
# plain autoencoder returns against the *clean* image. It never saw noise in training: its narrow code
# drops some of the noise, but it learned to copy, so part of the noise comes through.

# %%
lesson.step()
NOISE = 0.5
X_noisy = X_test + NOISE * np.random.default_rng(2).normal(size=X_test.shape)
noisy_itself = float(np.mean((np.clip(X_noisy, 0, 1) - X_test) ** 2))
plain_noisy = float(np.mean((probabilities(plain, X_noisy) - X_test) ** 2))
print(f"MSE to the clean images: the noisy input itself (clipped to [0, 1]) {noisy_itself:.4f}")
print(f"                         plain autoencoder's reconstruction       {plain_noisy:.4f}")

# %% [markdown]
# ## Step 4 · A denoising autoencoder
# Put a `GaussianNoise(0.5)` layer first in the encoder. In training it adds fresh noise to every batch;
# `fit(X)` still uses the clean X as the target, so the model learns to map noisy images to clean ones.
# At inference (`predict`, `encode`, `reconstruct`) the noise layer passes its input through unchanged.
# (`Autoencoder.from_sizes(..., input_noise=0.5)` builds the same; `input_dropout=` corrupts by zeroing
# random entries instead, which lesson 11's recommender uses.)

# %%
lesson.step()
denoising = train(autoencoder([ae.GaussianNoise(NOISE, rng=3)], []))
dae_noisy = float(np.mean((probabilities(denoising, X_noisy) - X_test) ** 2))
dae_clean = float(np.mean((probabilities(denoising, X_test) - X_test) ** 2))
print(f"MSE to the clean images, from noisy input: plain {plain_noisy:.4f}, denoising {dae_noisy:.4f}")
print(f"from clean input: plain {plain_clean:.5f}, denoising {dae_clean:.5f}")

rows = {
    "clean": X_test[:8],
    f"noisy (σ = {NOISE})": np.clip(X_noisy[:8], 0, 1),
    "plain AE": probabilities(plain, X_noisy[:8]),
    "denoising AE": probabilities(denoising, X_noisy[:8]),
}
fig = Figure(figsize=(8, 4.4), layout="constrained")
ax = fig.add_subplot()
pixels = colormaps["gray_r"].with_extremes(bad="lightsteelblue")  # blue gaps between the tiles
ax.imshow(mosaic(np.concatenate(list(rows.values())), columns=8), cmap=pixels, vmin=0, vmax=1)
ax.set_yticks([r * 9 + 3.5 for r in range(len(rows))], list(rows))
ax.set_xticks([])
ax.set_title("reconstructions of noisy test images (the models saw only the noisy row)")
lesson.save(fig, "denoising.png")

# %% [markdown]
# ## Step 5 · A sparsity penalty, written as a layer
# We want most code entries h to be 0. An L1 penalty does that: add λ · mean|h| to the loss. A layer can
# add its own term to the loss: it returns it from `aux_loss()` after forward (`fit` adds it to the loss)
# and adds the term's gradient in backward. Our layer passes h through unchanged:
#
#     forward:   y = h,   aux = λ · (1 / (B·k)) Σ |h|     (B rows, k code units)
#     backward:  dL/dh = dL/dy + λ · sign(h) / (B·k)
#
# |h| has a kink at 0 like ReLU (lesson 3), so the layer declares `kinks = (0.0,)` and keeps its input in
# `cache["x"]`: the checker then counts, not fails, entries next to 0. We check it before we use it.

# %%
lesson.step()


class L1Penalty(ae.Layer):
    """y = h, adding λ · mean|h| to the loss (a sparse code)."""

    kinks = (0.0,)

    def __init__(self, strength: float) -> None:
        super().__init__()
        self.strength = strength

    def forward(self, h: np.ndarray) -> np.ndarray:
        """h: (batch, code) -> y = h.  Cache: x = h."""
        self.cache["x"] = h
        return h

    def aux_loss(self) -> float:
        """λ · mean |h| over the batch and the code units."""
        return self.strength * float(np.mean(np.abs(self.cache["x"])))

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dh = dL/dy + λ · sign(h) / (B·k)."""
        h = self.cache["x"]
        return grad_y + self.strength * np.sign(h) / h.size


STRENGTH = 0.3
penalty_report = ae.gradcheck.check_layer(L1Penalty(STRENGTH), np.random.default_rng(4).normal(size=(4, 6)))
print(penalty_report)
sparse = train(autoencoder([], [L1Penalty(STRENGTH)]))
sparse_clean = float(np.mean((probabilities(sparse, X_test) - X_test) ** 2))
print(f"sparse autoencoder (λ = {STRENGTH}): MSE on clean test images {sparse_clean:.4f} (plain: {plain_clean:.4f})")

# %% [markdown]
# ## Step 6 · The codes
# For each model, the codes of 12 test images (rows) over the 32 code units (columns). A unit counts as
# *active* for an image when its value is above 0.01. The plain code uses most units for every image;
# the sparse code only a few (compare them with the number of bars per image, printed below).

# %%
lesson.step()
models = {"plain": plain, "denoising": denoising, f"sparse (λ = {STRENGTH})": sparse}
codes = {name: model.encode(X_test) for name, model in models.items()}
active = {name: float(np.mean(h > 0.01)) for name, h in codes.items()}
bars_per_image = float(np.mean((X_test @ BARS.T) == 8))
for name, h in codes.items():
    print(f"  {name:<18} active units per image: {active[name] * 32:5.1f} of 32   mean code value {h.mean():.3f}")
print(f"  (the test images have {bars_per_image * 16:.1f} bars each on average)")
fig = Figure(figsize=(12, 3.6), layout="constrained")
for ax, (name, h) in zip(fig.subplots(1, 3), codes.items(), strict=True):
    image = ax.imshow(h[:12], cmap="magma", aspect="auto")
    ax.set_title(f"{name}: {active[name]:.0%} of entries active")
    ax.set_xlabel("code unit")
    ax.set_ylabel("test image")
    fig.colorbar(image, ax=ax)
lesson.save(fig, "codes.png")

# %% [markdown]
# ## Step 7 · What each code unit draws
# Decoder row j (a row of W, 64 numbers) is what unit j adds to the output logits: reshaped to 8×8, it is
# the unit's picture. To count bar-like units, compare each row's positive part with the 16 bars by
# cosine similarity (1: the same shape); above 0.8 counts as a bar. The plain autoencoder spreads the
# bars across its units in mixed patterns; noise, and even more sparsity, push each unit to one bar.

# %%
lesson.step()
bar_units = {}
for name, model in models.items():
    W = model.decoder.layers[0].params["W"]  # (32, 64)
    positive = np.maximum(W, 0)
    norms = np.linalg.norm(positive, axis=1, keepdims=True) * np.linalg.norm(BARS, axis=1)
    similarity = np.divide(positive @ BARS.T, norms, out=np.zeros((32, 16)), where=norms > 0)
    best = similarity.max(axis=1)
    bar_units[name] = (int(np.sum(best > 0.8)), len(set(similarity.argmax(axis=1)[best > 0.8])))
    print(f"  {name:<18} bar-like units: {bar_units[name][0]:>2} of 32, showing {bar_units[name][1]:>2} of the 16 bars")
fig = Figure(figsize=(12, 6), layout="constrained")
for ax, (name, model) in zip(fig.subplots(3, 1), models.items(), strict=True):
    W = model.decoder.layers[0].params["W"]
    scale = np.abs(W).max()
    ax.imshow(mosaic(W, columns=16), cmap="RdBu_r", vmin=-scale, vmax=scale)
    ax.set_title(f"{name}: {bar_units[name][0]} bar-like units, {bar_units[name][1]} distinct bars", fontsize="medium")
    ax.axis("off")
fig.suptitle("decoder rows, one 8×8 picture per code unit (red: turns pixels on, blue: off)")
lesson.save(fig, "decoder_weights.png")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("the plain autoencoder learned the clean images", plain_clean < 0.02, f"MSE {plain_clean:.4f}")
lesson.check("it removes some noise by itself", plain_noisy < noisy_itself, f"{plain_noisy:.4f} < {noisy_itself:.4f}")
lesson.check(
    "the denoising autoencoder removes more", dae_noisy < 0.85 * plain_noisy, f"{dae_noisy:.4f} vs {plain_noisy:.4f}"
)
lesson.check_gradients("our L1 penalty layer passes the gradient check", penalty_report)
sparse_name = f"sparse (λ = {STRENGTH})"
lesson.check(
    "the sparse code uses far fewer units", active[sparse_name] < 0.5 * active["plain"],
    f"{active[sparse_name]:.0%} vs {active['plain']:.0%} of entries",
)  # fmt: skip
lesson.check("sparse units draw the bars", bar_units[sparse_name][1] >= 12, f"{bar_units[sparse_name][1]} of 16 bars")
lesson.check(
    "plain units mostly do not", bar_units["plain"][0] < bar_units[sparse_name][0] / 2, f"{bar_units['plain'][0]} units"
)
lesson.check("noise alone makes units more bar-like", bar_units["denoising"][0] > bar_units["plain"][0])
lesson.finish()
