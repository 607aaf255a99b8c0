"""Hostile `hold` input (issue 18): replicas bounded like schedules (the hold is sent to the API, and
`--over-budget` exempts it from the guard), durations and dates that overflow: one line, exit 2,
nothing stored, no traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.store import Store
from hfwarden.cli import main
from hfwarden.clock import ManualClock
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.conftest import START
from tests.support.helpers import create
from tests.support.settings import settings_for

HELD_DAY = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 20 * * *", action: resume, min_replicas: 1, max_replicas: 2}
budgets:
  - {name: acme-prod, daily_usd: 150, scope: {namespace: acme}}
"""
CASES = {
    "min-max-5000": (["--until", "2h", "--min", "5000", "--max", "5000"], "at most 1,000 replicas"),
    "max-10**23": (["--until", "2h", "--max", "99999999999999999999999"], "at most 1,000 replicas"),
    "until-99999999999999h": (["--until", "99999999999999h"], "more than 7 days ahead"),
    "until-year-1-with-offset": (["--until", "0001-01-01T00:00+05:00"], "out of range"),
    "until-year-9999-with-offset": (["--until", "9999-12-31T23:59-05:00"], "out of range"),
}


@pytest.mark.parametrize(("args", "problem"), CASES.values(), ids=CASES.keys())
def test_a_hold_out_of_bounds_is_one_line_exit_2_and_nothing_stored(
    api: HfApi,
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    problem: str,
) -> None:
    """Fixed: `--min 5000 --max 5000` was accepted and sent to the API; the others were tracebacks."""
    create(api, "chat")
    config_path = tmp_path / "s.yaml"
    config_path.write_text(textwrap.dedent(HELD_DAY))
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HFWARDEN_ENDPOINTS_API_URL", emulator.api_url)
    monkeypatch.setenv("HFWARDEN_HUB_URL", emulator.base_url)
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HFWARDEN_MAX_ATTEMPTS", "1")
    monkeypatch.setattr("hfwarden.commands.SystemClock", lambda: ManualClock(START))
    monkeypatch.setattr("hfwarden.logs.configure", lambda *args, **kwargs: None)
    code = main(["hold", "acme/chat", *args, "--over-budget", "--config", str(config_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert problem in err[0]
    store = Store(settings_for(emulator, tmp_path).database_url)
    try:
        assert store.holds() == {}
    finally:
        store.close()
