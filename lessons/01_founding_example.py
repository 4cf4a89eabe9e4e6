# %% [markdown]
# # Lesson 1 · The founding example, then what `fit` does step by step
#
# An **autoencoder** learns to copy its input through a narrow middle. An *encoder* squeezes each row x
# of 10 numbers into a *code* h of 5 numbers; a *decoder* expands h back into a *reconstruction* x̂ of
# 10 numbers; training changes the network's numbers (its *parameters*) until x̂ is close to x. The narrow
# code forces the network to keep what matters most about x; later lessons use that to remove noise and
# to recommend items.
#
# First we write the founding example the way a Keras user would, in five lines, and train it. Then we
# open `fit` up: one training step done by hand gives exactly the numbers `fit` gives.
#
# You need: Python, NumPy arrays, the matrix product `@`, and what a derivative is. Nothing else.
#
# Run it: `python lessons/01_founding_example.py` (`--step` pauses after each step, `--fast` is quicker,
# `--quiet` prints the numbers without the explanations).

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson
from autoencoder_np.plotting import loss_curve_figure

lesson = Lesson("01_founding_example")

# %% [markdown]
# ## Step 1 · The data: 100 rows of 10 random numbers
# Every entry is drawn uniformly from [0, 1). A model that always predicts 0.5 makes a mean squared error
# of E[(u − 0.5)²] = ∫₀¹ (u − 0.5)² du = 1/12 ≈ 0.0833 on average over all such data. Our 100 rows are one
# draw, so on them it makes a slightly different error: that measured number is the score to beat.
#
# We draw the numbers with NumPy's `Generator`: `np.random.default_rng(1).random((100, 10))`. Older code,
# the original Keras example among it, writes `np.random.seed(1); X = np.random.rand(100, 10)`: the same
# distribution but other numbers, and it changes NumPy's global random state as a side effect.
# `ae.datasets.founding_example(1, legacy=True)` gives those numbers without the side effect.

# %%
lesson.step()
X = ae.datasets.founding_example(seed=1)
X_legacy = ae.datasets.founding_example(seed=1, legacy=True)
print(f"X: shape {X.shape} (rows, features), dtype {X.dtype}")
print("X[0]             =", X[0])
print("legacy form X[0] =", X_legacy[0])
print(f"mean {X.mean():.4f} (uniform on [0, 1): 0.5), variance {X.var():.4f} (1/12 = {1 / 12:.4f})")
mse_of_one_half = float(np.mean((X - 0.5) ** 2))
print(f"MSE of always predicting 0.5 on this X: {mse_of_one_half:.4f}. This is the number to beat.")

# %% [markdown]
# ## Step 2 · The model, as a Keras user writes it
# In Keras the founding example reads
# ```python
# inputs = keras.Input(shape=(10,))
# code = keras.layers.Dense(5, activation="relu")(inputs)
# outputs = keras.layers.Dense(10, activation="sigmoid")(code)
# model = keras.Model(inputs, outputs)
# model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
#               loss="mse")
# model.fit(X, X, epochs=100, batch_size=32)
# ```
# Ours has the same pieces, with each activation as a layer of its own:
# - `Dense(10, 5)` computes y = x W + b: a 10×5 weight matrix W and 5 biases b (lesson 2 builds it);
# - `ReLU` keeps positive numbers and sets negative ones to 0; `Sigmoid` squashes any number into (0, 1),
#   the range of our data (lesson 3);
# - the loss, mean squared error, scores x̂ against x (lesson 4); Adam changes the parameters (lesson 6).
#
# Each `Dense` draws its random initial weights from `rng=`. We give both layers one generator,
# `np.random.default_rng(1)`, so the same seed builds the same model; we wrap the construction in a
# function because we will build fresh copies of it several times. This is exactly what
# `ae.Autoencoder.from_sizes([10, 5], seed=1)` builds, and what `python -m autoencoder_np demo` trains
# (with `fit`'s `seed=1` for the batches): the demo prints the same losses as step 4 below.

# %%
lesson.step()


