"""Budget ladders: caps in force and the step each budget took today, written in a pass's transaction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select, update

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import ladder_caps, ladder_marks
from hfwarden.core.records import Cap, LadderMark, Records


def write_ladder(conn: Connection, records: Records) -> None:
    """Lifted caps, new caps (replacing any on the same endpoint) and each budget's latest mark."""
    for endpoint in records.remove_caps:
        conn.execute(delete(ladder_caps).where(ladder_caps.c.endpoint == endpoint))
    for cap in records.add_caps:
        conn.execute(delete(ladder_caps).where(ladder_caps.c.endpoint == cap.endpoint))
        conn.execute(
            insert(ladder_caps).values(
                endpoint=cap.endpoint,
                budget=cap.budget,
                max_replicas=cap.max_replicas,
                previous_min=cap.previous_min,
                previous_max=cap.previous_max,
                capped_at=cap.capped_at,
                until=cap.until,
                reason=cap.reason,
            )
        )
    for mark in records.ladder:
        conn.execute(delete(ladder_marks).where(ladder_marks.c.budget == mark.budget))
        conn.execute(
            insert(ladder_marks).values(
                budget=mark.budget, day=mark.day.isoformat(), step=mark.step, taken_at=mark.taken_at
            )
        )


class LadderRecords(StoreBase):
    def caps(self) -> dict[str, Cap]:
        """Endpoint → its cap, lifted or not (the pass decides what lifting means)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ladder_caps)).all()
        return {
            r.endpoint: Cap(
                r.endpoint, r.budget, r.max_replicas, r.previous_min, r.previous_max, r.capped_at, r.until, r.reason
            )
            for r in rows
        }

    def ladder_marks(self) -> dict[str, LadderMark]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ladder_marks)).all()
        return {r.budget: LadderMark(r.budget, date.fromisoformat(r.day), r.step, r.taken_at) for r in rows}

    def expire_cap(self, endpoint: str, *, at: datetime) -> bool:
        """Make a cap lift at the next pass (`release`), which restores its sizes; False if none."""
        with self.engine.begin() as conn:
            done = conn.execute(update(ladder_caps).where(ladder_caps.c.endpoint == endpoint).values(until=at))
        return bool(done.rowcount)
