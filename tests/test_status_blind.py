"""`hfwarden status` as a process when it cannot see the API: it reports the failure and exits 1,
never a reassuring `missing`, $0 projected and full headroom."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfwarden.adapters.store import Store
from hfwarden.emulator.server import Emulator
from hfwarden.settings import Settings
from tests.support.process import env_for, hfwarden

CONFIG = """
version: 1
endpoints:
  - {namespace: acme, name: ep-00}
  - {namespace: other, name: x}
budgets:
  - {name: everything, daily_usd: 10}
  - {name: other-only, daily_usd: 10, scope: {namespace: other}}
"""


# The daemon tests' emulator, imported for pytest to find: its token may read `acme` only, and
# `other` answers 401, as the real API does for a namespace a token may not use.

CASES = {
    "wrong-token": ({"HF_TOKEN": "hf_NotTheRightToken000000"}, ["acme", "other"]),
    "unresolvable-host": ({"HFWARDEN_ENDPOINTS_API_URL": "http://nonexistent.invalid/v2"}, ["acme", "other"]),
    "url-without-v2": ({"HFWARDEN_ENDPOINTS_API_URL": "BASE"}, ["acme", "other"]),
    "unreadable-namespace": ({}, ["other"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_status_exits_0_and_shows_full_headroom_when_it_cannot_see_the_api(
    case: str, live_emulator: Emulator, tmp_path: Path
) -> None:
    extra, blind = CASES[case]
    extra = {k: live_emulator.base_url if v == "BASE" else v for k, v in extra.items()}
    env = env_for(live_emulator, tmp_path, HFWARDEN_MAX_ATTEMPTS="1", **extra)
    config = tmp_path / "s.yaml"
    config.write_text(CONFIG)
    Store(Settings(state_dir=tmp_path / "state").database_url).close()  # status reads existing state only

    result = hfwarden("status", "--json", "--config", str(config), env=env)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["failed"]
    assert sorted(doc["failed"]) == [f"{ns}/*" for ns in blind]
    for endpoint in doc["endpoints"]:
        if endpoint["endpoint"].split("/")[0] in blind:
            # Not a confident `missing` at $0: the figures are unknown, and say why.
            assert endpoint["state"] == "unobservable"
            assert endpoint["projected_usd"] is None
            assert endpoint["spent_usd"] is None
            assert "namespace not observable" not in endpoint["unobservable"]  # the cause, not a label
        else:
            assert endpoint["state"] == "running"
    for budget in doc["budgets"]:
        # Every budget here reaches a namespace it cannot see: no headroom is claimed.
        assert budget["headroom_usd"] is None
        assert budget["projected_usd"] is None
        assert budget["unobserved"]

    text = hfwarden("status", "--config", str(config), env=env)
    assert text.returncode == 1
    for namespace in blind:
        assert f"NOT OBSERVED: namespace {namespace}: " in text.stdout
    assert "headroom $10.00" not in text.stdout
    assert "projected and headroom UNKNOWN" in text.stdout
    assert "failed: " in text.stderr
