"""Bringing a database to the schema this code needs: the Alembic revisions in `migrations/`, at open.

Two processes opening one database at once must not both migrate it: PostgreSQL serialises them with an
advisory lock held for the migration's transaction, SQLite with an exclusive `flock` on the file's
directory (SQLite's own locks are `fcntl` locks on the file, which a `flock` elsewhere does not disturb).
The second one in finds the database already at head and does nothing.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from sqlalchemy import Connection, Engine, inspect, text

from hfwarden.logs import get_logger

log = get_logger("hfwarden.store")
# Any constant shared by every hfwarden process: "hfwarden" in ASCII.
_PG_LOCK_KEY = 0x6866776172646E
_SCRIPTS = str(Path(__file__).with_name("migrations"))


_REVISION = re.compile(r'^(down_revision|revision) = "([^"]+)"', re.MULTILINE)


@functools.cache
def head_revision() -> str:
    """The newest revision of `migrations/versions`, read from the files: alembic (~10 MB) is imported
    only when a database needs migrating, never by a daemon whose state is already at head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (Path(_SCRIPTS) / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    assert len(heads) == 1, f"one head revision expected, found {sorted(heads)}"
    return heads.pop()


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if version is None else str(version)


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the flock


def upgrade(engine: Engine, sqlite_file: Path | None) -> None:
    """Apply every revision the database lacks (nothing when it is at head already)."""
    with engine.connect() as conn:
        if current_revision(conn) == head_revision():
            return
    if sqlite_file is not None:
        with _directory_lock(sqlite_file.parent):
            _upgrade_locked(engine)
    else:
        _upgrade_locked(engine)


def _upgrade_locked(engine: Engine) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = current_revision(conn)
        if before == head_revision():
            return  # another process migrated it while this one waited for the lock
        from alembic import command  # only here: see head_revision
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", _SCRIPTS)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    if structlog.is_configured():  # the daemon's log; unconfigured, structlog would print to a CLI's stdout
        log.info("state_migrated", from_revision=before or "none", to_revision=head_revision())
