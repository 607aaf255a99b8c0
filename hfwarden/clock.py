"""The one place that reads the wall clock; everything else is handed a `Clock`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of aware UTC datetimes."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Time that only moves when told to: tests live through a day in a second."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC)
        require_aware(start)
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        require_aware(when)
        with self._lock:
            if when < self._now:
                raise ValueError("a clock cannot go back")
            self._now = when.astimezone(UTC)


def require_aware(when: datetime) -> datetime:
    """Refuse naive datetimes at the boundary: a naive time has no meaning across zones."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when.isoformat()} given where an aware one is required")
    return when


def to_z(when: datetime) -> str:
    """Format as the Inference Endpoints API does: milliseconds and a `Z` suffix."""
    # isoformat, not strftime: the same text at half the cost, and the emulator writes several per answer.
    return when.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
