"""The alert outbox, delivery side: what is due, delivered, to retry, or dead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import alert_dead, outbox


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    alert_id: str
    sink: str
    payload: str
    attempts: int


class Outbox(StoreBase):
    def due_alerts(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        query = select(outbox).where(outbox.c.next_attempt_at <= now).order_by(outbox.c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [OutboxItem(r.id, r.alert_id, r.sink, r.payload, r.attempts) for r in rows]

    def outbox_depth(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def delivered(self, item_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == item_id))

    def retry_later(self, item_id: int, next_attempt_at: datetime, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(attempts=outbox.c.attempts + 1, next_attempt_at=next_attempt_at, last_error=error)
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
