"""The daemon's reload (issue 9) in process: no API is called, only `Daemon.reload`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwarden import daemon as daemon_module
from hfwarden.config import Config, load_config
from hfwarden.daemon import Daemon
from tests.support.settings import offline_settings

GOOD = "version: 1\nendpoints:\n  - {namespace: acme, name: chat, schedule: [{cron: '0 9 * * *', action: pause}]}\n"
# A safety net only: each reload below returns in well under a second.
JOIN_TIMEOUT_S = 10


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Daemon, Path]]:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(GOOD)
    settings = offline_settings(tmp_path)
    daemon = Daemon(settings, [schedule], load_config([schedule]))
    yield daemon, schedule
    daemon.reconciler.close()
    daemon.deliverer.close()
    daemon.store.close()


def reload_in_thread(daemon: Daemon) -> list[bool]:
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(daemon.reload("test")), daemon=True)
    worker.start()
    worker.join(JOIN_TIMEOUT_S)
    return result


@pytest.mark.parametrize(
    "content",
    [b"version: 1\nendpoints: [caf\xe9]\n", b"version: 1\nendpoints: [\n"],
    ids=["not-utf8", "bad-yaml"],
)
def test_reload_of_a_broken_file_keeps_the_running_config(running: tuple[Daemon, Path], content: bytes) -> None:
    daemon, schedule = running
    before = daemon.config
    schedule.write_bytes(content)
    assert reload_in_thread(daemon) == [False]
    assert daemon.config is before


def test_reload_survives_an_unexpected_loader_failure(
    running: tuple[Daemon, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, _ = running

    def explode(_paths: list[Path]) -> Config:
        raise MemoryError("simulated")

    monkeypatch.setattr(daemon_module, "load_config", explode)
    before = daemon.config
    assert reload_in_thread(daemon) == [False]
    assert daemon.config is before


def test_a_slow_load_does_not_hold_up_a_stop(running: tuple[Daemon, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    daemon, _ = running
    started, release = threading.Event(), threading.Event()

    def stuck(_paths: list[Path]) -> Config:
        started.set()
        release.wait(JOIN_TIMEOUT_S * 3)  # a load that takes far longer than the stop may wait
        raise AssertionError("never used")

    monkeypatch.setattr(daemon_module, "load_config", stuck)
    before = daemon.config
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(daemon.reload("test")), daemon=True)
    worker.start()
    assert started.wait(JOIN_TIMEOUT_S)
    daemon.request_stop()  # what SIGTERM's handler does
    worker.join(JOIN_TIMEOUT_S)
    release.set()
    assert result == [False]
    assert daemon.config is before


def test_reload_of_a_good_file_swaps_it_in(running: tuple[Daemon, Path]) -> None:
    daemon, schedule = running
    schedule.write_text(GOOD.replace("name: chat", "name: chat2"))
    assert reload_in_thread(daemon) == [True]
    assert [e.key for e in daemon.config.endpoints] == ["acme/chat2"]
