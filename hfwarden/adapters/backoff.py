"""Back-off shared by everything that retries an HTTP call: the Hub adapter and alert delivery."""

from __future__ import annotations

import math
import random
from datetime import datetime
from email.utils import parsedate_to_datetime


def backoff_seconds(
    retry: int, *, base_seconds: float, max_seconds: float, retry_after: float | None, rng: random.Random
) -> float:
    """Before the `retry`-th retry (1, 2, ...): exponential, 50-100 % jitter, never under `Retry-After`."""
    step = min(max_seconds, base_seconds * 2.0 ** (retry - 1))
    return float(max(step * (0.5 + rng.random() / 2), retry_after or 0.0))


# No Retry-After is taken for more than a day: `1e12` or `inf` is a server's way of saying "long".
MAX_RETRY_AFTER_S = 86_400.0


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """A `Retry-After` header in either form it takes: delay seconds or an HTTP date (from `now`),
    bounded to [0, MAX_RETRY_AFTER_S]; NaN or garbage reads as absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))
