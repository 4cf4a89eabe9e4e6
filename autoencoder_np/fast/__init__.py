"""The fast kernels: the textbook's numbers, computed with in-place, flat-buffer, fused and chunked forms.

Each function names the textbook function it equals, and the tests prove it (tests/test_kernels.py):
bitwise where the operations run in the same order, else within a stated bound of a few ulp.

=============================  ===============================  ==========================================
fast                           equals (textbook)                how it is faster
=============================  ===============================  ==========================================
dense_forward                  dense_forward, bitwise           the bias added in place
dense_backward                 dense_backward, dL/db ≤ n·ε      out= into the gradient buffers; 1ᵀ·dL/dy
                                                                for dL/db (BLAS); dL/dx skipped when unread
sigmoid, sigmoid_forward       sigmoid, bitwise                 in place, max(z, 1[x ≥ 0]) for np.where
sigmoid_backward, tanh_…       …_backward, bitwise              in place on one new array
leaky_relu_forward, _backward  leaky_relu_…, bitwise            max(x, αx) and max(1[x > 0], α)
dropout_forward, _backward     dropout_…, ≤ 1 ulp               one pass with the reciprocal 1/(1 − rate)
multinomial_forward, _back…    multinomial_…, a few ulp         one exp, no log-softmax array
sgd_update                     sgd_step, bitwise                in place, one scratch array
adam_update                    adam_step: m, v bitwise; p ≈ 4ε  in place; bias corrections folded into two
                                                                scalars; β as 0-d arrays of the dtype
FlatParameters                 (the layers' own arrays)         one buffer for all parameters, one for all
                                                                gradients: the update runs once per model
=============================  ===============================  ==========================================
"""

from .activations import (
    dropout_backward,
    dropout_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
)
from .dense import dense_backward, dense_forward
from .flat import FlatParameters
from .losses import multinomial_backward, multinomial_forward
from .optimizers import CHUNK_BYTES, adam_update, chunks, l2_norm, sgd_update

__all__ = [
    "CHUNK_BYTES",
    "FlatParameters",
    "adam_update",
    "chunks",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "l2_norm",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "multinomial_backward",
    "multinomial_forward",
    "sgd_update",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "tanh_backward",
]
