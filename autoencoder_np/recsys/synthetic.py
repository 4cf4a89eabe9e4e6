"""A seeded synthetic rating data set: every command, lesson and test runs on it with no download.

How it is made (``synthetic_ratings``), with a = √rank-scaled dot products of N(0, 1) factors::

    tastes      p_u, q_i ~ N(0, I_rank)              a_ui = p_u · q_i / √rank        (≈ N(0, 1))
    popularity  log-weight ℓ_i = −skew · log(1 + position of i in a random order)   (a Zipf-like tail)
    who rates   user u rates n_u items (n_u ≥ 5, geometric around ``mean_ratings``), drawn without
                replacement with probability ∝ exp(ℓ_i + a_ui): people watch what is popular and what they like
    ratings     r_ui = clip(round(3.2 + b_u + b_i + a_ui + noise·ε), 1, 5),   b ~ N(0, 0.3²), ε ~ N(0, 1)
    clicks      a rating above 3.5 (4 or 5) is a positive, as in the held-out-users protocol
    genres      ``n_genres`` 0/1 tags per item from a random linear map of q_i: each item gets its strongest
                tag and every other tag whose score exceeds 1 (so content is informative about tastes)

What a good model can find in it:

- Ratings: the global mean leaves the spread of b_u + b_i + a (RMSE ≈ 1.0); user and item biases
  explain b_u + b_i; only a model of the rank-``rank`` tastes (AutoRec, SVD) gets toward the floor set by
  the noise and the rounding, RMSE ≈ √(noise² + 1/12) ≈ 0.5 with the defaults (less where clipping helps).
- Top-N: who rated what follows popularity and taste, so popularity already ranks better than chance and
  a model of the tastes (EASE, ItemKNN, the autoencoders) ranks clearly better than popularity.
- Cold start: genres are a noisy view of q_i, so a new item's genres say something about who will like it.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_float, check_int
from .data import Interactions


def synthetic_ratings(
    n_users: int = 600,
    n_items: int = 300,
    *,
    rank: int = 6,
    mean_ratings: int = 40,
    popularity_skew: float = 1.0,
    noise: float = 0.4,
    n_genres: int = 10,
    seed: int = 0,
) -> Interactions:
    """A seeded (n_users × n_items) rating data set with low-rank tastes; see the module docstring.

    Args:
        n_users, n_items: sizes (n_items ≥ 10).
        rank: number of latent taste dimensions.
        mean_ratings: average ratings per user (each user has at least 5, at most n_items / 2).
        popularity_skew: exponent of the popularity tail (0 = every item equally popular).
        noise: standard deviation of the rating noise before rounding.
        n_genres: number of content tags per item set.
        seed: everything is drawn from ``np.random.default_rng(seed)``.

    Returns:
        :class:`Interactions` with 1–5 ratings, timestamps (the order of drawing), raw ids 1 … n, titles
        ``"item 7"`` and ``n_genres`` 0/1 genre features named ``"genre 0"`` ….
    """
    where = "synthetic_ratings"
    n_users = check_int(n_users, "n_users", where, minimum=2)
    n_items = check_int(n_items, "n_items", where, minimum=10)
    rank = check_int(rank, "rank", where)
    mean_ratings = check_int(mean_ratings, "mean_ratings", where, minimum=5)
    skew = check_float(popularity_skew, "popularity_skew", where, low=0.0)
    noise = check_float(noise, "noise", where, low=0.0)
    n_genres = check_int(n_genres, "n_genres", where)
    seed = check_int(seed, "seed", where, minimum=0)
    rng = np.random.default_rng(seed)

    P = rng.standard_normal((n_users, rank))
    Q = rng.standard_normal((n_items, rank))
    affinity = P @ Q.T / np.sqrt(rank)
    log_popularity = -skew * np.log1p(rng.permutation(n_items))

    most = n_items // 2
    counts = np.minimum(5 + rng.geometric(1.0 / max(mean_ratings - 4, 1), size=n_users) - 1, most)
    # Weighted sampling without replacement (the Gumbel top-k trick): the n_u largest log w + Gumbel noise.
    keys = log_popularity + affinity + rng.gumbel(size=(n_users, n_items))
    order = np.argsort(-keys, axis=1)
    user = np.repeat(np.arange(n_users), counts)
    item = np.concatenate([order[u, :c] for u, c in enumerate(counts)])

    user_bias = rng.normal(0.0, 0.3, n_users)
    item_bias = rng.normal(0.0, 0.3, n_items)
    latent = 3.2 + user_bias[user] + item_bias[item] + affinity[user, item]
    rating = np.clip(np.round(latent + noise * rng.standard_normal(len(user))), 1, 5)

    tag_scores = Q @ rng.standard_normal((rank, n_genres)) / np.sqrt(rank)
    genres = (tag_scores > 1.0).astype(np.float64)
    genres[np.arange(n_items), tag_scores.argmax(axis=1)] = 1.0

    return Interactions(
        user=user,
        item=item,
        rating=rating,
        timestamp=np.arange(len(user), dtype=np.float64),
        user_ids=np.arange(1, n_users + 1),
        item_ids=np.arange(1, n_items + 1),
        item_titles=np.array([f"item {i}" for i in range(1, n_items + 1)], dtype=object),
        item_features=genres,
        feature_names=tuple(f"genre {g}" for g in range(n_genres)),
        source=f"synthetic_ratings(n_users={n_users}, n_items={n_items}, rank={rank}, seed={seed})",
    )
