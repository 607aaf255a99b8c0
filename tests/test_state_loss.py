"""State that goes away: a deleted or replaced SQLite file, a disk that cannot take a commit."""

from __future__ import annotations

import json
import resource
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from hfwarden.adapters.store import StateLost, Store
from hfwarden.core.records import AuditEntry
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from hfwarden.web import Liveness, build_app
from tests.conftest import WebhookReceiver
from tests.support.process import TOKEN, Running, env_for
from tests.support.web import eventually

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SCHEDULE = (
    "version: 1\nendpoints:\n  - {namespace: acme, name: chat, schedule: [{cron: '0 9 * * *', action: resume}]}\n"
)


def entry(detail: str = "") -> AuditEntry:
    return AuditEntry(NOW, "acme/chat", "pause", "a reason", "ok", detail, False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'state' / 'hfwarden.db'}")
    yield s
    s.close()


def test_deleting_the_state_file_is_detected_not_written_into(store: Store, tmp_path: Path) -> None:
    store.audit(entry())
    assert store.health() == (True, "ok")
    for file in (tmp_path / "state").iterdir():
        file.unlink()
    ok, reason = store.health()
    assert not ok
    assert "was deleted" in reason
    with pytest.raises(StateLost):
        store.audit(entry())


def test_replacing_the_state_file_is_detected(store: Store, tmp_path: Path) -> None:
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other.close()
    (tmp_path / "other.db").replace(tmp_path / "state" / "hfwarden.db")
    ok, reason = store.health()
    assert not ok
    assert "replaced" in reason


def _fill_the_disk(store: Store, full: dict[str, bool]) -> None:
    """A full disk without root: SQLite refuses to grow the file past its size (`max_page_count`)."""

    def limit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages if full['now'] else 1 << 30}")
        cursor.close()

    event.listen(store.engine, "checkout", limit)


def test_a_full_disk_turns_readyz_not_ready_until_a_commit_succeeds(store: Store) -> None:
    liveness = Liveness(tick_seconds=1, stale_after_seconds=60, started_at=0, config_loaded=True)
    liveness.last_pass_completed_at = 0
    client = TestClient(build_app(liveness, CollectorRegistry(), store.health))
    assert client.get("/readyz").status_code == 200
    full = {"now": True}
    _fill_the_disk(store, full)
    with pytest.raises(OperationalError, match="full"):
        store.audit(entry("x" * 100_000))  # a pass's records: they need room the disk no longer has
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "full" in response.json()["store_reason"]
    assert store.ping()  # reads still work: only readiness can tell
    with store.engine.begin() as conn:
        conn.execute(text("SELECT 1"))  # a transaction that wrote nothing proves nothing
    assert client.get("/readyz").status_code == 503
    full["now"] = False
    store.audit(entry("x" * 100_000))
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def live() -> Iterator[Emulator]:
    seeds = [SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-t4/x1", "running")]
    with Emulator(timings=Timings(), tokens={TOKEN: frozenset({"acme"})}, seeds=seeds) as emu:
        yield emu


def _start(live: Emulator, tmp_path: Path, schedule: str = SCHEDULE) -> tuple[Running, str]:
    (tmp_path / "s.yaml").write_text(schedule)
    daemon = Running(["--config", str(tmp_path / "s.yaml")], env_for(live, tmp_path, HFWARDEN_TICK_SECONDS="0.3"))
    started = daemon.wait_for("daemon_started")
    return daemon, f"{started['http']}/readyz"


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def test_deleting_the_state_file_while_running_stops_the_daemon_loudly(live: Emulator, tmp_path: Path) -> None:
    """It used to write into the unlinked file with /healthz and /readyz green, and lose everything at exit."""
    daemon, readyz = _start(live, tmp_path)
    try:
        eventually(lambda: _status(readyz) == 200)
        for file in (tmp_path / "state").iterdir():
            file.unlink()
        assert daemon.process.wait(20) == 3
        lost = daemon.wait_for("state_lost")
        assert lost["level"] == "error"
        assert "deleted" in lost["reason"]
    finally:
        daemon.stop()


def test_a_lost_state_store_is_alerted_straight_to_the_sinks(
    live: Emulator, tmp_path: Path, webhook_receiver: str
) -> None:
    """The outbox went with the store: the alert that it is gone goes to the sinks directly."""
    hook = f"alerts:\n  webhooks:\n    - {{name: ops, url: '{webhook_receiver}', secret: a-long-enough-test-secret}}\n"
    daemon, readyz = _start(live, tmp_path, SCHEDULE + hook)
    try:
        eventually(lambda: _status(readyz) == 200)
        for file in (tmp_path / "state").iterdir():
            file.unlink()
        assert daemon.process.wait(20) == 3
        alerted = daemon.wait_for("state_lost_alerted")
        assert alerted["delivered"] == 1
        assert [json.loads(body)["kind"] for body in WebhookReceiver.bodies] == ["state_lost"]
    finally:
        daemon.stop()


def _disk_full(pid: int, full: bool) -> None:
    """Every write of the daemon's process past 0 bytes fails (EFBIG), as on a full disk; no root needed."""
    _soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (0 if full else hard, hard))  # the soft limit: no privilege


def test_a_full_disk_turns_readyz_not_ready_and_sigterm_still_shuts_down_cleanly(
    live: Emulator, tmp_path: Path
) -> None:
    daemon, readyz = _start(live, tmp_path)
    pid = daemon.process.pid
    try:
        eventually(lambda: _status(readyz) == 200)
        _disk_full(pid, True)
        eventually(lambda: _status(readyz) == 503)
        assert "store_reason" in httpx.get(readyz).json()
        _disk_full(pid, False)
        eventually(lambda: _status(readyz) == 200)
        _disk_full(pid, True)
        eventually(lambda: _status(readyz) == 503)
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(20) == 0
        daemon.wait_for("lease_release_failed")  # it expires by its TTL instead
        daemon.wait_for("daemon_stopped")
        signalled = next(i for i, line in enumerate(daemon.lines) if '"event": "signal"' in line)
        after = daemon.lines[signalled:]
        assert not any("Traceback" in line for line in after), "".join(after)
    finally:
        daemon.stop()
