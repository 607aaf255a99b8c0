"""Ledger segments: what each endpoint billed, closed stretches and the one still open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from hfwarden.adapters.store._base import StoreBase, in_chunks
from hfwarden.adapters.store.tables import ledger_open, ledger_segments
from hfwarden.core.cost import OpenSegment, Segment


def write_ledger(conn: Connection, closed: Sequence[Segment], opened: Sequence[OpenSegment]) -> None:
    """Closed segments (one statement) and the open ones as of this pass, on `conn`'s transaction.

    A closed segment already stored (same endpoint and start) is skipped: the unique index makes a duplicate
    unstorable, and ON CONFLICT DO NOTHING (both backends) makes one a no-op instead of an error that would
    fail the whole pass."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for segments in in_chunks(closed):
        conn.execute(
            dialect.insert(ledger_segments).on_conflict_do_nothing(index_elements=["endpoint", "start"]),
            [
                {
                    "endpoint": s.endpoint,
                    "start": s.start,
                    "end": s.end,
                    "replicas": s.replicas,
                    "price_per_hour": s.price_per_hour,
                    "usd": s.usd,
                    "gap": s.gap,
                    "estimated": s.estimated,
                }
                for s in segments
            ],
        )
    endpoints = [o.endpoint for o in opened]
    for chunk in in_chunks(endpoints):
        conn.execute(delete(ledger_open).where(ledger_open.c.endpoint.in_(chunk)))
    for segment_chunk in in_chunks(opened):
        conn.execute(
            insert(ledger_open),
            [
                {
                    "endpoint": o.endpoint,
                    "start": o.start,
                    "observed_at": o.observed_at,
                    "state": o.state,
                    "replicas": o.replicas,
                    "price_per_hour": o.price_per_hour,
                    "gap": o.gap,
                }
                for o in segment_chunk
            ],
        )


class LedgerRecords(StoreBase):
    def save_ledger(self, closed: Sequence[Segment], opened: Sequence[OpenSegment]) -> None:
        """Closed segments and the open ones as of this pass, in one transaction."""
        if not closed and not opened:
            return
        with self.engine.begin() as conn:
            write_ledger(conn, closed, opened)

    def open_segments(self) -> dict[str, OpenSegment]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ledger_open)).all()
        return {
            r.endpoint: OpenSegment(r.endpoint, r.start, r.observed_at, r.state, r.replicas, r.price_per_hour, r.gap)
            for r in rows
        }

    def segments_since(self, since: datetime) -> list[Segment]:
        """Closed segments that end after `since`."""
        query = select(ledger_segments).where(ledger_segments.c.end > since).order_by(ledger_segments.c.start)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Segment(r.endpoint, r.start, r.end, r.replicas, r.price_per_hour, r.gap, r.estimated) for r in rows]
