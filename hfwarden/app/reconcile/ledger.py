"""The spend ledger in memory, persisted each pass: open segments per endpoint, recent closed ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from hfwarden.adapters.store import Store
from hfwarden.core.cost import OpenSegment, Segment, advance_ledger, spend_between, watched_since
from hfwarden.core.endpoints import Observation

# Closed segments kept in memory: enough for any budget day (at most 25 h) that is still open.
KEEP = timedelta(hours=50)


class Ledger:
    """Folds observations into segments (core.cost) and keeps the store in step."""

    def __init__(self, store: Store, *, now: datetime, gap_after: timedelta) -> None:
        self.store = store
        self.gap_after = gap_after
        self.open: dict[str, OpenSegment] = store.open_segments()
        self.closed: dict[str, list[Segment]] = {}
        for segment in store.segments_since(now - KEEP):
            self.closed.setdefault(segment.endpoint, []).append(segment)
        self._new_closed: list[Segment] = []
        self._touched: set[str] = set()

    def observe(
        self, observed: Observation, *, at: datetime, price_per_hour: float | None, day_start: datetime | None = None
    ) -> None:
        """Fold one observation in; an unknown price counts nothing (and is alerted by the pass).
        `day_start`: from when a first sight may have billed (core.cost.billed_since)."""
        closed, opened = advance_ledger(
            self.open.get(observed.key),
            observed,
            at=at,
            price_per_hour=price_per_hour or 0.0,
            gap_after=self.gap_after,
            day_start=day_start,
        )
        for segment in closed:
            self.closed.setdefault(segment.endpoint, []).append(segment)
        self._new_closed.extend(closed)
        self.open[observed.key] = opened
        self._touched.add(observed.key)

    def changes(self) -> tuple[list[Segment], list[OpenSegment]]:
        """What this pass changed: segments closed, and the open segment of each endpoint it saw."""
        return list(self._new_closed), [self.open[k] for k in sorted(self._touched)]

    def flushed(self, now: datetime) -> None:
        """The changes are stored: start afresh, and forget segments no budget day needs."""
        self._new_closed, self._touched = [], set()
        horizon = now - KEEP
        for endpoint, segments in self.closed.items():
            if segments and segments[0].end < horizon:
                self.closed[endpoint] = [s for s in segments if s.end >= horizon]

    def stretches(self, endpoint: str) -> list[Segment]:
        """An endpoint's segments in time order, the open one included up to its last observation."""
        segments = list(self.closed.get(endpoint, []))
        current = self.open.get(endpoint)
        if current is not None:
            segments.append(current.as_segment())
        return segments

    def spent(self, endpoint: str, start: datetime, end: datetime) -> float:
        """Dollars billed in [start, end), per minute as the platform bills."""
        return spend_between(self.stretches(endpoint), start, end)

    def watched_since(self, endpoint: str) -> datetime | None:
        """Since when hfwarden has observed the endpoint itself (core.cost.watched_since)."""
        return watched_since(self.stretches(endpoint))

    def endpoints(self) -> set[str]:
        return set(self.open) | set(self.closed)
