"""Recommenders built from the core layers: AutoRec, CDAE, Mult-DAE, Mult-VAE, beside honest baselines.

Data (``data``, ``synthetic``), the two protocols' splits (``splits``), metrics (``metrics``), one
interface (``base.Recommender``: fit / score / recommend / predict), the models, item cold start
(``coldstart``), the evaluation (``evaluate``) and the ``recsys`` command (``cli``).
"""

from .autorec import AutoRec
from .base import Recommender, ValidationMonitor
from .baselines import PCA, Biases, GlobalMean, ItemKNN, Popularity, TruncatedSVD
from .cdae import CDAE
from .data import Interactions, ItemInfo, load, read_items, read_ratings
from .ease import EASE
from .layers import L2Normalize, RegularizedDense, UserNode
from .mult import MultDAE, MultVAE
from .splits import FoldIn, HeldOutSplit, RatingsSplit, split_heldout_users, split_ratings
from .synthetic import synthetic_ratings

__all__ = [
    "CDAE",
    "EASE",
    "PCA",
    "AutoRec",
    "Biases",
    "FoldIn",
    "GlobalMean",
    "HeldOutSplit",
    "Interactions",
    "ItemInfo",
    "ItemKNN",
    "L2Normalize",
    "MultDAE",
    "MultVAE",
    "Popularity",
    "RatingsSplit",
    "Recommender",
    "RegularizedDense",
    "TruncatedSVD",
    "UserNode",
    "ValidationMonitor",
    "load",
    "read_items",
    "read_ratings",
    "split_heldout_users",
    "split_ratings",
    "synthetic_ratings",
]
