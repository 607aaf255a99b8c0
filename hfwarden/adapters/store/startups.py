"""Start-ups and wakes: the watch on each endpoint, measured start-ups, wakes from scale-to-zero."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from hfwarden.adapters.store._base import StoreBase, in_chunks
from hfwarden.adapters.store.tables import startup_samples, startup_watch, wakes
from hfwarden.core.startups import StartupSample, Watch


def _sample(r: Row[Any]) -> StartupSample:
    return StartupSample(r.endpoint, r.instance, r.started_at, r.ready_at, r.from_zero, r.usd)


class StartupRecords(StoreBase):
    def watches(self) -> dict[str, Watch]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(startup_watch)).all()
        return {r.endpoint: Watch(r.endpoint, r.state, r.observed_at, r.starting_since, r.from_zero) for r in rows}

    def startup_samples(self, *, per_endpoint: int, since: datetime) -> list[StartupSample]:
        """The last `per_endpoint` start-ups of each endpoint, and every one that ended after `since`
        (a day of cold starts), oldest first."""
        rank = (
            func.row_number()
            .over(partition_by=startup_samples.c.endpoint, order_by=startup_samples.c.ready_at.desc())
            .label("rank")
        )
        ranked = select(startup_samples, rank).subquery()
        query = (
            select(ranked)
            .where((ranked.c.rank <= per_endpoint) | (ranked.c.ready_at > since))
            .order_by(ranked.c.ready_at)
        )
        with self.engine.connect() as conn:
            return [_sample(r) for r in conn.execute(query).all()]

    def wakes_since(self, since: datetime) -> list[tuple[str, datetime]]:
        query = select(wakes.c.endpoint, wakes.c.woke_at).where(wakes.c.woke_at > since).order_by(wakes.c.woke_at)
        with self.engine.connect() as conn:
            return [(r.endpoint, r.woke_at) for r in conn.execute(query).all()]

    def save_startups(
        self, watches: Sequence[Watch], samples: Sequence[StartupSample], woken: Sequence[tuple[str, datetime]]
    ) -> None:
        """A pass's watches, new start-ups and wakes, in one transaction."""
        if not (watches or samples or woken):
            return
        with self.engine.begin() as conn:
            write_startups(conn, watches, samples, woken)


def write_startups(
    conn: Connection,
    watches: Sequence[Watch],
    samples: Sequence[StartupSample],
    woken: Sequence[tuple[str, datetime]],
) -> None:
    keys = [w.endpoint for w in watches]
    for chunk in in_chunks(keys):
        conn.execute(delete(startup_watch).where(startup_watch.c.endpoint.in_(chunk)))
    if watches:
        conn.execute(
            insert(startup_watch),
            [
                {
                    "endpoint": w.endpoint,
                    "state": w.state,
                    "observed_at": w.observed_at,
                    "starting_since": w.starting_since,
                    "from_zero": w.from_zero,
                }
                for w in watches
            ],
        )
    if samples:
        conn.execute(
            insert(startup_samples),
            [
                {
                    "endpoint": s.endpoint,
                    "instance": s.instance,
                    "started_at": s.started_at,
                    "ready_at": s.ready_at,
                    "seconds": s.seconds,
                    "from_zero": s.from_zero,
                    "usd": s.usd,
                }
                for s in samples
            ],
        )
    if woken:
        conn.execute(insert(wakes), [{"endpoint": e, "woke_at": at} for e, at in woken])
