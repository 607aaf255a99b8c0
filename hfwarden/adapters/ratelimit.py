"""The API's call quota as the server reports it, and the pacing of calls within it.

The Hub answers with the IETF draft fields (draft-ietf-httpapi-ratelimit-headers-09), on 429 and on
successful answers alike: `RateLimit: "api";r=489;t=189` (489 calls left, the fixed window resets in
189 s) and `RateLimit-Policy: "fixed window";"api";q=500;w=300`. They are parsed with
huggingface_hub's public `parse_ratelimit_headers`. Whether the Inference Endpoints API sends them
too is not documented; hfwarden reads them wherever they come and paces nothing when they are absent.
The fields are parsed in adapters/hub.py (the one module that imports huggingface_hub).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Slack added to every reset instant: `t` is whole seconds and the answer took time to arrive.
RESET_MARGIN_S = 0.5


@dataclass(frozen=True, slots=True)
class QuotaReading:
    """One answer's view of the window: calls left, seconds to its reset, the policy if sent."""

    remaining: int
    reset_seconds: float
    limit: int | None = None
    window_seconds: float | None = None


class CallQuota:
    """Calls this process may still send in the API's current window. Thread-safe.

    Every call takes one unit before it is sent (so calls in flight are counted before the server
    has seen them); each answer's reading can only lower what is left in the same window, and a
    reading whose reset lies past the known one starts a new window. Unknown quota paces nothing.
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._resets_at: float | None = None
        self._limit: int | None = None
        self._window: float | None = None
        self._in_flight = 0
        self._told: float | None = None  # the used-up window last told to `on_used_up`
        # Told (outside the lock) the reset instant of each window found used up: kept across restarts.
        self.on_used_up: Callable[[float], None] | None = None

    @property
    def remaining(self) -> int | None:
        """Calls left in the window as last known (None: no quota reported)."""
        with self._lock:
            self._roll(self._monotonic())
            return self._remaining

    def take(self, *, force: bool = False) -> float:
        """Take one call: 0 when it may go now, else the seconds until the window resets (nothing
        taken). `force`: take it anyway (a call that already waited for the reset goes as a probe)."""
        with self._lock:
            now = self._monotonic()
            self._roll(now)
            if self._remaining is None or force:
                self._in_flight += 1
                return 0.0
            if self._remaining > 0:
                self._remaining -= 1
                self._in_flight += 1
                return 0.0
            assert self._resets_at is not None  # a known remaining always has its reset
            return max(0.01, self._resets_at - now)

    def answered(self, reading: QuotaReading | None, *, refused: bool = False) -> None:
        """A call taken with `take` came back (`refused`: with a 429); fold in its reading."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if reading is None:
                return
            now = self._monotonic()
            reset_s = reading.reset_seconds if math.isfinite(reading.reset_seconds) else 0.0
            resets_at = now + max(0.0, reset_s) + RESET_MARGIN_S
            self._limit = reading.limit if reading.limit is not None else self._limit
            self._window = reading.window_seconds if reading.window_seconds is not None else self._window
            left = 0 if refused else reading.remaining
            if self._resets_at is None or self._remaining is None or resets_at > self._resets_at + RESET_MARGIN_S:
                # A new window on the server: what it says is left, less what is still on its way.
                self._remaining = max(0, left - self._in_flight)
                self._resets_at = resets_at
            else:
                self._remaining = max(0, min(self._remaining, left))
                if refused:
                    self._resets_at = max(self._resets_at, resets_at)
            used_up = self._resets_at if self._remaining == 0 and self._resets_at != self._told else None
            self._told = used_up if used_up is not None else self._told
        if used_up is not None and self.on_used_up is not None:
            self.on_used_up(used_up)

    def used_up_until(self, until: float) -> None:
        """A window an earlier process found used up until `until`: nothing is sent before it (unless an
        answer says otherwise)."""
        with self._lock:
            if until > self._monotonic() and self._remaining is None:
                self._remaining, self._resets_at, self._told = 0, until, until

    def _roll(self, now: float) -> None:
        """Past the reset: a new window with the policy's quota, until an answer says otherwise."""
        if self._resets_at is None or now < self._resets_at:
            return
        if self._limit is None:
            self._remaining = self._resets_at = None
            return
        self._remaining = max(0, self._limit - self._in_flight)
        self._resets_at = now + (self._window or 60.0) + RESET_MARGIN_S


_last_reading = threading.local()


def keep_reading(reading: QuotaReading | None) -> None:
    """Keep this thread's last quota reading for the call that is waiting on it (the response hook)."""
    _last_reading.value = reading


def take_last_reading() -> QuotaReading | None:
    """The reading of the last answer this thread received (and forget it)."""
    reading: QuotaReading | None = getattr(_last_reading, "value", None)
    _last_reading.value = None
    return reading
