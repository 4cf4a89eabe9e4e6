# %% [markdown]
# # Lesson 10 · Recommenders I: explicit ratings
#
# People rate items (films, books) with 1 to 5 stars. Put the ratings in a matrix R, one row per user, one
# column per item: most of it is empty, because each user rates a few items out of many. A recommender
# predicts the empty entries, and recommends the items with the highest predictions.
#
# AutoRec (Sedhain et al. 2015) is an autoencoder of the columns of R: each item is the vector of the
# ratings its users gave it, and the network learns to reconstruct that vector from itself. Trained with
# an MSE counted over the *observed* entries only, it fills the empty ones from what similar items got.
# We compare it with two honest baselines (the global mean, and user and item biases) by the RMSE on
# ratings the models never saw, with every choice made on a separate validation set.
#
# You need: lessons 1 to 9 (fit, Dense, sigmoid, MSE, Adam, lesson 9's idea of a network that must fill
# in what its input lacks). Data: synthetic ratings by default; `--data PATH` reads a MovieLens file
# (e.g. `ml-100k/u.data`).

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np import recsys as rs
from autoencoder_np.lesson import Lesson
from autoencoder_np.recsys.metrics import mae, rmse

lesson = Lesson("10_recsys_explicit")

# %% [markdown]
# ## Step 1 · The rating matrix
# `lesson.ratings()` gives the data: a seeded synthetic set (how it is made: `autoencoder_np/recsys/
# synthetic.py`; each user and item has a hidden taste vector, a rating is a bias plus their agreement plus
# noise, rounded to 1–5 stars) or the file you passed with `--data`. `data.matrix()` is the dense
# (users, items) matrix with 0 for "no rating". 0 is not a rating: it means *unknown*.

# %%
lesson.step()
data = lesson.ratings()
R_all = data.matrix()
observed_all = R_all > 0
n_users, n_items = R_all.shape
stars, counts = np.unique(R_all[observed_all], return_counts=True)
per_user, per_item = observed_all.sum(axis=1), observed_all.sum(axis=0)
print(f"R: {R_all.shape}, {observed_all.sum()} ratings, {observed_all.mean():.1%} of the entries observed")
print("ratings:", ", ".join(f"{s:g}★ {c}" for s, c in zip(stars, counts, strict=True)))
print(f"ratings per user: min {per_user.min()}, median {np.median(per_user):g}, max {per_user.max()}")
print(f"ratings per item: min {per_item.min()}, median {np.median(per_item):g}, max {per_item.max()}")
print("the first 6 users × 14 items (· = no rating):")
for row in R_all[:6, :14]:
    print("   " + " ".join(f"{v:g}" if v else "·" for v in row))

fig = Figure(figsize=(11, 4), layout="constrained")
left, right = fig.subplots(1, 2, width_ratios=(2, 1))
by_user, by_item = np.argsort(-per_user, kind="stable"), np.argsort(-per_item, kind="stable")
left.imshow(observed_all[np.ix_(by_user, by_item)], aspect="auto", cmap="Greys", interpolation="nearest")
left.set_xlabel("items, most rated first")
left.set_ylabel("users, most active first")
left.set_title(f"who rated what: {observed_all.mean():.1%} of R is observed (black)")
right.bar(stars, counts, color="tab:blue")
right.set_xlabel("stars")
right.set_ylabel("ratings")
right.set_title("the ratings")
lesson.save(fig, "ratings.png")

# %% [markdown]
# ## Step 2 · Train, validation, test, and the RMSE
# We split the ratings at random (`rs.split_ratings`): 10% are the *test* set, 9% the *validation* set,
# the remaining 81% the training set. Models learn from the training ratings; every choice (a penalty, a
# number of epochs) is made by the validation ratings; the test ratings are used once, at the end, to
# report. A choice made on the test set would make the test score optimistic.
#
# The score is the root mean squared error over the held-out pairs (u, i):
#
#     RMSE = √( mean over (u, i) of (r̂_ui − r_ui)² )     in stars: 0 is perfect
#
# Each part's `matrix()` has the full (users, items) shape with only that part's ratings.

# %%
lesson.step()
split = rs.split_ratings(data, seed=0)
print(split.describe())
R, V, T = split.train.matrix(), split.validation.matrix(), split.test.matrix()
observed = R > 0
val_users, val_items = np.nonzero(V)
test_users, test_items = np.nonzero(T)
print(f"overlap between the parts: {int(((R > 0) & (V > 0)).sum() + ((R > 0) & (T > 0)).sum())} entries")

