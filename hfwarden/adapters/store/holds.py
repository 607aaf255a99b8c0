"""Operators' timed holds: read them, and write a pass's placed and removed holds in its transaction."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import holds
from hfwarden.core.records import Hold, HoldState, Records


def write_holds(conn: Connection, records: Records) -> None:
    """Removed holds first, then placed ones (a new hold on an endpoint replaces its old one)."""
    for endpoint in records.remove_holds:
        conn.execute(delete(holds).where(holds.c.endpoint == endpoint))
    for hold in records.add_holds:
        conn.execute(delete(holds).where(holds.c.endpoint == hold.endpoint))
        conn.execute(
            insert(holds).values(
                endpoint=hold.endpoint,
                state=hold.state.value,
                until=hold.until,
                placed_at=hold.placed_at,
                reason=hold.reason,
                over_budget=hold.over_budget,
                min_replicas=hold.min_replicas,
                max_replicas=hold.max_replicas,
                source=hold.source,
                placed_by=hold.placed_by,
            )
        )


class HoldRecords(StoreBase):
    def holds(self) -> dict[str, Hold]:
        """Endpoint → its hold, expired or not (the pass decides what expiry means)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(holds)).all()
        return {
            r.endpoint: Hold(
                r.endpoint,
                HoldState(r.state),
                r.until,
                r.placed_at,
                r.reason,
                bool(r.over_budget),
                r.min_replicas,
                r.max_replicas,
                r.source,
                r.placed_by,
            )
            for r in rows
        }
