"""The operations the CLI and the daemon share, against the emulator: `run --once` delivers what its
pass raised before it returns; `status` reports what it could not see instead of a reassuring zero."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest
import respx
from huggingface_hub import HfApi

from hfwarden.adapters.store import Store
from hfwarden.app.ops.operations import assess, run_once
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import Emulator
from tests.support.helpers import advance, create
from tests.support.settings import settings_for

pytestmark = pytest.mark.usefixtures("client_at_emulator")

HOOK = "https://hooks.example.test/hfwarden"
CONFIG = f"""
version: 1
endpoints:
  - {{namespace: acme, name: ghost, schedule: [{{cron: "0 0 * * *", action: pause}}]}}
alerts:
  webhooks:
    - {{name: ops, url: "{HOOK}", secret: a-long-enough-test-secret}}
"""


def config_at(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_run_once_delivers_the_alerts_its_pass_raised(emulator: Emulator, clock: ManualClock, tmp_path: Path) -> None:
    config = load_config([config_at(tmp_path)])
    with respx.mock(assert_all_called=True) as mock:
        hook = mock.post(HOOK).respond(200)
        result = run_once(settings_for(emulator, tmp_path), config, clock=clock)
    assert result.report is not None
    assert "acme/ghost" in result.report.failed  # missing endpoint: an endpoint_failed alert
    assert result.undelivered == 0
    assert hook.call_count == 1
    assert b"endpoint_failed" in hook.calls.last.request.content


def test_run_once_says_when_a_sink_did_not_take_its_alerts(
    emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    config = load_config([config_at(tmp_path)])
    with respx.mock() as mock:
        mock.post(HOOK).respond(503)
        result = run_once(settings_for(emulator, tmp_path, once_delivery_seconds=0.3), config, clock=clock)
    assert result.undelivered == 1  # kept in the outbox for the daemon, and the exit code says so


def test_status_reports_a_namespace_it_cannot_read(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    create(api, "chat")
    advance(control, 70)
    text = "version: 1\nendpoints:\n  - {namespace: acme, name: chat}\n  - {namespace: other, name: x}\n"
    config = load_config([config_at(tmp_path, text)])
    settings = settings_for(emulator, tmp_path, hf_token="hf_acme_only")
    Store(settings.database_url).close()  # status reads existing state only (the daemon made it)
    report = assess(settings, config, clock=clock)
    assert not report.ok
    assert "other/*" in report.failed
    assert "namespace not observable" in report.failed["other/*"]
