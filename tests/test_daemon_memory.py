"""What the daemon's process keeps imported (issue 19: peak RSS at 5,000 endpoints). Every module
imported stays resident for the daemon's life, so packages a config does not use stay out:
`holidays` (~3 MB here) unless a calendar names a country, Alembic and Mako (~8 MB) unless the state
needs migrating, and even then the migration runs in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hfwarden.adapters.store import Store, StoreError, migrate

# What `hfwarden run` imports, then what the daemon does at start: read the config, open the store.
DAEMON_START = """
import json, sys
import hfwarden.cli, hfwarden.commands, hfwarden.daemon
from pathlib import Path
from hfwarden.adapters.store import Store, migrate
from hfwarden.config import load_config
config = load_config([Path(sys.argv[1])])
store = Store(sys.argv[2], migrate_apart=True)
with store.engine.connect() as conn:
    revision = migrate.current_revision(conn)
print(json.dumps({"revision": revision, "holidays": "holidays" in sys.modules, "alembic": "alembic" in sys.modules}))
"""


def daemon_start(config: Path, url: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", DAEMON_START, str(config), url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def schedule(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "version: 1\ntimezone: UTC\n"
        + extra
        + "endpoints:\n  - {namespace: acme, name: chat, schedule: [{cron: '0 8 * * *', action: resume}]}\n"
    )
    return path


def test_a_new_state_is_migrated_without_alembic_or_holidays_in_the_daemon(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'hfwarden.db'}"
    started = daemon_start(schedule(tmp_path), url)
    assert started == {"revision": migrate.head_revision(), "holidays": False, "alembic": False}
    again = daemon_start(schedule(tmp_path), url)  # at head already: nothing to migrate
    assert again == started


def test_a_calendar_with_a_country_still_gets_its_holidays(tmp_path: Path) -> None:
    calendars = "calendars:\n  office: {country: DE, subdivision: BY}\n"
    started = daemon_start(schedule(tmp_path, calendars), f"sqlite:///{tmp_path / 'hfwarden.db'}")
    assert started["holidays"] is True


@pytest.mark.parametrize("threads", ["forked", "in-process with another thread running"])
def test_a_migration_that_fails_apart_is_one_line(tmp_path: Path, threads: str) -> None:
    if threads != "forked":
        another = threading.Event()
        threading.Thread(target=another.wait, args=(10,), daemon=True).start()
    url = f"sqlite:///{tmp_path / 'hfwarden.db'}"
    Store(url).close()
    with Store(url).engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'nosuchrevision'")
    with pytest.raises(StoreError) as raised:
        Store(url, migrate_apart=True)
    assert "nosuchrevision" in str(raised.value)
    assert "\n" not in str(raised.value)
    if threads != "forked":
        another.set()
