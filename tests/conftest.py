"""Hypothesis profiles: quick and deterministic by default, long under ``nox -s fuzz``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI machines are small and shared: time limits per example would only make tests flaky.
settings.register_profile("default", deadline=None, print_blob=True)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=3_000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# On CI every run explores the same examples, so a red build is reproducible, not a coin toss.
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True, database=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)
