"""Gradient checking: is each backward pass the derivative of its forward pass, and if not, why not?

The numeric gradient uses central differences (error O(h²)) by default, or Richardson extrapolation or the
complex step (``finite_differences``)::

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h),      h = eps · max(1, |x_i|),  eps = 6e-6 ≈ ε_mach^(1/3)

A layer is checked through a scalar made with a random upstream gradient G (a vector-Jacobian product, so
off-diagonal mistakes cannot cancel out)::

    L(x, θ) = Σ G ⊙ layer.forward(x)   ⇒   backward(G) must return dL/dx and fill dL/dθ.

An entry passes when |a − n| ≤ rtol · max(|a|, |n|) (a: analytic, n: numeric), or when |a − n| is within
the noise of the finite difference itself: rounding makes each f(x ± h) wrong by about ε·S, with ε the
machine epsilon and S = |L| + Σ_u |∂L/∂u · u| the first-order size of L over its input, parameters and
output, so the numeric gradient is wrong by about ε·S/h. Differences below
``noise = max(atol, 10·(ε·S + tiny)/h)`` (tiny: the smallest normal float) count as a relative error of 0.
Entries whose finite difference crosses a kink (a ReLU input within ±h of 0) are counted as kinks and not
judged. Checks run in float64: a float32 layer is copied to float64 for the check (``report.upcast``).

Large tensors (more than ``large`` = 10 000 entries) are checked by ``samples`` random entries plus
``directions`` random directional derivatives uᵀ∇L (which see every entry at once); a tensor that fails
either is then checked entry by entry, so one wrong entry among many is still found and named.

The complex step also computes central differences and compares: where the two disagree, the forward
pass is not complex-safe (``np.abs``, …), the report says so in a note, and central differences decide.

A failed row gets diagnosis hints (``diagnosis``): a constant ratio analytic/numeric ≈ N (a missing
mean), ≈ −1 (sign), ≈ 2 (a doubled term), a transpose, an unwritten gradient, a bias without its sum.

Error bands (CS231n): > 1e-2 probably wrong; 1e-2 … 1e-4 uncomfortable; 1e-4 … 1e-7 fine with kinks;
< 1e-7 good.

One concept per module:

=====================  ==================================================================================
finite_differences     numeric derivatives: central, Richardson, complex step; their rounding noise
subjects               layers as the checker sees them: leaves, kinks, frozen noise, float64 copies
engine                 one check: estimate, judge, re-check samples in full, diagnose → a report
checks                 check_layer, check_loss, check_model, check_model_layers
functions              check_function: a plain (forward, backward) pair of functions
sweep                  eps_sweep: truncation against rounding, for teaching
diagnosis              the hints: from the pattern of the error to the likely mistake
report                 GradCheckReport, LayerwiseReport, EpsSweep: the table, the JSON
junit                  the JUnit XML a CI shows
targets, outcomes, cli ``python -m autoencoder_np gradcheck``
=====================  ==================================================================================
"""

from .checks import check_layer, check_loss, check_model, check_model_layers
from .diagnosis import HINT_CODES, Hint
from .engine import (
    COMPLEX_AGREEMENT,
    DEFAULT_ATOL,
    DEFAULT_DIRECTIONS,
    DEFAULT_EPS,
    DEFAULT_LARGE,
    DEFAULT_RTOL,
    DEFAULT_SAMPLES,
    INPUT,
    rel_error,
)
from .finite_differences import DEFAULT_STEPS, METHODS, NOISE_FACTOR, numerical_gradient
from .functions import check_function
from .report import EpsSweep, GradCheckReport, GradCheckRow, LayerwiseReport, band
from .subjects import copy_as, named_leaves
from .sweep import eps_sweep

__all__ = [
    "COMPLEX_AGREEMENT",
    "DEFAULT_ATOL",
    "DEFAULT_DIRECTIONS",
    "DEFAULT_EPS",
    "DEFAULT_LARGE",
    "DEFAULT_RTOL",
    "DEFAULT_SAMPLES",
    "DEFAULT_STEPS",
    "HINT_CODES",
    "INPUT",
    "METHODS",
    "NOISE_FACTOR",
    "EpsSweep",
    "GradCheckReport",
    "GradCheckRow",
    "Hint",
    "LayerwiseReport",
    "band",
    "check_function",
    "check_layer",
    "check_loss",
    "check_model",
    "check_model_layers",
    "copy_as",
    "eps_sweep",
    "named_leaves",
    "numerical_gradient",
    "rel_error",
]