def founding_model(kernels: str | None = None) -> ae.Autoencoder:
    """The founding 10→5→10 autoencoder, always with the same initial weights.

    kernels: "textbook" runs the plain functions of autoencoder_np/textbook/ (step 6); None, the default set.
    """
    rng = np.random.default_rng(1)  # one generator: the encoder's weights first, then the decoder's
    encoder = ae.Sequential([ae.Dense(10, 5, rng=rng), ae.ReLU()])
    decoder = ae.Sequential([ae.Dense(5, 10, rng=rng), ae.Sigmoid()])
    return ae.Autoencoder(encoder, decoder, kernels=kernels)


model = founding_model()
print(model)
print("parameters (name, shape):")
for name, param, _ in model.parameters():
    print(f"  {name:<14} {param.shape}")
n_params = sum(param.size for _, param, _ in model.parameters())
print(f"{n_params} numbers in all: 10·5 + 5 + 5·10 + 10 = {10 * 5 + 5 + 5 * 10 + 10}")
as_demo = ae.Autoencoder.from_sizes([10, 5], hidden_activation="relu", output_activation="sigmoid", seed=1)
same_as_demo = bool(np.array_equal(model.flat.params, as_demo.flat.params))
print(f"the same initial weights as Autoencoder.from_sizes([10, 5], seed=1), the demo's model: {same_as_demo}")

# %% [markdown]
# ## Step 3 · Before training: a sanity check
# The initial weights are small random numbers, so the decoder's Sigmoid sees inputs near 0 and outputs
# numbers near σ(0) = 0.5, scattered a little. An untrained model is a guess that knows nothing about x,
# so its error should be about the data's own spread around 0.5 (1/12), plus the scatter of its guesses
# around 0.5: L₀ ≈ mean (x − 0.5)² + mean (x̂ − 0.5)². (Not exactly: x̂ is computed from x, so the two
# are not fully independent.) A first loss far from this, say twice 1/12, would mean something is wrong
# before training even starts: check the first loss, always.

# %%
lesson.step()
codes = model.encode(X)
X_hat = model.reconstruct(X)
initial_loss = model.evaluate(X)
guess_spread = float(np.mean((X_hat - 0.5) ** 2))
print(f"codes h = encode(X): shape {codes.shape}; reconstructions x̂: shape {X_hat.shape}")
print(f"x̂ lies in [{X_hat.min():.3f}, {X_hat.max():.3f}], mean {X_hat.mean():.3f}: near 0.5, as expected")
print(f"expected first loss ≈ {mse_of_one_half:.4f} (x around 0.5) + {guess_spread:.4f} (x̂ around 0.5)", end="")
print(f" = {mse_of_one_half + guess_spread:.4f}")
print(f"measured first loss (MSE on all of X): {initial_loss:.4f}, {initial_loss / (1 / 12):.2f} × 1/12")

# %% [markdown]
# ## Step 4 · Train it: `fit`
# 100 rows in batches of 32 make 4 *steps* per *epoch* (32 + 32 + 32 + 4 rows), so 100 epochs are 400
# steps. Each line shows the epoch's loss: the mean over the epoch of each batch's loss, taken just before
# that batch's update. We then train a second copy ten times longer (three times under `--fast`): the same
# seeds give the same weights and the same batches, so its first 100 epochs repeat the first run exactly.
# Even then the loss stays far from 0: 10 independent random numbers do not fit into 5 without loss.
# Lesson 8 computes the best any 5-number linear code can do on data like this.

# %%
lesson.step()
history = model.fit(
    X, epochs=100, batch_size=32, optimizer=ae.Adam(lr=1e-3), loss=ae.MSELoss(), seed=1, every=25
)  # fmt: skip
final_loss = model.evaluate(X)
print(f"loss on all of X: {initial_loss:.4f} before, {final_loss:.4f} after 100 epochs")

