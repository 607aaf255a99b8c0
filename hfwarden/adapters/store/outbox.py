"""The alert outbox, delivery side: what is due, claimed, delivered, to retry, or dead.

A row is sent only by the process that claimed it. The claim is a conditional UPDATE (unclaimed, or
its claim expired), atomic on SQLite and PostgreSQL alike: of two processes racing for a row, one
updates it and the other updates nothing. A sender that dies mid-send leaves a claim that expires,
so the row is sent again: delivery is at least once, and receivers drop repeats by alert id.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import alert_dead, outbox


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    alert_id: str
    sink: str
    payload: str
    attempts: int


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due, and nobody is sending it (no claim, or a claim its holder let expire)."""
    return and_(
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now),
    )


class Outbox(StoreBase):
    def due_alerts(
        self, now: datetime, limit: int = 50, *, sink: str | None = None, not_in: Collection[str] | None = None
    ) -> list[OutboxItem]:
        """Rows that may be claimed now, oldest first: of one sink, or of every sink not in `not_in`."""
        query = select(outbox).where(_claimable(now))
        if sink is not None:
            query = query.where(outbox.c.sink == sink)
        if not_in is not None:
            query = query.where(outbox.c.sink.not_in(list(not_in)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(outbox.c.id).limit(limit)).all()
        return [OutboxItem(r.id, r.alert_id, r.sink, r.payload, r.attempts) for r in rows]

    def claim_alert(self, item_id: int, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """True if `holder` now owns the row until now + ttl; False if another process does, or it is gone."""
        with self.engine.begin() as conn:
            won = conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id, _claimable(now))
                .values(claimed_by=holder, claimed_until=now + ttl)
            )
        return won.rowcount == 1

    def waiting(self, alert_ids: Collection[str]) -> int:
        """How many deliveries of these alerts are still in the outbox (not yet taken by their sink)."""
        if not alert_ids:
            return 0
        query = select(func.count()).select_from(outbox).where(outbox.c.alert_id.in_(list(alert_ids)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def outbox_depth(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def delivered(self, item_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == item_id))

    def retry_later(self, item_id: int, next_attempt_at: datetime, error: str, *, holder: str | None = None) -> None:
        """Schedule the next attempt and release the claim; with `holder`, only if that claim is still its own."""
        query = update(outbox).where(outbox.c.id == item_id)
        if holder is not None:
            query = query.where(outbox.c.claimed_by == holder)
        with self.engine.begin() as conn:
            conn.execute(
                query.values(
                    attempts=outbox.c.attempts + 1,
                    next_attempt_at=next_attempt_at,
                    last_error=error,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    def release_claim(self, item_id: int, holder: str) -> None:
        """Give a claimed row back unsent (this process stopped leading before sending it)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id, outbox.c.claimed_by == holder)
                .values(claimed_by=None, claimed_until=None)
            )

    def give_up(self, item: OutboxItem, error: str, now: datetime) -> None:
        """A sink refused the alert for good (4xx other than 429): keep it as a dead letter."""
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == item.id))
            conn.execute(
                insert(alert_dead).values(
                    alert_id=item.alert_id, sink=item.sink, payload=item.payload, failed_at=now, error=error
                )
            )

    def dead_letters(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert_dead.c.alert_id, alert_dead.c.sink, alert_dead.c.error)).all()
        return [(r.alert_id, r.sink, r.error) for r in rows]
