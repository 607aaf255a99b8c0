"""The lease: one process acts on this state at a time; a standby takes over when the holder stops or dies."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import leases


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


class Leases(StoreBase):
    def take_lease(self, holder: str, *, now: datetime, ttl: timedelta, name: str = "daemon") -> bool:
        """Acquire or renew the lease; True if `holder` holds it until now + ttl.

        A conditional UPDATE is atomic on SQLite and PostgreSQL alike: of two processes racing for an
        expired lease, one updates a row and the other none.
        """
        expires = now + ttl
        with self.engine.begin() as conn:
            row = conn.execute(select(leases).where(leases.c.name == name)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(leases).values(name=name, holder=holder, acquired_at=now, expires_at=expires)
                        )
                    return True
                except IntegrityError:
                    return False
            if row.holder == holder:
                renewed = conn.execute(
                    update(leases).where(leases.c.name == name, leases.c.holder == holder).values(expires_at=expires)
                )
                return renewed.rowcount == 1
            if row.expires_at > now and not _holder_is_dead_here(row.holder):
                return False
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.holder == row.holder)
                .values(holder=holder, acquired_at=now, expires_at=expires)
            )
            return taken.rowcount == 1

    def release_lease(self, holder: str, name: str = "daemon") -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

    def lease_holder(self, name: str = "daemon") -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leases.c.holder).where(leases.c.name == name)).first()
        return None if row is None else str(row.holder)
