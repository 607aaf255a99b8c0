"""Back-off shared by everything that retries an HTTP call: the Hub adapter and alert delivery."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before recording a failure."""

    max_attempts: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    # The longest Retry-After waited out (by the call that got it, or by a call starting inside it). A
    # longer one fails the call, and calls of that operation fail fast until it has passed, across
    # passes: a pass never sleeps through a long window.
    max_retry_after_seconds: float = 10.0
    # The longest a call waits for the API's next quota window (a fixed window is 5 minutes on the Hub).
    max_quota_wait_seconds: float = 330.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait after failed attempt `attempt` (1, 2, ...)."""
        return backoff_seconds(
            attempt, base_seconds=self.base_seconds, max_seconds=self.max_seconds, retry_after=retry_after, rng=rng
        )
