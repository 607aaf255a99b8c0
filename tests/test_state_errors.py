"""A state store that cannot be used is one clear line and exit 2: no traceback, no password."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.support.helpers import create

PASSWORD = "s3cretPassw0rd"
SCHEDULE = (
    "version: 1\nendpoints:\n  - {namespace: acme, name: chat, schedule: [{cron: '0 9 * * *', action: resume}]}\n"
)


@pytest.fixture
def env(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "schedule.yaml").write_text(SCHEDULE)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    return base | {
        "HF_TOKEN": DEFAULT_TOKEN,
        "HF_HOME": str(tmp_path / "hf_home"),
        "HFWARDEN_CONFIG": str(tmp_path / "schedule.yaml"),
        "HFWARDEN_ENDPOINTS_API_URL": emulator.api_url,
        "HFWARDEN_HUB_URL": emulator.base_url,
        "HFWARDEN_STATE_DIR": str(tmp_path / "state"),
        "HFWARDEN_LOG_FORMAT": "json",
        "HFWARDEN_MAX_ATTEMPTS": "1",
    }


def hfwarden(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_exit_2(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


COMMANDS = [("run", "--once"), ("status",), ("plan",)]


@pytest.mark.parametrize("command", COMMANDS)
def test_garbage_state_url_is_one_line(env: dict[str, str], command: tuple[str, ...]) -> None:
    result = hfwarden(*command, env=env | {"HFWARDEN_STATE_URL": f"garbage{PASSWORD}"})
    one_line_exit_2(result, "not a database URL")


@pytest.mark.parametrize("command", COMMANDS)
def test_mysql_state_url_is_one_line(env: dict[str, str], command: tuple[str, ...]) -> None:
    result = hfwarden(*command, env=env | {"HFWARDEN_STATE_URL": f"mysql://hf:{PASSWORD}@db.example/hf"})
    one_line_exit_2(result, "'mysql'", "postgresql")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", COMMANDS)
def test_unreachable_postgresql_is_one_line(env: dict[str, str], command: tuple[str, ...]) -> None:
    url = f"postgresql://hf:{PASSWORD}@127.0.0.1:{_closed_port()}/hf"
    line = one_line_exit_2(hfwarden(*command, env=env | {"HFWARDEN_STATE_URL": url}), "cannot use the state database")
    assert "hf:***@127.0.0.1" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_corrupt_sqlite_file_is_one_line(env: dict[str, str], tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "hfwarden.db").write_bytes(b"this is not a database, just junk " * 200)
    one_line_exit_2(hfwarden(*command, env=env), "not a usable SQLite database")


def test_read_only_state_directory_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o555)
    # Root writes anywhere: without its capability to override file modes, the directory is read-only to it too.
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "hfwarden", "run", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    one_line_exit_2(result, str(state), "writable")


def test_a_state_dir_with_missing_parents_is_not_created(env: dict[str, str], tmp_path: Path) -> None:
    """As root, a state URL in a missing directory silently created the whole path."""
    state = tmp_path / "typo" / "deeper" / "state"
    result = hfwarden("run", "--once", env=env | {"HFWARDEN_STATE_URL": f"sqlite:///{state / 'hfwarden.db'}"})
    one_line_exit_2(result, "does not exist")
    assert not (tmp_path / "typo").exists()


def test_only_the_last_level_of_the_state_dir_is_created(env: dict[str, str], tmp_path: Path) -> None:
    result = hfwarden("run", "--once", env=env | {"HFWARDEN_STATE_DIR": str(tmp_path / "new-state")})
    assert "Traceback" not in result.stderr
    assert (tmp_path / "new-state" / "hfwarden.db").is_file()
    assert sqlite3.connect(tmp_path / "new-state" / "hfwarden.db").execute("select 1").fetchone() == (1,)


def test_status_from_another_directory_does_not_create_an_empty_state(
    env: dict[str, str], tmp_path: Path, api: HfApi
) -> None:
    """The default state URL was relative: `status` elsewhere made an empty database and reported all well.
    Before any state, `status` shows the live endpoints and says spend is not tracked yet; it creates nothing."""
    create(api, "chat")
    env = {k: v for k, v in env.items() if k != "HFWARDEN_STATE_DIR"} | {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    database = tmp_path / "xdg" / "hfwarden" / "hfwarden.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    one_line_exit_2(hfwarden("release", "acme/chat", env=env, cwd=elsewhere), f"no state yet at {database}")
    first = hfwarden("status", env=env, cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[1].startswith("spend not tracked yet: ")
    assert "acme/chat" in first.stdout
    assert "untracked" in first.stdout
    untracked = json.loads(hfwarden("status", "--json", env=env, cwd=elsewhere).stdout)
    assert untracked["spend_tracked"] is False
    assert [(e["endpoint"], e["state"], e["spent_usd"]) for e in untracked["endpoints"]] == [
        ("acme/chat", "pending", None)  # just created
    ]
    assert not (tmp_path / "xdg").exists()
    assert list(elsewhere.iterdir()) == []
    assert hfwarden("run", "--once", env=env, cwd=tmp_path).returncode == 0
    assert database.is_file()  # the per-user default, wherever the command ran
    status = hfwarden("status", "--json", env=env, cwd=elsewhere)
    assert status.returncode == 0, status.stderr
    assert [e["endpoint"] for e in json.loads(status.stdout)["endpoints"]] == ["acme/chat"]
    assert list(elsewhere.iterdir()) == []


def test_open_existing_on_postgresql_says_when_there_is_no_state(postgres_url: str) -> None:
    from hfwarden.adapters.store import Store, StoreError
    from tests.support.postgres import fresh_database

    url = fresh_database(postgres_url)
    with pytest.raises(StoreError, match="no state yet at postgresql"):
        Store.open_existing(url)
    Store(url).close()
    Store.open_existing(url).close()
