# %% [markdown]
# # Lesson 11 · Recommenders II: implicit feedback
#
# Most of what a service knows is not stars but clicks: who watched, bought or played what. Such
# *implicit feedback* is a 0/1 matrix X, and a 0 is not a dislike: the user may never have met the item.
# So the task is not to predict numbers but to *rank*: put the items a user will click at the top of
# their list. We score rankings with Recall@K and NDCG@K, on users the models never trained on.
#
# Three models, from the simplest to a denoising autoencoder:
#
# - popularity: the same list for everyone, most clicked first;
# - EASE (Steck 2019): a *linear* autoencoder X ≈ X B with a zero diagonal, solved in closed form;
# - Mult-DAE (Liang et al. 2018): lesson 9's denoising autoencoder with a softmax output and a multinomial
#   likelihood: drop half of a user's clicks at the input, learn to predict all of them.
#
# Last, we open the trained network and look at what it learned about each item.
#
# You need: lessons 1 to 10 (lesson 9's dropout as corruption, lesson 8's PCA, lesson 10's splits and
# validation). Data: synthetic by default; `--data PATH` reads a MovieLens file.

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np import recsys as rs
from autoencoder_np.lesson import Lesson
from autoencoder_np.recsys.metrics import ndcg_at_k, recall_at_k, top_k

lesson = Lesson("11_recsys_implicit")

# %% [markdown]
# ## Step 1 · From ratings to clicks
# A rating of 4 or 5 stars counts as a click (a *positive*): `data.binarize(3.5)`. Everything else is 0:
# low ratings and, far more often, items the user never met.

