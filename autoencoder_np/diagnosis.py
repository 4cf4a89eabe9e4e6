"""Deprecated alias: the diagnosis hints moved to ``autoencoder_np.gradcheck.diagnosis`` (the checker is a package now).

Every public name of that module still imports from here; import from ``autoencoder_np.gradcheck`` (or
``autoencoder_np.gradcheck.diagnosis``) instead. Silent (no DeprecationWarning) while code in this package
still imports it.
"""

from .gradcheck.diagnosis import *  # noqa: F403
