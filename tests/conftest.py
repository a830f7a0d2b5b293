"""Shared test setup: make tests/ importable for helper modules, and a fast hypothesis profile."""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "default", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
# the fuzz of hostile input on demand (docs/fuzzing.md): HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_hostile.py
settings.register_profile("long", deadline=None, max_examples=100_000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
