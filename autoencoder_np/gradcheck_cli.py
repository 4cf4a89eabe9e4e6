"""Deprecated alias: the gradcheck command moved to :mod:`autoencoder_np.gradcheck.cli` (the checker is a
package now), its checks to ``gradcheck.outcomes`` and its targets to ``gradcheck.targets``.

The names this module had keep working from here; import them from their new modules instead. It stays
silent (no DeprecationWarning) while code in this package may still import it.
"""

from .gradcheck.cli import JSON_SCHEMA, add_arguments, notes_by_text, run, table, write_json
from .gradcheck.outcomes import (
    Options,
    Outcome,
    builtin_outcomes,
    check_layer_outcome,
    check_loss_outcomes,
    target_outcomes,
)
from .gradcheck.targets import BATCH, DEFAULT_FEATURES, load_target, resolve

details = Outcome.details

__all__ = [
    "BATCH",
    "DEFAULT_FEATURES",
    "JSON_SCHEMA",
    "Options",
    "Outcome",
    "add_arguments",
    "builtin_outcomes",
    "check_layer_outcome",
    "check_loss_outcomes",
    "details",
    "load_target",
    "notes_by_text",
    "resolve",
    "run",
    "table",
    "target_outcomes",
    "write_json",
]
