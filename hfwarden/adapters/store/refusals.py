"""Calls the platform refused, kept across restarts: endpoints refused for money, the API quota used up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import refusals
from hfwarden.core.refusals import Blocked

BILLING, API_QUOTA = "billing", "api_quota"


class RefusalRecords(StoreBase):
    def billing_blocks(self) -> dict[str, Blocked]:
        """Every endpoint refused for money: since when, last tried."""
        query = select(refusals).where(refusals.c.kind == BILLING)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.subject: Blocked(r.since, r.tried_at or r.since) for r in rows}

    def put_billing_block(self, endpoint: str, blocked: Blocked | None) -> None:
        """Keep (or, with None, forget) one endpoint's refusal for money."""
        with self.engine.begin() as conn:
            conn.execute(delete(refusals).where(refusals.c.subject == endpoint))
            if blocked is not None:
                row = {"subject": endpoint, "kind": BILLING, "since": blocked.since, "tried_at": blocked.tried_at}
                conn.execute(insert(refusals).values(**row))

    def retry_billing_blocks(self, tried_at: datetime) -> None:
        """After a reload: every endpoint refused for money counts as last tried at `tried_at` (long ago)."""
        with self.engine.begin() as conn:
            conn.execute(update(refusals).where(refusals.c.kind == BILLING).values(tried_at=tried_at))

    def api_quota_until(self, host: str) -> datetime | None:
        """When the API's call quota used up at `host` resets, as last known (None: not known to be used up)."""
        with self.engine.connect() as conn:
            until = conn.execute(select(refusals.c.until).where(refusals.c.subject == f"api:{host}")).scalar()
        return until if isinstance(until, datetime) else None

    def put_api_quota_until(self, host: str, until: datetime | None, *, since: datetime) -> None:
        """Keep (or, with None, forget) when the used-up call quota at `host` resets."""
        subject = f"api:{host}"
        with self.engine.begin() as conn:
            conn.execute(delete(refusals).where(refusals.c.subject == subject))
            if until is not None:
                conn.execute(insert(refusals).values(subject=subject, kind=API_QUOTA, since=since, until=until))
