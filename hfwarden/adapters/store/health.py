"""Whether the store can still keep what is written to it: the last commit, and the SQLite file's identity.

A failed write (full disk, read-only file system, I/O error) marks the store unable to commit until a later
commit succeeds; SQLAlchemy's events see every commit of every part of the store, so no write path needs to
remember to report. A SQLite file deleted or replaced while open is worse: writes go on "succeeding" into an
unlinked inode and vanish at exit. The file's (st_dev, st_ino) at open is the identity every transaction
checks; a change raises `StateLost` instead of writing into the void.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError

from hfwarden.adapters.store.errors import StateLost
from hfwarden.logs import get_logger

log = get_logger("hfwarden.store")
_WROTE = "hfwarden.wrote"
_COMMITTING = "hfwarden.committing"
_WRITES = ("INSERT", "UPDATE", "DELETE")


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class StoreHealth:
    """Tracks commit failures and the SQLite file's identity for one engine."""

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.path = path
        self.identity = file_identity(path) if path is not None else None
        self.commit_failure: str | None = None
        self._lost_logged = False
        self._lock = threading.Lock()
        event.listen(engine, "after_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "rollback", self._on_rollback)
        event.listen(engine, "handle_error", self._on_error)
        event.listen(engine, "checkin", self._on_checkin)
        if path is not None:
            event.listen(engine, "begin", self._on_begin)

    def lost(self) -> str | None:
        """Why the SQLite file is no longer the one opened, or None while it is (or for PostgreSQL)."""
        if self.path is None or self.identity is None:
            return None
        now = file_identity(self.path)
        if now == self.identity:
            return None
        what = "deleted" if now is None else "replaced by another file"
        reason = f"the state file {self.path} was {what} while in use; what is written now would be lost"
        with self._lock:
            first, self._lost_logged = not self._lost_logged, True
        if first:
            log.error("state_lost", path=str(self.path), reason=reason, action="not ready; stopping")
        return reason

    def _on_begin(self, _conn: Connection) -> None:
        reason = self.lost()
        if reason is not None:
            raise StateLost(reason)

    def _on_execute(self, conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            conn.info[_WROTE] = True

    def _on_commit(self, conn: Connection) -> None:
        # Only a commit that wrote something proves the store can commit again: a read-only transaction
        # "commits" fine on a full disk.
        if conn.info.pop(_WROTE, False):
            conn.info[_COMMITTING] = True

    def _on_rollback(self, conn: Connection) -> None:
        conn.info.pop(_WROTE, None)

    def _on_error(self, context: ExceptionContext) -> None:
        committing = context.connection is not None and context.connection.info.pop(_COMMITTING, False)
        statement = (context.statement or "").lstrip().upper()
        writing = committing or statement.startswith(_WRITES)
        first = str(context.original_exception).strip().splitlines()
        message = first[0] if first else type(context.original_exception).__name__
        # Constraint violations are the caller's business, and a lock wait that timed out (a standby behind a
        # fenced transaction) is contention, not a store that cannot write; failing to write at all is ours.
        if writing and isinstance(context.sqlalchemy_exception, OperationalError) and "lock" not in message.lower():
            self.commit_failure = message
            log.error("state_commit_failed", error=message)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        # A connection goes back to the pool after its transaction: a commit with no error since succeeded.
        if record.info.pop(_COMMITTING, False) and self.commit_failure is not None:
            log.info("state_commit_recovered", after=self.commit_failure)
            self.commit_failure = None