# %% [markdown]
# ## Step 3 · Baseline 1: the global mean
# The simplest prediction: every missing rating is the mean μ of the training ratings. Its RMSE is about
# the standard deviation of the ratings: the number any model must beat.

# %%
lesson.step()
mu = R[observed].mean()
mean_val = rmse(np.full(len(val_users), mu), V[val_users, val_items])
global_mean = rs.GlobalMean().fit(R)
print(f"μ = {mu:.4f}; validation RMSE {mean_val:.4f}; the ratings' standard deviation {R[observed].std():.4f}")
print(f"rs.GlobalMean predicts the same: {global_mean.predict(val_users, val_items)[:3]} …")

# %% [markdown]
# ## Step 4 · Baseline 2: user and item biases
# Some users rate everything high, some items are liked by all. The bias model predicts
#
#     r̂_ui = μ + b_u + b_i
#
# and fits the biases by least squares with a penalty λ(Σ b_u² + Σ b_i²), which pulls the biases of users
# and items with few ratings towards 0. With the user biases fixed, each item bias has a closed form,
# b_i = Σ_u (r_ui − μ − b_u) / (λ + number of ratings of i), and vice versa; `rs.Biases` alternates the
# two for 10 sweeps. We try four values of λ and keep the best on validation.

# %%
lesson.step()
bias_scores = {}
for l2 in rs.Biases.param_grid["l2"]:
    model = rs.Biases(l2=l2).fit(R)
    bias_scores[l2] = rmse(model.predict(val_users, val_items), V[val_users, val_items])
    print(f"  λ = {l2:>4g}: validation RMSE {bias_scores[l2]:.4f}")
best_l2 = min(bias_scores, key=bias_scores.get)
biases = rs.Biases(l2=best_l2).fit(R)
loved, hated = np.argmax(biases.item_bias_), np.argmin(biases.item_bias_)
print(
    f"chosen λ = {best_l2:g}. Item biases from {biases.item_bias_.min():+.2f} ({data.title(hated)}) "
    f"to {biases.item_bias_.max():+.2f} ({data.title(loved)}) stars"
)

# %% [markdown]
# ## Step 5 · The masked loss
# An autoencoder trained with lesson 4's MSE on R would learn to output 0 wherever R holds 0, the
# *missing* ratings included: exactly the entries we want it to predict. The fix is a *mask* m (1 where
# a rating is observed, 0 elsewhere) and a mean over the observed entries only:
#
#     L = Σ m ⊙ (r̂ − r)² / Σ m      dL/dr̂ = 2 m ⊙ (r̂ − r) / Σ m
#
# Every loss of the library takes the mask: `loss.forward(pred, target, mask)`, and `fit(X, mask=M)` passes
# each batch's rows of M along. A missing entry then gives no gradient at all: whatever the network outputs
# there is free, and that output is the prediction. To see why it matters, we train the same network for a
# few epochs without the mask: it learns the zeros.

# %%
lesson.step()
pred = np.array([[3.5, 2.0, 4.0], [1.0, 5.0, 3.0]])
target = np.array([[4.0, 0.0, 5.0], [0.0, 4.0, 0.0]])  # 0 = missing
mask = (target > 0).astype(float)
mse = ae.MSELoss()
masked = mse.forward(pred, target, mask)
gradient = mse.backward()
masked_by_hand = np.sum(mask * (pred - target) ** 2) / mask.sum()
print(f"target (0 = missing):\n{target}\nmasked MSE {masked:.4f} = Σ m(r̂ − r)² / Σ m = {masked_by_hand:.4f}")
print(f"dL/dr̂ =\n{gradient}\n(0 where the rating is missing)")
print(f"unmasked MSE {ae.MSELoss().forward(pred, target):.4f} (counts the zeros as ratings of 0)")
masked_report = ae.gradcheck.check_loss(mse, pred, target, mask)
print(masked_report.summary())

# %% [markdown]
# ## Step 6 · I-AutoRec, written with the core library
# Each item is one row of the network's input: the item's column of R, a vector over the n_users users
# (so the input is Rᵀ, and the mask Mᵀ). The network is lesson 1's autoencoder with a sigmoid code and a
# linear output, because ratings are not limited to (0, 1):
#
#     r̂_i = σ(r_i W₁ + b₁) W₂ + b₂          W₁: (n_users, h), W₂: (h, n_users)
#
# The prediction for user u and item i is entry u of r̂_i, the reconstruction of item i's column, clipped
# to the star range [1, 5]. A user or item without any training rating gets 3 stars (the network knows
# nothing about it). After every epoch a *callback* (an object `fit` calls) measures the validation RMSE,
# so we see when the network starts to learn the training ratings' noise instead of the tastes
# (*overfitting*). Batches hold an eighth of the items (at least 16), so each epoch takes 8 Adam steps
# (fewer on a tiny data set).

