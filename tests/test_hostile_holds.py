"""Hostile `hold` input (issue 18): replicas bounded like schedules (the hold is sent to the API, and
`--over-budget` exempts it from the guard), durations and dates that overflow: one line, exit 2,
nothing stored, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.store import Store
from hfwarden.cli import main
from hfwarden.emulator.server import Emulator
from tests.support.helpers import create
from tests.support.passes import HELD_DAY
from tests.support.settings import cli_at_emulator, schedule_file, settings_for

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
    config_path = schedule_file(tmp_path, HELD_DAY)
    cli_at_emulator(emulator, tmp_path, monkeypatch)
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
