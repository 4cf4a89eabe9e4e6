"""Deprecated alias: the reports moved to ``autoencoder_np.gradcheck.report`` (the checker is a package now).

Every public name of that module still imports from here; import from ``autoencoder_np.gradcheck`` (or
``autoencoder_np.gradcheck.report``) instead. Silent (no DeprecationWarning) while code in this package
still imports it.
"""

from .gradcheck.report import *  # noqa: F403
