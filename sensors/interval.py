"""How often codelake's sensors look: 30 s, or $CODELAKE_SENSOR_INTERVAL_SECONDS (tests use a few seconds)."""

from __future__ import annotations

import os

DEFAULT_SENSOR_INTERVAL_SECONDS = 30
ENV = "CODELAKE_SENSOR_INTERVAL_SECONDS"


def sensor_interval_seconds() -> int:
    value = os.environ.get(ENV, "")
    if not value:
        return DEFAULT_SENSOR_INTERVAL_SECONDS
    try:
        seconds = int(value)
    except ValueError:
        raise ValueError(f"${ENV}={value!r} is not a whole number of seconds") from None
    if seconds < 1:
        raise ValueError(f"${ENV}={value!r} must be at least 1 second")
    return seconds
