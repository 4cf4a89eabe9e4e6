"""Deprecated alias: numeric derivatives moved to ``autoencoder_np.gradcheck.finite_differences`` (the
checker is a package now).

Every public name of that module still imports from here; import from ``autoencoder_np.gradcheck`` (or
``autoencoder_np.gradcheck.finite_differences``) instead. Silent (no DeprecationWarning) while code in this package
still imports it.
"""

from .gradcheck.finite_differences import *  # noqa: F403