# %%
lesson.step()
hidden = lesson.pick(full=200, fast=100)
epochs = lesson.pick(full=80, fast=30)
batch_size = max(16, -(-n_items // 8))  # ⌈items / 8⌉
lr = 5e-3
X, M = R.T.astype(np.float32), observed.T.astype(np.float32)  # (items, users): one item per row
low, high = R[observed].min(), R[observed].max()
seen_users, seen_items = observed.any(axis=1), observed.any(axis=0)


def predictions(network: ae.Autoencoder) -> np.ndarray:
    """(users, items) predictions: each item's reconstructed column, clipped; 3 stars where nothing is known."""
    P = np.clip(network.predict(X).astype(np.float64).T, low, high)
    P[:, ~seen_items] = 3.0
    P[~seen_users, :] = 3.0
    return P


class ValidationRMSE:
    """A fit callback: the validation RMSE after every epoch."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: ae.Autoencoder) -> bool:
        self.values.append(rmse(predictions(model)[val_users, val_items], V[val_users, val_items]))
        return False  # True would stop training


def autorec_network(seed: int = 0) -> ae.Autoencoder:
    rng = np.random.default_rng(seed)  # one generator for both layers, drawn in order: the library's recipe
    encoder = ae.Sequential([ae.Dense(n_users, hidden, rng=rng, dtype=np.float32), ae.Sigmoid()])
    decoder = ae.Sequential([ae.Dense(hidden, n_users, rng=rng, dtype=np.float32), ae.Identity()])
    return ae.Autoencoder(encoder, decoder)


unmasked = autorec_network()
unmasked.fit(X, epochs=5, batch_size=batch_size, optimizer=ae.Adam(lr=lr), loss=ae.MSELoss(), seed=0, verbose=0)
unmasked_out = unmasked.predict(X).T[val_users, val_items]
unmasked_rmse = rmse(predictions(unmasked)[val_users, val_items], V[val_users, val_items])
print(f"without the mask, 5 epochs: mean raw output at the validation entries {unmasked_out.mean():.2f} stars")
print(f"(it learned the zeros); validation RMSE {unmasked_rmse:.2f}")

handmade = autorec_network()
tracker = ValidationRMSE()
handmade.fit(
    X,
    mask=M,
    epochs=epochs,
    batch_size=batch_size,
    optimizer=ae.Adam(lr=lr),
    loss=ae.MSELoss(),
    seed=0,
    verbose=0,
    callbacks=[tracker],
)
curve = np.array(tracker.values)
steps_per_epoch = -(-n_items // batch_size)
print(f"with the mask: {epochs} epochs of {steps_per_epoch} steps (batches of {batch_size} items), hidden {hidden}")
lesson.print_curve("validation RMSE by epoch (★ the lowest)", curve, mark=int(curve.argmin()) + 1)

# %% [markdown]
# ## Step 7 · The library's AutoRec: L2, and the best epoch
# `rs.AutoRec` is this network (`kind="item"`), built the same way from the same seed. It adds two things:
#
# - an L2 penalty (λ/2)(‖W₁‖² + ‖W₂‖²) added to the masked mean (its layers are `RegularizedDense`, which
#   add λW to dL/dW): large weights cost, so the network prefers smooth, shared patterns to memorizing
#   single ratings;
# - with validation data, it keeps the weights of the epoch with the lowest validation RMSE (*early
#   stopping* chosen on validation), and records every epoch in `validation_trace_`.
#
# With λ = 0 it must reproduce our curve exactly. Then we try two penalties and keep the better one on
# validation.

# %%
lesson.step()
training = {"hidden": hidden, "lr": lr, "epochs": epochs, "batch_size": batch_size, "patience": 0, "seed": 0}
plain = rs.AutoRec("item", l2=0.0, **training).fit(R, V)
library_curve = plain.validation_trace_[:, 2]
gap = float(np.max(np.abs(library_curve - curve)))
print(
    f"λ = 0: best validation RMSE {plain.validation_score_:.4f} at epoch {plain.best_epoch_}; "
    f"largest gap to our curve {gap:.1e}"
)
penalized = {}
for l2 in (1e-3, 3e-3):
    penalized[l2] = rs.AutoRec("item", l2=l2, **training).fit(R, V)
    print(
        f"λ = {l2:g}: best validation RMSE {penalized[l2].validation_score_:.4f} at epoch {penalized[l2].best_epoch_}"
    )
chosen_l2 = min(penalized, key=lambda l2: penalized[l2].validation_score_)
autorec = penalized[chosen_l2]
print(f"chosen λ = {chosen_l2:g} (the validation RMSE decides, never the test)")

fig = Figure(figsize=(8, 4.5), layout="constrained")
ax = fig.add_subplot()
epochs_axis = np.arange(1, epochs + 1)
for label, model in (("no penalty (by hand = library)", plain), *((f"λ = {l2:g}", m) for l2, m in penalized.items())):
    line = ax.plot(epochs_axis, model.validation_trace_[:, 2], label=f"AutoRec, {label}")[0]
    ax.plot(model.best_epoch_, model.validation_score_, "o", color=line.get_color())
ax.axhline(mean_val, color="gray", linestyle="--", label=f"global mean: {mean_val:.3f}")
ax.axhline(bias_scores[best_l2], color="gray", linestyle=":", label=f"user + item biases: {bias_scores[best_l2]:.3f}")
if lesson.data_path is None:
    floor = np.sqrt(0.4**2 + 1 / 12)  # the generator's noise and the rounding to whole stars
    ax.axhline(floor, color="black", linewidth=0.8, label=f"noise floor of the synthetic data ≈ {floor:.2f}")
ax.set_ylim(top=max(1.3 * mean_val, 1.0))
ax.set_xlabel("epoch")
ax.set_ylabel("validation RMSE (stars)")
ax.set_title("I-AutoRec against the baselines on the validation ratings (dots: the epoch kept)")
ax.legend(fontsize="small")
ax.grid(True, alpha=0.3)
lesson.save(fig, "autorec_rmse.png")

# %% [markdown]
# ## Step 8 · The test, once
# Each model as chosen on validation, scored on the test ratings. (`python -m autoencoder_np recsys
# evaluate --protocol ratings` does this over several seeds, with AutoRec's full size, 500 hidden units
# and up to 300 epochs, and refits the chosen model on training + validation ratings first: on
# MovieLens-100K it measures RMSE 0.881 for I-AutoRec and 0.939 for the biases, see the README.)

# %%
lesson.step()
truth = T[test_users, test_items]
final = {"global mean": global_mean, f"biases (λ = {best_l2:g})": biases, f"I-AutoRec (λ = {chosen_l2:g})": autorec}
test_rmse = {}
for name, model in final.items():
    guess = model.predict(test_users, test_items)
    test_rmse[name] = rmse(guess, truth)
    print(f"  {name:<22} test RMSE {test_rmse[name]:.4f}   MAE {mae(guess, truth):.4f}")
user = int(np.argmax((T > 0).sum(axis=1)))
items = np.flatnonzero(T[user])[:6]
print(f"user {data.user_ids[user]}'s test ratings against the predictions:")
for item in items:
    guesses = "  ".join(f"{model.predict(np.array([user]), np.array([item]))[0]:.2f}" for model in final.values())
    print(f"  {data.title(item)[:32]:<32} {T[user, item]:g}★   mean / biases / AutoRec: {guesses}")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("the masked MSE is Σ m(r̂ − r)² / Σ m", abs(masked - masked_by_hand) < 1e-12)
lesson.check("its gradient is 0 at missing entries", np.all(gradient[mask == 0] == 0))
lesson.check_gradients("the masked loss passes the gradient check", masked_report)
lesson.check("the parts of the split do not overlap", not ((R > 0) & ((V > 0) | (T > 0))).any())
lesson.check(
    "without the mask the network learns the zeros", unmasked_out.mean() < 2, f"mean output {unmasked_out.mean():.2f}"
)
lesson.check("rs.AutoRec with λ = 0 is our network", gap < 1e-6, f"largest gap {gap:.1e}")
lesson.check("an epoch takes 8 Adam steps", steps_per_epoch == 8 or n_items < 128, f"{steps_per_epoch} steps")
names = list(final)
lesson.check("biases beat the global mean on test", test_rmse[names[1]] < test_rmse[names[0]] - 0.02)
lesson.check(
    "AutoRec beats the biases on test",
    test_rmse[names[2]] < test_rmse[names[1]] - 0.01,
    f"{test_rmse[names[2]]:.4f} vs {test_rmse[names[1]]:.4f}",
)
lesson.finish()