# %%
lesson.step()
data = lesson.ratings(n_users=lesson.pick(full=2000, fast=1000))
X_all = data.binarize(3.5)
clicks_per_item = X_all.sum(axis=0)
print(f"X: {X_all.shape}, {int(X_all.sum())} clicks ({X_all.mean():.1%} of the entries)")
print(
    f"clicks per user: median {np.median(X_all.sum(axis=1)):g}; per item: median {np.median(clicks_per_item):g}, "
    f"max {clicks_per_item.max():g}"
)
top_share = np.sort(clicks_per_item)[::-1][: X_all.shape[1] // 10].sum() / clicks_per_item.sum()
print(f"the 10% most clicked items hold {top_share:.0%} of the clicks: a long tail")

# %% [markdown]
# ## Step 2 · Held-out users
# `rs.split_heldout_users` (Liang et al.'s "strong generalization" protocol) first leaves out the users with
# fewer than 5 clicks: too few to split into what a model sees and what it must find. Of the others it sets
# 10% aside for validation and 10% for test; the models train on the remaining 80%, their full rows. Each
# held-out user's clicks are split at random: 80% are the *fold-in input* the model sees, 20% (rounded down)
# the *targets* it must rank high. The model has never seen these users, so this is what happens when a real
# user comes back with their history: no retraining, just the history in and a ranking out.

# %%
lesson.step()
split = rs.split_heldout_users(data, seed=0)
print(split.describe())
train, validation, test = split.train, split.validation, split.test
active = int((X_all.sum(axis=1) >= 5).sum())
kept = train.shape[0] + len(validation) + len(test)
print(
    f"{data.n_users - active} of {data.n_users} users have fewer than 5 clicks and are left out; of the other "
    f"{active}: {train.shape[0] / active:.0%} train, {len(validation) / active:.0%} validation, "
    f"{len(test) / active:.0%} test"
)
u = int(np.argmax(test.targets.sum(axis=1) >= 5))  # the first test user with at least 5 clicks to find
print(
    f"test user {u}: {int(test.input[u].sum())} clicks in, {int(test.targets[u].sum())} to find among "
    f"{train.shape[1] - int(test.input[u].sum())} items"
)

# %% [markdown]
# ## Step 3 · Recall@K and NDCG@K
# A model gives every item a score; the user's input items are set to −∞ (we do not recommend what they
# have), and the top K form the list. With T the targets and hits = how many of the top K are in T:
#
#     Recall@K = hits / min(K, |T|)
#     DCG@K    = Σ_(rank r = 1…K) [item at r ∈ T] / log₂(r + 1)
#     NDCG@K   = DCG@K / (the DCG of a perfect list)
#
# Recall@K is 1 when the list is as full of targets as it can be. Recall ignores the order within the top K;
# NDCG rewards a hit at rank 1 more than one at rank K. Both are averaged over the users. A small example by
# hand, then the library's functions:

# %%
lesson.step()
toy_scores = np.array([[0.9, 0.1, 0.8, 0.3, 0.2, 0.7, 0.0]])  # ranking: items 0, 2, 5, 3, 4, 1, 6
toy_targets = np.array([[0, 0, 1, 0, 1, 1, 0]])  # the user clicked items 2, 4 and 5
ranking = top_k(toy_scores, 4)[0]
hits = np.isin(ranking, np.flatnonzero(toy_targets[0]))
dcg = float(np.sum(hits / np.log2(np.arange(2, 6))))
ideal = float(np.sum(1 / np.log2(np.arange(2, 5))))  # 3 targets: a perfect list has them at ranks 1-3
print(f"top 4: {ranking}, hits {hits.astype(int)}")
print(
    f"Recall@4 = {hits.sum()} / min(4, 3) = {hits.sum() / 3:.4f}; library {recall_at_k(toy_scores, toy_targets, 4):.4f}"
)
print(
    f"NDCG@4 = (1/log₂3 + 1/log₂4) / (1/log₂2 + 1/log₂3 + 1/log₂4) = {dcg / ideal:.4f}; "
    f"library {ndcg_at_k(toy_scores, toy_targets, 4):.4f}"
)


def ranked_scores(model: rs.Recommender, fold: rs.FoldIn) -> np.ndarray:
    """The model's scores for the fold's users from their input, with the input items at −∞."""
    scores = np.array(model.score(fold.input), dtype=np.float64)
    scores[fold.input > 0] = -np.inf
    return scores


def metrics(model: rs.Recommender, fold: rs.FoldIn) -> dict[str, float]:
    scores = ranked_scores(model, fold)
    return {
        "Recall@20": recall_at_k(scores, fold.targets, 20),
        "Recall@50": recall_at_k(scores, fold.targets, 50),
        "NDCG@100": ndcg_at_k(scores, fold.targets, 100),
    }


# %% [markdown]
# ## Step 4 · Popularity
# Score each item by how many training users clicked it. Everyone gets the same list (minus what they
# have). On a long tail this is already far better than chance.

# %%
lesson.step()
popularity = rs.Popularity().fit(train)
chance = rs.Popularity().fit(np.ones_like(train))  # every item equally popular: ties broken by index
print("popularity, validation:", ", ".join(f"{k} {v:.4f}" for k, v in metrics(popularity, validation).items()))
print(f"no information (items in index order), validation NDCG@100: {metrics(chance, validation)['NDCG@100']:.4f}")

# %% [markdown]
# ## Step 5 · EASE: a linear autoencoder in closed form
# Lesson 8's linear autoencoder squeezed the data through a narrow code. EASE does not squeeze: it maps
# a user's row x to scores x B with a full item × item matrix B, and stops it from copying (B = I would
# reconstruct perfectly and recommend nothing) by forcing the diagonal to 0, so each item must be
# predicted from the user's *other* items:
#
#     min_B ‖X − X B‖² + λ‖B‖²   subject to diag(B) = 0
#
# With G = XᵀX + λI and P = G⁻¹, the solution is B_ij = −P_ij / P_jj (i ≠ j), B_jj = 0: one matrix
# inverse, no epochs. λ is chosen on validation.

# %%
lesson.step()
G = train.T @ train + 200.0 * np.eye(train.shape[1])
P = np.linalg.inv(G)
B = -P / np.diag(P)
np.fill_diagonal(B, 0.0)
ease_gap = float(np.max(np.abs(B - rs.EASE(200.0).fit(train).B_)))
print(
    f"B by hand vs rs.EASE(200).B_: largest gap {ease_gap:.1e}; B is {B.shape}, diagonal all 0: {not np.diag(B).any()}"
)
ease_ndcg = {}
for l2 in (50.0, 200.0, 500.0, 1000.0):
    ease_ndcg[l2] = metrics(rs.EASE(l2).fit(train), validation)["NDCG@100"]
    print(f"  λ = {l2:>6g}: validation NDCG@100 {ease_ndcg[l2]:.4f}")
ease_l2 = max(ease_ndcg, key=ease_ndcg.get)
ease = rs.EASE(ease_l2).fit(train)
print(f"chosen λ = {ease_l2:g}")

# %% [markdown]
# ## Step 6 · Mult-DAE: a denoising autoencoder with a softmax
# Mult-DAE reads a user's clicks as draws from a probability distribution π over all items, and its
# network outputs that distribution as logits z: π = softmax(z), π_i = e^(z_i) / Σ_j e^(z_j). The loss is
# the *multinomial* negative log-likelihood of the clicks (`MultinomialLoss`):
#
#     L = −Σ_i x_i log π_i            dL/dz = (Σ_i x_i) π − x
#
# Items compete for probability, which suits ranking: raising one item's score lowers all others'. The
# network (`rs.MultDAE`):
#
#     x ─ L2Normalize ─ Dropout(0.5) ─ Dense(items → 200) ─ Tanh
#       ─ Dense(200 → items) ─ z
#
# L2Normalize divides each row by its length, so heavy and light users give inputs of one size. The
# dropout is lesson 9's corruption: in training half of each user's clicks are hidden from the input, yet
# the loss asks for all of them. That is the fold-in task itself: find the rest of a user's items from a
# part. Training keeps the epoch with the best validation NDCG@100 (as AutoRec kept its best RMSE).

# %%
lesson.step()
rng = np.random.default_rng(0)
clicks = (rng.random((4, 7)) < 0.4).astype(float)
logits = rng.normal(size=(4, 7))
multinomial = ae.MultinomialLoss()
multinomial.forward(logits, clicks)
softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
by_formula = (clicks.sum(axis=1, keepdims=True) * softmax - clicks) / len(clicks)  # the loss is a mean over rows
multinomial_gap = float(np.max(np.abs(multinomial.backward() - by_formula)))
multinomial_report = ae.gradcheck.check_loss(multinomial, logits, clicks)
print(f"dL/dz = ((Σx) π − x) / batch: gap to the formula {multinomial_gap:.1e}; {multinomial_report.summary()}")
dae = rs.MultDAE(
    hidden=(200,), dropout=0.5, epochs=lesson.pick(full=100, fast=40), patience=lesson.pick(full=20, fast=10), seed=0
).fit(train, validation)
trace = dae.validation_trace_
print(dae.network_)
lesson.print_curve("validation NDCG@100 by epoch (★ the epoch kept)", trace[:, 2], mark=dae.best_epoch_)
print(f"kept epoch {dae.best_epoch_}: validation NDCG@100 {dae.validation_score_:.4f}")

# %% [markdown]
# ## Step 7 · The test users
# Each model as chosen on validation, on the test users, once.

# %%
lesson.step()
models = {"popularity": popularity, f"EASE (λ = {ease_l2:g})": ease, "Mult-DAE": dae}
results = {name: metrics(model, test) for name, model in models.items()}
print(f"{'':<18}" + "".join(f"{m:>11}" for m in results["popularity"]))
for name, values in results.items():
    print(f"{name:<18}" + "".join(f"{v:>11.4f}" for v in values.values()))
for name, model in models.items():
    top = top_k(ranked_scores(model, test), 5)[u]
    found = [data.title(split.items[i])[:20] + (" ✓" if test.targets[u, i] else "") for i in top]
    print(f"  test user {u}, {name}: {found}")

fig = Figure(figsize=(12, 4.2), layout="constrained")
left, right = fig.subplots(1, 2)
left.plot(trace[:, 0], trace[:, 2], label="Mult-DAE")
left.plot(dae.best_epoch_, dae.validation_score_, "o", color="tab:blue", label="the epoch kept")
left.axhline(ease_ndcg[ease_l2], color="tab:orange", linestyle="--", label=f"EASE, λ = {ease_l2:g}")
left.axhline(metrics(popularity, validation)["NDCG@100"], color="gray", linestyle=":", label="popularity")
left.set_xlabel("epoch")
left.set_ylabel("validation NDCG@100")
left.set_title("choosing the epoch on the validation users")
left.legend(fontsize="small")
left.grid(True, alpha=0.3)
names, metric_names = list(results), list(results["popularity"])
width = 0.8 / len(names)
for k, name in enumerate(names):
    positions = np.arange(len(metric_names)) + (k - (len(names) - 1) / 2) * width
    bars = right.bar(positions, list(results[name].values()), width, label=name)
    right.bar_label(bars, fmt="%.3f", fontsize="x-small")
right.set_xticks(range(len(metric_names)), metric_names)
right.set_title(f"the {len(test)} test users, once")
right.legend(fontsize="small", loc="upper left")
lesson.save(fig, "rankings.png")

# %% [markdown]
# ## Step 8 · What the network learned about the items
# The last Dense layer maps the 200-number code to one logit per item: z_i = h · W[:, i] + b_i. So each
# item has a learned *code*, its column W[:, i] (200 numbers), and a bias b_i. The logit is high when the
# user's code points the same way as the item's code, and every user gets b_i on top.
#
# - b_i carries what everyone shares: it should follow the item's popularity.
# - The codes carry taste: items liked by the same people should have codes pointing the same way. We
#   compare the codes' cosine similarity for pairs of items that share a genre with pairs that share none
#   (the genres never entered training), and draw the codes in 2-D with lesson 8's PCA.

# %%
lesson.step()
last = dae.network_.decoder.layers[0]
codes, bias = last.params["W"].T.astype(np.float64), last.params["b"].astype(np.float64)  # (items, 200), (items,)
log_popularity = np.log1p(train.sum(axis=0))
bias_correlation = float(np.corrcoef(bias, log_popularity)[0, 1])
print(f"codes {codes.shape}; correlation of b_i with log(1 + clicks of i): {bias_correlation:+.3f}")
unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
cosine = unit @ unit.T
features = None if data.item_features is None else data.item_features[split.items]
if features is not None:
    share = (features @ features.T) > 0
    pairs = ~np.eye(len(codes), dtype=bool)
    within, between = float(cosine[share & pairs].mean()), float(cosine[~share & pairs].mean())
    print(f"mean cosine of item codes: sharing a genre {within:+.3f}, sharing none {between:+.3f}")
    names_of = data.feature_names or ()

    def describe(item: int) -> str:
        """The item's title and genres."""
        genres = "/".join(names_of[g] for g in np.flatnonzero(features[item]))
        return f"{data.title(split.items[item])[:28]} ({genres})"

    for item in np.argsort(-train.sum(axis=0))[:3]:
        print(f"  {describe(item)}; nearest by code:")
        for j in np.argsort(-cosine[item])[1:4]:
            print(f"      {cosine[item, j]:.2f}  {describe(j)}")
centred = codes - codes.mean(axis=0)
_, _, Vt = np.linalg.svd(centred, full_matrices=False)
plane = centred @ Vt[:2].T

fig = Figure(figsize=(12, 4.5), layout="constrained")
left, middle, right = fig.subplots(1, 3, width_ratios=(1.2, 1.2, 1))
genre = np.argmax(features, axis=1) if features is not None else np.zeros(len(codes), dtype=int)
dots = left.scatter(
    plane[:, 0],
    plane[:, 1],
    c=genre,
    cmap="tab10" if genre.max() < 10 else "tab20",
    s=5 + 40 * log_popularity / log_popularity.max(),
    alpha=0.8,
)
left.set_title("item codes, PCA to 2-D\n(colour: first genre; size: popularity)")
left.set_xlabel("principal direction 1")
left.set_ylabel("principal direction 2")
if features is not None and data.feature_names is not None:
    shown = np.unique(genre)[:10]
    left.legend(
        dots.legend_elements()[0][: len(shown)],
        [data.feature_names[g] for g in shown],
        fontsize="xx-small",
        loc="best",
        ncols=2,
    )
if features is not None:
    # Mean cosine between the items of genre g and those of genre g', over pairs of two different items;
    # genres with fewer than 5 items are left blank (too few pairs to mean anything).
    others = cosine - np.eye(len(codes))  # a code's cosine with itself (1) does not count
    pair_counts = features.T @ (1 - np.eye(len(codes))) @ features
    by_genre = (features.T @ others @ features) / np.maximum(pair_counts, 1)
    rare = features.sum(axis=0) < 5
    by_genre[rare, :] = by_genre[:, rare] = np.nan
    scale = float(np.nanmax(np.abs(by_genre)))
    image = middle.imshow(by_genre, cmap="RdBu_r", vmin=-scale, vmax=scale)
    ticks = range(features.shape[1])
    labels = [name[:10] for name in names_of] if names_of else list(ticks)
    middle.set_xticks(ticks, labels, rotation=90, fontsize="xx-small")
    middle.set_yticks(ticks, labels, fontsize="xx-small")
    middle.set_title("mean cosine of the item codes,\ngenre against genre (diagonal: within a genre)")
else:  # no genres in this data: the 60 most clicked items, in the order of the first principal direction
    chosen = np.argsort(-train.sum(axis=0))[:60]
    chosen = chosen[np.argsort(plane[chosen, 0])]
    image = middle.imshow(cosine[np.ix_(chosen, chosen)], cmap="RdBu_r", vmin=-1, vmax=1)
    middle.set_title("cosine of the 60 most clicked items' codes\n(sorted by principal direction 1)")
fig.colorbar(image, ax=middle, shrink=0.8)
right.scatter(log_popularity, bias, s=5, alpha=0.6)
right.set_xlabel("log(1 + clicks in training)")
right.set_ylabel("output bias b_i")
right.set_title(f"bias b_i ≈ popularity (r = {bias_correlation:.2f})")
right.grid(True, alpha=0.3)
lesson.save(fig, "item_codes.png")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("Recall@4 by hand = the library", recall_at_k(toy_scores, toy_targets, 4) == hits.sum() / 3)
lesson.check("NDCG@4 by hand = the library", abs(dcg / ideal - ndcg_at_k(toy_scores, toy_targets, 4)) < 1e-12)
lesson.check("EASE by hand = rs.EASE", ease_gap < 1e-8, f"gap {ease_gap:.1e}")
lesson.check("the multinomial gradient is ((Σx) π − x) / batch", multinomial_gap < 1e-12)
lesson.check_gradients("the multinomial loss passes the gradient check", multinomial_report)
pop_ndcg = results["popularity"]["NDCG@100"]
for name in names[1:]:
    lesson.check(
        f"{name} beats popularity on the test users",
        results[name]["NDCG@100"] > pop_ndcg + 0.03,
        f"NDCG@100 {results[name]['NDCG@100']:.4f} vs {pop_ndcg:.4f}",
    )
lesson.check("the kept epoch has the best validation NDCG", dae.validation_score_ == trace[:, 2].max())
lesson.check("every user with 5 clicks or more is in the split, no other", kept == active, f"{kept} of {data.n_users}")
lesson.check("the output bias follows popularity", bias_correlation > 0.5, f"r = {bias_correlation:+.3f}")
if features is not None:
    lesson.check("items sharing a genre have closer codes", within > between + 0.01, f"{within:+.3f} vs {between:+.3f}")
lesson.finish()