long_epochs = lesson.pick(full=1000, fast=300)
longer = founding_model()
long_history = longer.fit(X, epochs=long_epochs, batch_size=32, optimizer=ae.Adam(lr=1e-3), seed=1, verbose=0)
long_loss = longer.evaluate(X)
same_start = long_history["loss"][:100] == history["loss"]
print(f"the same model trained {long_epochs} epochs: loss {long_loss:.4f}; first 100 epochs identical: {same_start}")
lesson.save(
    loss_curve_figure(
        {f"{long_epochs} epochs": long_history["loss"], "100 epochs (the founding example)": history["loss"]},
        title="founding example: 10→5→10 autoencoder, Adam, MSE",
        references={"always predict 0.5 (1/12)": 1 / 12},
    ),
    "loss_curve.png",
)

# %% [markdown]
# ## Step 5 · What the model computes, as equations
# Forward through the four layers, for a batch x of shape (batch, 10):
#
#     h = max(0, x W₁ + b₁)     encoder: Dense(10→5), ReLU      h: (batch, 5)
#     x̂ = σ(h W₂ + b₂)          decoder: Dense(5→10), Sigmoid   x̂: (batch, 10)
#     L = (1/n) Σ (x̂ − x)²      MSE over all n = batch·10 entries
#
# Written in NumPy with the model's own W and b, the equations must give what `model.forward` gives.

# %%
lesson.step()
W1, b1 = model.encoder.layers[0].params["W"], model.encoder.layers[0].params["b"]
W2, b2 = model.decoder.layers[0].params["W"], model.decoder.layers[0].params["b"]
x = X[:4]
h = np.maximum(0.0, x @ W1 + b1)
x_hat = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
forward_gap = float(np.max(np.abs(x_hat - model.forward(x))))
print(f"W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}")
print(f"x {x.shape} → h {h.shape} → x̂ {x_hat.shape}")
print("h for the first row (zeros are units ReLU switched off):", h[0])
print(f"max |equations − model.forward| = {forward_gap:.1e} (rounding only: a different but equal formula)")

# %% [markdown]
# ## Step 6 · One step of `fit`, by hand
# A training step has four parts, and `fit` does nothing else:
# 1. **forward**: x̂ = model.forward(x); every layer keeps in its `cache` what step 3 will need;
# 2. **loss**: L = loss.forward(x̂, x), one number;
# 3. **backward**: loss.backward() gives dL/dx̂; model.backward(dL/dx̂) passes it back through the layers
#    (the chain rule) and fills every layer's `grads` with dL/dW and dL/db (lessons 2 to 5);
# 4. **update**: the optimizer moves every parameter a little against its gradient (lesson 6).
#
# Which code computes each part? Every layer, loss and optimizer calls small functions that hold their
# equations, and there are two sets of them. The *textbook* kernels, in autoencoder_np/textbook/, are
# plain NumPy, one line per equation: lessons 2 to 6 read them. Their *fast* twins, in
# autoencoder_np/fast/, reuse arrays and fold steps together; `fit` and `demo` run them by default (in
# an assignment workspace the textbook set is the default, so that your own functions train). The two
# sets compute the same numbers up to rounding in the last bit: tests/test_kernels.py proves it
# function by function, tests/test_trajectories.py over 100 epochs of this model.
#
# We take fresh copies of the model. The one we step by hand runs the textbook kernels
# (`kernels="textbook"`), so every line it runs is one you can read. Another makes one step with
# `fit(..., kernels="textbook")` on the first 32 rows in order (`shuffle=False`): their parameters must
# be identical. A third makes the same step with the default `fit`: the same up to rounding. A model
# keeps all its parameters in one array as well, `model.flat.params` (115 numbers; each layer's W and b
# are views into it), which makes two models easy to compare.

# %%
lesson.step()
one_step = {"epochs": 1, "batch_size": 32, "shuffle": False, "loss": ae.MSELoss(), "verbose": 0}
by_fit = founding_model()
by_fit.fit(X[:32], optimizer=ae.Adam(lr=1e-3), kernels="textbook", **one_step)
by_default_fit = founding_model()
by_default_fit.fit(X[:32], optimizer=ae.Adam(lr=1e-3), **one_step)

