"""The parts a teacher can assign: which marked functions each covers, and their default points.

A function is a solution region of the package (``markers.py``), named by its id. Every region belongs
to exactly one part (a test keeps the catalogue and the source in step), and every function has its
checks in ``checks/<part>.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """A named group of functions: ``points`` maps each region id to its default points."""

    name: str
    title: str
    points: dict[str, int]


PARTS: dict[str, Part] = {
    part.name: part
    for part in (
        Part(
            "dense", "the Dense layer: y = x W + b and its three gradients", {"dense.forward": 1, "dense.backward": 3}
        ),
        Part(
            "activations",
            "the backward pass of each activation",
            {"relu.backward": 1, "leaky_relu.backward": 1, "sigmoid.backward": 1, "tanh.backward": 1},
        ),
        Part(
            "losses",
            "each element-wise loss and its derivative",
            {
                "mse.forward": 1,
                "mse.backward": 1,
                "bce.forward": 1,
                "bce.backward": 2,
                "bce_logits.forward": 2,
                "bce_logits.backward": 1,
            },
        ),
        Part("adam", "the Adam update with bias correction and weight decay", {"adam.step": 3}),
        Part("autoencoder", "backpropagation through a whole model, layer by layer", {"model.backward": 2}),
        Part(
            "masked-loss",
            "the masked mean of AutoRec's loss and its gradient",
            {"loss.masked_mean": 1, "loss.masked_mean_backward": 2},
        ),
    )
}


def part_of(function: str) -> str:
    """The part a function belongs to."""
    return next(part.name for part in PARTS.values() if function in part.points)


def parse_parts(text: str, where: str) -> list[str]:
    """``"dense,adam"`` (or ``"all"``) -> the part names, in catalogue order; ValueError naming unknown ones."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return list(PARTS)
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise ValueError(
            f"{where}: unknown part(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(PARTS)} (comma-separated) or 'all'"
        )
    return [name for name in PARTS if name in names]
