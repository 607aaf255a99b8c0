"""Durable state behind SQLAlchemy: applied transitions, audit, ledger, latches, holds, caps, outbox, lease.

SQLite (WAL) by default, PostgreSQL by URL. Every write is a committed transaction, so a `kill -9`
loses nothing already recorded. One module per concern; `Store` puts them together.
"""

from __future__ import annotations

from sqlalchemy import text

from hfwarden.adapters.store.audit import AuditLog
from hfwarden.adapters.store.decisions import Decisions
from hfwarden.adapters.store.engine import open_engine
from hfwarden.adapters.store.holds import HoldRecords
from hfwarden.adapters.store.ladder import LadderRecords
from hfwarden.adapters.store.lease import Leases, lease_holder_id
from hfwarden.adapters.store.ledger import LedgerRecords
from hfwarden.adapters.store.outbox import Outbox, OutboxItem
from hfwarden.adapters.store.prices import PriceCache
from hfwarden.adapters.store.tables import metadata
from hfwarden.adapters.store.transitions import AppliedTransitions

__all__ = ["OutboxItem", "Store", "lease_holder_id"]


class Store(
    AppliedTransitions, AuditLog, Decisions, HoldRecords, LadderRecords, Leases, LedgerRecords, Outbox, PriceCache
):
    """The state store. Thread-safe through the engine's pool."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url)
        metadata.create_all(self.engine)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)})"

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not reachable" to a health check
            return False

    def close(self) -> None:
        self.engine.dispose()
