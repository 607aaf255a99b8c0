"""A fresh state store without running every migration for each test: one SQLite file brought to the
schema's head once per session, and a copy of it wherever a test wants a new store. Opening the copy
finds it at head and migrates nothing; tests/test_migrations.py covers the migrations themselves."""

from __future__ import annotations

import shutil
from pathlib import Path


def migrated_template(directory: Path) -> Path:
    """A state database at the schema's head, written once into `directory`."""
    from hfwarden.adapters.store import Store

    path = directory / "migrated.db"
    Store(sqlite_url(path)).close()
    # Closing the last connection checkpoints SQLite's write-ahead log into the file: the file is all.
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_copy(template: Path, path: Path) -> str:
    """A new state database at `path` (its folder created), as a brand-new store leaves it; its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return sqlite_url(path)
