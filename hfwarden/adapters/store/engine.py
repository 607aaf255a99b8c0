"""Opening the database: SQLite (WAL) by default, PostgreSQL by URL; every failure is one line (`StoreError`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from hfwarden.adapters.store.errors import StoreError
from hfwarden.logs import MASK
from hfwarden.settings import default_state_dir

URL_FORMS = "sqlite:////ABSOLUTE/PATH/hfwarden.db or postgresql+psycopg://USER@HOST/DATABASE"
# An unreachable PostgreSQL fails the start in seconds instead of the operating system's TCP timeout.
PG_CONNECT_TIMEOUT_S = 10


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# Query parameters that carry a secret (`?password=`, `sslpassword`, a token): masked wherever the URL is shown.
SECRET_QUERY_KEY = re.compile(r"(?i)pass|pwd|secret|token|key")


def shown(url: URL) -> str:
    """The URL as it may be printed: no password, neither in the authority nor in the query."""
    base = url.set(query={}).render_as_string(hide_password=True)
    pairs = [
        f"{key}={MASK if SECRET_QUERY_KEY.search(key) else quote(item, safe='')}"
        for key, value in url.query.items()
        for item in ([value] if isinstance(value, str) else value)
    ]
    return f"{base}?{'&'.join(pairs)}" if pairs else base


def url_secrets(url: URL) -> list[str]:
    """Every secret value the URL holds, for masking in text a driver wrote."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if SECRET_QUERY_KEY.search(key):
            found += [value] if isinstance(value, str) else list(value)
    return [s for s in found if s]


def parse_url(url: str) -> URL:
    """The URL, checked: a backend we support, `postgresql://` given its installed driver. The errors
    never repeat the URL (it may hold a password)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"the state URL is not a database URL; expected {URL_FORMS}") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres") and "+" not in parsed.drivername:
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise StoreError(f"the state URL names a {backend!r} database; hfwarden supports {URL_FORMS}")
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The SQLite file behind `url`, or None (PostgreSQL, in-memory SQLite)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).absolute()


def ensure_directory(directory: Path) -> None:
    """Create the state directory's last level only (its parent must exist): a typo in a configured path, or a
    root process, must not grow a tree of directories somewhere. The per-user default is the platform's
    standard place, so its parents are created too."""
    if directory.is_dir():
        return
    try:
        if directory == default_state_dir().absolute():
            directory.mkdir(parents=True, exist_ok=True)
        elif directory.parent.is_dir():
            directory.mkdir(exist_ok=True)
        else:
            raise StoreError(
                f"state directory {directory} cannot be created: its parent {directory.parent} does not exist "
                "(hfwarden creates only the last level of a configured state directory)"
            )
    except OSError as exc:
        raise StoreError(f"cannot create the state directory {directory}: {exc.strerror or exc}") from None


def open_engine(parsed: URL) -> Engine:
    """An engine for the checked URL; a SQLite file's directory is created as `ensure_directory` says."""
    path = sqlite_file(parsed)
    if path is not None:
        ensure_directory(path.parent)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ImportError, NoSuchModuleError):
        raise StoreError(f"the {parsed.drivername} driver is not installed: pip install 'hfwarden[postgres]'") from None
    if path is not None:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def describe(exc: BaseException, url: URL) -> str:
    """One line for a failure to open or migrate the store: where, what, and what to do; no password."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    for secret in url_secrets(url):
        detail = detail.replace(secret, MASK)
    path = sqlite_file(url)
    if path is None:
        return f"cannot use the state database {shown(url)}: {detail}"
    if "not a database" in detail or "malformed" in detail:
        return f"the state file {path} is not a usable SQLite database ({detail}): move it aside or restore a backup"
    if "readonly" in detail or "unable to open" in detail or "permission" in detail.lower():
        return f"cannot write the state file {path} ({detail}): check that its directory is writable"
    return f"cannot use the state file {path}: {detail}"