by_hand = founding_model(kernels="textbook")
mse, adam = ae.MSELoss(), ae.Adam(lr=1e-3)
x = X[:32]
x_hat = by_hand.forward(x)  # 1. forward
L = mse.forward(x_hat, x)  # 2. loss
dL_dxhat = mse.backward()  # 3. backward: dL/dx̂ ...
by_hand.backward(dL_dxhat)  #    ... then through every layer
before = by_hand.flat.params.copy()
adam.step(by_hand)  # 4. update

print(f"1. forward:  x {x.shape} → code {by_hand.encoder.layers[1].cache['x'].shape} → x̂ {x_hat.shape}")
print(f"2. loss:     L = {L:.6f}")
print(f"3. backward: dL/dx̂ {dL_dxhat.shape}; it equals 2(x̂ − x)/n with n = {x.size}:", end=" ")
print(np.allclose(dL_dxhat, 2 * (x_hat - x) / x.size))
for name, _, grad in by_hand.parameters():
    label = f"dL/d({name})"
    print(f"             {label:<18} shape {grad.shape!s:<8} largest |entry| {np.abs(grad).max():.2e}")
step_sizes = np.abs(by_hand.flat.params - before)
print(f"4. update:   every parameter moved by at most {step_sizes.max():.2e} (Adam's first step ≈ lr = 1e-3)")
step_gap = float(np.max(np.abs(by_hand.flat.params - by_fit.flat.params)))
default_gap = float(np.max(np.abs(by_hand.flat.params - by_default_fit.flat.params)))
print(f"max |by hand − fit(kernels='textbook')| over all {by_hand.flat.params.size} parameters: {step_gap:.1e}")
print(f"max |by hand − fit on the default kernels ({ae.kernels.DEFAULT!r})|: {default_gap:.1e}")

# %% [markdown]
# ## Step 7 · One epoch of `fit`, by hand
# An epoch is one pass over the data: without shuffling, the batches are rows 0–31, 32–63, 64–95 and
# 96–99, one step each. The epoch's loss is the mean over all entries, so each batch's loss counts in
# proportion to its entries: (Σ_b L_b · n_b) / Σ_b n_b. By default `fit` first shuffles the rows (a new
# random order every epoch, fixed by `seed`): the steps are the same, only the batches differ.
#
# Each step is step 6's four parts, which `ae.textbook.train_step(model, loss, optimizer, x, y)` does in
# four lines (autoencoder_np/textbook/training.py); our loop calls it. `ae.textbook.fit`, in the same
# file, is this loop over shuffled batches and epochs in about twenty lines: read it. `fit` runs the same
# steps and adds validation, callbacks and protection against divergence around them.

# %%
lesson.step()
by_fit = founding_model()
fit_epoch = by_fit.fit(X, optimizer=ae.Adam(lr=1e-3), kernels="textbook", **one_step)
by_hand = founding_model(kernels="textbook")
mse, adam = ae.MSELoss(), ae.Adam(lr=1e-3)
total = entries = 0.0
for start in range(0, len(X), 32):
    x = X[start : start + 32]
    L = ae.textbook.train_step(by_hand, mse, adam, x, x)  # forward, loss, backward, update
    print(f"  batch rows {start:>2}–{start + len(x) - 1:<2}: n_b = {x.size:>3} entries, L_b = {L:.6f}")
    total += L * x.size
    entries += x.size
epoch_by_hand = total / entries
epoch_gap = float(np.max(np.abs(by_hand.flat.params - by_fit.flat.params)))
print(f"epoch loss by hand {epoch_by_hand:.10f}, by fit {fit_epoch['loss'][0]:.10f}")
print(f"max |by hand − fit(kernels='textbook')| over the parameters after the epoch: {epoch_gap:.1e}")

