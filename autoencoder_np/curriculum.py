"""The lessons' catalogue: what each lesson is called, teaches, takes and draws, in teaching order.

``CURRICULUM`` is the one list the lesson kit (``lesson.py``), the ``lessons`` command, the course site and
the tests read; lessons/README.md's index repeats its times (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LessonInfo:
    """One entry of the catalogue.

    ``minutes`` is the time a student needs to read, run and think it through (not the run time).
    ``figures`` are the files the lesson promises to write into its output folder. ``data``: the lesson
    takes ``--data PATH`` (a ratings file in place of the synthetic data).
    """

    number: int
    topic: str
    title: str
    minutes: int
    figures: tuple[str, ...] = ()
    data: bool = False

    @property
    def name(self) -> str:
        """``03_activations``: the script's file name without ``.py``, and its output folder's name."""
        return f"{self.number:02d}_{self.topic}"

    def command(self, *, module: bool) -> str:
        """The shell command that runs this lesson: ``python -m lessons.NN_topic`` or ``python lessons/NN_topic.py``."""
        return f"python -m lessons.{self.name}" if module else f"python lessons/{self.name}.py"


#: The curriculum in teaching order. Each lesson assumes only what the lessons before it taught.
CURRICULUM: tuple[LessonInfo, ...] = (
    LessonInfo(
        1, "founding_example", "The founding example as a Keras user writes it, then what fit does step by step",
        25, ("loss_curve.png", "reconstructions.png"),
    ),
    LessonInfo(
        2, "dense_layer", "A dense layer by hand: forward, backward derived on a 2×3 example, finite differences",
        30, ("dense_gradcheck.png",),
    ),
    LessonInfo(
        3, "activations", "Activations: ReLU, sigmoid, tanh, their derivatives, the kink and saturation",
        20, ("activations.png", "gradient_by_depth.png"),
    ),
    LessonInfo(
        4, "losses", "Losses: MSE, cross-entropy from probabilities and from logits, and float32",
        25, ("loss_vs_logit.png", "bce_float32.png"),
    ),
    LessonInfo(
        5, "backprop", "Backpropagation through the whole autoencoder, layer by layer, with the checker's table",
        30, ("model_gradcheck.png",),
    ),
    LessonInfo(
        6, "optimizers", "Optimizers: SGD, momentum and Adam (bias correction at t=1) on the same problems",
        30, ("bowl_paths.png", "adam_bias_correction.png", "optimizers.png"),
    ),
    LessonInfo(
        7, "gradient_checking",
        "Gradient checking itself: eps sweep, float32 vs float64, complex step, bands, checks in your tests",
        35, ("eps_sweep.png", "error_bands.png"),
    ),
    LessonInfo(
        8, "autoencoder_vs_pca", "Autoencoder versus PCA: the linear AE spans the PCA subspace; nonlinear beats it",
        30, ("linear_ae_vs_pca.png", "nonlinear_manifold.png"),
    ),
    LessonInfo(
        9, "denoising_sparse", "Denoising and sparse autoencoders: corrupt the input, watch codes and outputs",
        30, ("denoising.png", "codes.png", "decoder_weights.png"),
    ),
    LessonInfo(
        10, "recsys_explicit", "Recommenders I: AutoRec on explicit ratings, a masked loss, two baselines; RMSE",
        35, ("ratings.png", "autorec_rmse.png"), data=True,
    ),
    LessonInfo(
        11, "recsys_implicit", "Recommenders II: implicit feedback, Mult-DAE vs popularity and EASE; Recall and NDCG",
        35, ("rankings.png", "item_codes.png"), data=True,
    ),
    LessonInfo(
        12, "cold_start", "Cold start: fold in a new user from three clicks; a new item from its features",
        25, ("new_users.png", "new_items.png"), data=True,
    ),
    LessonInfo(
        13, "scale", "Scale: epoch cost as users and items grow, float32 vs float64, why input stays dense",
        20, ("epoch_cost.png",), data=True,
    ),
)  # fmt: skip


def find(key: int | str) -> LessonInfo:
    """The catalogue entry for a lesson number (3) or name ("03_activations")."""
    for info in CURRICULUM:
        if key in (info.number, info.name):
            return info
    numbers = ", ".join(str(info.number) for info in CURRICULUM)
    raise ValueError(f"there is no lesson {key!r}; the lessons are numbered {numbers} (see: lessons)")
