"""Shared test set-up: hypothesis profiles and helpers.

Profiles: ``ci`` (derandomized, no deadline, no example database; the README's test command uses it),
``dev`` (random, the default) and ``fuzz`` (1000 derandomized examples a test, for a deep run of the fuzz
tests: ``pytest --hypothesis-profile=fuzz -k fuzz``). Pick one with ``pytest --hypothesis-profile=ci``.
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
settings.register_profile(
    "fuzz", derandomize=True, deadline=None, database=None, max_examples=1000, suppress_health_check=list(HealthCheck)
)
settings.load_profile("dev")
