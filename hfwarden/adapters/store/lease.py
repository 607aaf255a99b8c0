"""The lease: one process acts on this state at a time; a standby takes over when the holder stops or dies.

Every change of holder bumps the lease's generation, a fencing token. A holder that stalled (a long GC pause,
a frozen VM, a suspended container) may wake up after a standby has taken over; `fenced` checks holder and
generation inside the transaction that records an action, and keeps the lease row locked until that
transaction ends, so a takeover waits for an action in flight instead of overlapping it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.errors import LeaseLost, StateLost
from hfwarden.adapters.store.tables import leases
from hfwarden.logs import get_logger

log = get_logger("hfwarden.store")
NO_HOLDER = ""  # the holder of a lease given up: the row stays, so the generation keeps counting up
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
# How long a standby's takeover waits for the holder's fenced transaction before trying again next tick.
TAKEOVER_LOCK_WAIT_MS = 2000


def _holder_is_dead_here(holder: str) -> bool:
    """A holder on this host whose process is gone (killed, crashed) need not be waited out."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lease_holder_id() -> str:
    """Who this process is, for the lease: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def fenced(conn: Connection, holder: str, generation: int, *, name: str = "daemon") -> None:
    """Raise `LeaseLost` unless `holder` still holds the lease at `generation`.

    Call it inside the transaction that records an action, right before the mutating call: the no-op UPDATE
    locks the lease row (PostgreSQL) or takes the write lock (SQLite) until that transaction ends, so no
    standby can take over between this check and the record."""
    held = conn.execute(
        update(leases)
        .where(leases.c.name == name, leases.c.holder == holder, leases.c.generation == generation)
        .values(generation=leases.c.generation)
    )
    if held.rowcount != 1:
        raise LeaseLost(f"the lease {name!r} moved on from {holder} (generation {generation}): not acting")


class Leases(StoreBase):
    def acquire_lease(self, holder: str, *, now: datetime, ttl: timedelta, name: str = "daemon") -> int | None:
        """Acquire or renew the lease until now + ttl; the generation held, or None when another holds it.

        A conditional UPDATE is atomic on SQLite and PostgreSQL alike: of two processes racing for an
        expired lease, one updates a row and the other none."""
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL lock_timeout = {TAKEOVER_LOCK_WAIT_MS}"))
                return self._acquire(conn, holder, now + ttl, now, name)
        except OperationalError as exc:
            if "lock" not in str(exc.orig).lower():
                raise
            return None  # the holder is in a fenced transaction: it is alive, so stand by

    def _acquire(self, conn: Connection, holder: str, expires: datetime, now: datetime, name: str) -> int | None:
        row = conn.execute(select(leases).where(leases.c.name == name)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(leases).values(
                            name=name, holder=holder, acquired_at=now, expires_at=expires, generation=1
                        )
                    )
                return 1
            except IntegrityError:
                return None
        mine = leases.c.name == name, leases.c.holder == row.holder, leases.c.generation == row.generation
        if row.holder == holder:
            renewed = conn.execute(update(leases).where(*mine).values(expires_at=expires))
            return int(row.generation) if renewed.rowcount == 1 else None
        if row.holder != NO_HOLDER and row.expires_at > now and not _holder_is_dead_here(row.holder):
            return None
        generation = int(row.generation) + 1
        taken = conn.execute(
            update(leases)
            .where(*mine)
            .values(holder=holder, acquired_at=now, expires_at=expires, generation=generation)
        )
        return generation if taken.rowcount == 1 else None

    def take_lease(self, holder: str, *, now: datetime, ttl: timedelta, name: str = "daemon") -> bool:
        """Acquire or renew the lease; True if `holder` holds it until now + ttl."""
        return self.acquire_lease(holder, now=now, ttl=ttl, name=name) is not None

    def give_up_lease(self, holder: str, name: str = "daemon") -> None:
        """Give the lease up, at shutdown ("release" is an operator lifting a latch). Best effort: on a
        full disk or a lost file the lease simply expires after its TTL, and a clean shutdown matters
        more than a prompt handover."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(leases)
                    .where(leases.c.name == name, leases.c.holder == holder)
                    .values(holder=NO_HOLDER, expires_at=_LONG_AGO)
                )
        except (SQLAlchemyError, StateLost) as exc:
            log.warning("lease_release_failed", holder=holder, error=str(exc).splitlines()[0], then="expires by TTL")

    def lease_holder(self, name: str = "daemon") -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leases.c.holder).where(leases.c.name == name)).first()
        return None if row is None or row.holder == NO_HOLDER else str(row.holder)

    def lease_generation(self, name: str = "daemon") -> int | None:
        """The lease's current generation (None before anyone ever took it)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(leases.c.generation).where(leases.c.name == name)).first()
        return None if row is None else int(row.generation)

    def check_lease(self, holder: str, generation: int, *, name: str = "daemon") -> bool:
        """Whether `holder` still holds the lease at `generation` (a read: nothing locked; see `fence`)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(leases.c.holder, leases.c.generation).where(leases.c.name == name)).first()
        return row is not None and row.holder == holder and row.generation == generation

    @contextmanager
    def fence(self, holder: str, generation: int, *, name: str = "daemon") -> Iterator[Connection]:
        """A transaction that starts with `fenced`: raises `LeaseLost` before anything when the lease moved on;
        otherwise make the mutating call and write its records on the connection it yields, then commit."""
        with self.engine.begin() as conn:
            fenced(conn, holder, generation, name=name)
            yield conn