# %% [markdown]
# ## Step 8 · What it learned, and proof that its gradients are right
# The figure shows eight rows of X as colours (dark violet 0, teal 0.5, yellow 1), their reconstructions
# after 100 and after more epochs, and the squared error. After 100 epochs x̂ is still nearly one flat
# teal: its entries spread much less than x's (the standard deviations are printed below), because the
# model has mostly learned the average. Longer training brings out more of each row's pattern.
#
# Last, the **gradient check**. Backward claims dL/dθ for every parameter θ. The checker nudges each θ
# by a tiny h both ways and measures the slope (L(θ + h) − L(θ − h)) / 2h directly, then compares. Lesson 2
# builds this check from scratch; lesson 5 reads its full table. Here we only want its verdict.

# %%
lesson.step()
rows = X[:8]
panels = {
    "x: 8 rows of the data": rows,
    "x̂ after 100 epochs": model.reconstruct(rows),
    f"x̂ after {long_epochs} epochs": longer.reconstruct(rows),
    f"(x̂ − x)² after {long_epochs} epochs": (longer.reconstruct(rows) - rows) ** 2,
}
fig = Figure(figsize=(12, 3.4), layout="constrained")
for ax, (title, values) in zip(fig.subplots(1, 4), panels.items(), strict=True):
    image = ax.imshow(values, vmin=0, vmax=1 if "²" not in title else 0.25, cmap="viridis")
    ax.set_title(title, fontsize="medium")
    ax.set_xticks(range(0, 10, 3))
    ax.set_xlabel("feature")
    ax.set_ylabel("row")
    fig.colorbar(image, ax=ax, shrink=0.8)
lesson.save(fig, "reconstructions.png")
spread_x, spread_100, spread_long = (float(np.std(values)) for values in list(panels.values())[:3])
print(f"spread (standard deviation) of the entries: x {spread_x:.3f}; x̂ after 100 epochs {spread_100:.3f},")
print(f"{spread_100 / spread_x:.2f} of x's; x̂ after {long_epochs} epochs {spread_long:.3f}")

report = ae.gradcheck.check_model(model, X[:8], ae.MSELoss())
print(report.summary())

# %% [markdown]
# ## Self-checks
# These fail (and the script exits with status 1) if the library stops behaving as this lesson says.

# %%
lesson.step()
first_epoch = history["loss"][0]
lesson.check("the first loss is near 1/12", 0.8 < initial_loss * 12 < 1.25, f"{initial_loss * 12:.2f} × 1/12")
lesson.check("the loss went down", final_loss < first_epoch, f"epoch 1: {first_epoch:.4f} → {final_loss:.4f}")
lesson.check(
    "after 100 epochs it beats always predicting 0.5",
    final_loss < mse_of_one_half,
    f"{final_loss:.4f} < {mse_of_one_half:.4f}",
)
lesson.check("it is the demo's model", same_as_demo, "the initial weights of from_sizes([10, 5], seed=1)")
lesson.check("training longer helps", long_loss < final_loss, f"{long_loss:.4f} < {final_loss:.4f}")
lesson.check("same seeds give the same history", same_start, "first 100 epochs bitwise identical")
lesson.check("after 100 epochs x̂ is still nearly flat", spread_100 < 0.5 * spread_x, f"spread {spread_100:.3f}")
lesson.check("longer training brings out the rows' patterns", spread_long > 1.5 * spread_100, f"{spread_long:.3f}")
lesson.check("the equations give model.forward", forward_gap < 1e-12, f"max gap {forward_gap:.1e}")
lesson.check("one fit step = forward, loss, backward, update by hand", step_gap == 0.0, f"max gap {step_gap:.1e}")
lesson.check("fit's default kernels give the same step", default_gap < 1e-15, f"max gap {default_gap:.1e}")
lesson.check("one fit epoch = four steps by hand", epoch_gap == 0.0, f"max gap {epoch_gap:.1e}")
lesson.check(
    "the epoch loss is the entry-weighted mean of batch losses",
    abs(epoch_by_hand - fit_epoch["loss"][0]) < 1e-12,
    f"{epoch_by_hand:.10f}",
)
lesson.check_gradients("the trained model's gradients pass the check", report)
lesson.finish()
