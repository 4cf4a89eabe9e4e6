"""Recommenders built from the core layers: AutoRec, CDAE, Mult-DAE, Mult-VAE, beside honest baselines.

Data (``data``, ``readers``, ``synthetic``, ``given``), the protocols' splits (``splits``, ``given``), metrics
(``metrics``, in batches of users: ``ranking``), sparse matrices (``autoencoder_np.sparse.CSR``) everywhere, one
interface (``base.Recommender``: fit / score / recommend / predict), the models (the first layer of a click
row: ``sparse_input``), item cold start (``coldstart``), the evaluation (``evaluate``) and the ``recsys``
command (``cli``).
"""

from .autorec import AutoRec
from .base import MemoryBudgetError, Recommender, ValidationMonitor
from .baselines import PCA, Biases, GlobalMean, ItemKNN, Popularity, TruncatedSVD
from .cdae import CDAE
from .data import Interactions, ItemInfo
from .ease import EASE
from .given import GivenSplit, load_given, read_user_lists
from .layers import L2Normalize, RegularizedDense, UserNode
from .mult import MultDAE, MultVAE
from .ranking import evaluate_ranking, recommend
from .readers import load, read_items, read_ratings
from .sparse_input import SparseInputDense
from .splits import FoldIn, HeldOutSplit, RatingsSplit, split_heldout_users, split_ratings
from .synthetic import synthetic_ratings

__all__ = [
    "CDAE",
    "EASE",
    "PCA",
    "AutoRec",
    "Biases",
    "FoldIn",
    "GivenSplit",
    "GlobalMean",
    "HeldOutSplit",
    "Interactions",
    "ItemInfo",
    "ItemKNN",
    "L2Normalize",
    "MemoryBudgetError",
    "MultDAE",
    "MultVAE",
    "Popularity",
    "RatingsSplit",
    "Recommender",
    "RegularizedDense",
    "SparseInputDense",
    "TruncatedSVD",
    "UserNode",
    "ValidationMonitor",
    "evaluate_ranking",
    "load",
    "load_given",
    "read_items",
    "read_ratings",
    "read_user_lists",
    "recommend",
    "split_heldout_users",
    "split_ratings",
    "synthetic_ratings",
]
