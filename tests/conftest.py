"""Shared test set-up: hypothesis profiles and helpers.

Profiles: ``ci`` (derandomized, no deadline, no example database; the README's test command uses it) and
``dev`` (random, the default). Pick one with ``pytest --hypothesis-profile=ci``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dev")
