"""Bringing a database to the schema this code needs: the Alembic revisions in `migrations/`, at open.

Two processes opening one database at once must not both migrate it: PostgreSQL serialises them with an
advisory lock held for the migration's transaction, SQLite with an exclusive `flock` on the file's
directory (SQLite's own locks are `fcntl` locks on the file, which a `flock` elsewhere does not disturb).
The second one in finds the database already at head and does nothing.

The daemon migrates apart (`upgrade_apart`): a forked child runs the same `upgrade`, so Alembic, Mako and
the revision scripts (~8 MB) never become part of the long-running process's memory.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from sqlalchemy import URL, Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from hfwarden.adapters.store.engine import describe, open_engine, parse_url, sqlite_file
from hfwarden.adapters.store.errors import StoreError
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


def upgrade_apart(engine: Engine, url: str) -> None:
    """`upgrade`, run by a forked child when the database is not at head; a `StoreError` with the
    child's one line if it fails. Forked, not a new interpreter: the child has SQLAlchemy and hfwarden
    imported already and only adds Alembic (a new interpreter took ~2 s of every first start here).
    Called at the daemon's start, before it starts any thread; with other threads running, or no fork,
    in-process."""
    with engine.connect() as conn:
        if current_revision(conn) == head_revision():
            return
    if not hasattr(os, "fork") or threading.active_count() > 1:
        # A fork copies one thread: a lock another thread holds (a log handler's, a driver's) would stay
        # held in the child. Such a process (the sandbox runs the emulator beside the daemon) migrates here.
        code, said = _migrated(engine, parse_url(url))
        if code != 0:
            raise StoreError(said)
        return
    engine.dispose()  # no pooled connection crosses the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child; its outcome is what the parent reads)
        os.close(read)
        code, said = _migrated_here(url)
        os.write(write, said.encode("utf-8", "replace")[:4096])
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode("utf-8", "replace").strip()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code != 0:
        raise StoreError(said or f"migrating the state database failed (exit {code})")
    if said and structlog.is_configured():
        log.info("state_migrated", from_revision=said, to_revision=head_revision())


def _migrated_here(url: str) -> tuple[int, str]:
    """The forked child's migration, on its own engine; it logs nothing (the parent does)."""
    structlog.reset_defaults()
    parsed = parse_url(url)
    try:
        engine = open_engine(parsed)
    except (SQLAlchemyError, OSError) as exc:
        return 1, describe(exc, parsed)
    try:
        return _migrated(engine, parsed)
    finally:
        engine.dispose()


def _migrated(engine: Engine, parsed: URL) -> tuple[int, str]:
    """(0, the revision migrated from: "none" for a new database, "" if it was at head) or (1, one line)."""
    try:
        with engine.connect() as conn:
            before = current_revision(conn)
        upgrade(engine, sqlite_file(parsed))
    except StoreError as exc:
        return 1, str(exc).splitlines()[0] if str(exc) else "migrating the state database failed"
    except (SQLAlchemyError, OSError) as exc:
        return 1, describe(exc, parsed)
    except Exception as exc:  # Alembic's own errors (a revision this code does not know): one line too
        return 1, describe(exc, parsed).replace("cannot use", "cannot migrate", 1)
    return 0, "" if before == head_revision() else (before or "none")


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
