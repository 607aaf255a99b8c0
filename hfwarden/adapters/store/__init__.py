"""Durable state behind SQLAlchemy: transitions applied, audit log, ledger, latches, exemptions, holds,
ladder caps, alert outbox, lease, refusals.

SQLite (WAL) by default, PostgreSQL by URL. Every write is a committed transaction, so a `kill -9`
loses nothing already recorded. The schema is Alembic's (`migrations/`), brought to head at open.
One module per concern; `Store` puts them together.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from hfwarden.adapters.store import migrate
from hfwarden.adapters.store.actions import ActionTokens
from hfwarden.adapters.store.audit import AuditLog
from hfwarden.adapters.store.decisions import Decisions
from hfwarden.adapters.store.engine import describe, open_engine, parse_url, shown, sqlite_file
from hfwarden.adapters.store.errors import LeaseLost, NoState, StateLost, StoreError
from hfwarden.adapters.store.exemptions import Exemptions
from hfwarden.adapters.store.health import StoreHealth
from hfwarden.adapters.store.holds import HoldRecords
from hfwarden.adapters.store.ladder import LadderRecords
from hfwarden.adapters.store.lease import Leases, lease_holder_id
from hfwarden.adapters.store.ledger import LedgerRecords
from hfwarden.adapters.store.outbox import Outbox, OutboxItem
from hfwarden.adapters.store.prices import PriceCache
from hfwarden.adapters.store.proposals import ProposalRecords
from hfwarden.adapters.store.refusals import RefusalRecords
from hfwarden.adapters.store.startups import StartupRecords
from hfwarden.adapters.store.transitions import AppliedTransitions

__all__ = ["LeaseLost", "NoState", "OutboxItem", "StateLost", "Store", "StoreError", "lease_holder_id"]


def _no_state(where: str) -> str:
    return (
        f"no state yet at {where}: nothing has run on it (start `hfwarden run`, or point HFWARDEN_STATE_DIR or "
        "HFWARDEN_STATE_URL at the daemon's state)"
    )


def _has_state(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    return "alembic_version" in names or "leases" in names


class Store(
    ActionTokens,
    AppliedTransitions,
    AuditLog,
    Decisions,
    Exemptions,
    HoldRecords,
    LadderRecords,
    Leases,
    LedgerRecords,
    Outbox,
    PriceCache,
    ProposalRecords,
    RefusalRecords,
    StartupRecords,
):
    """The state store. Thread-safe through the engine's pool.

    Opening it creates the database if needed and migrates it to this code's schema; any failure to do so
    is a `StoreError` with one printable line.
    """

    def __init__(self, url: str, *, create: bool = True, migrate_apart: bool = False) -> None:
        """`migrate_apart`: a database behind this code's schema is migrated by a child process
        (`migrate.upgrade_apart`), for a long-running process that should not keep Alembic in memory."""
        parsed = parse_url(url)
        path = sqlite_file(parsed)
        if not create and path is not None and not path.is_file():
            raise NoState(_no_state(str(path)))
        self.engine = open_engine(parsed)
        try:
            missing = not create and path is None and not _has_state(self.engine)
            if not missing and migrate_apart:
                migrate.upgrade_apart(self.engine, url)
            elif not missing:
                migrate.upgrade(self.engine, path)
        except StoreError:
            self.engine.dispose()
            raise
        except (SQLAlchemyError, OSError) as exc:
            self.engine.dispose()
            raise StoreError(describe(exc, parsed)) from None
        if missing:
            self.engine.dispose()
            raise NoState(_no_state(shown(parsed)))
        self.health_state = StoreHealth(self.engine, path)

    @classmethod
    def open_existing(cls, url: str) -> Store:
        """The store at `url` if hfwarden has ever written there; else a `StoreError` that says so. For commands
        that only read state (`status`, `release`): an empty database made on the spot would report no latches
        and no spend, as if all were well."""
        return cls(url, create=False)

    def __repr__(self) -> str:
        return f"Store({shown(self.engine.url)})"

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not reachable" to a health check
            return False

    def health(self) -> tuple[bool, str]:
        """(ok, reason) for readiness: the file is still the one opened, the database answers, and the last
        commit did not fail."""
        lost = self.health_state.lost()
        if lost is not None:
            return False, lost
        if not self.ping():
            return False, "the state database does not answer"
        if self.health_state.commit_failure is not None:
            return False, f"the last commit failed: {self.health_state.commit_failure}"
        return True, "ok"

    def close(self) -> None:
        self.engine.dispose()
