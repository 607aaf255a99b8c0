"""hfwarden pointed at an emulator: its settings, a schedule file, and the CLI's environment."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hfwarden.clock import ManualClock
from hfwarden.config import Config, load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.settings import Settings
from tests.support.emulated import START


def settings_for(emulator: Emulator, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "hf_token": DEFAULT_TOKEN,
        "endpoints_api_url": emulator.api_url,
        "hub_url": emulator.base_url,
        "state_dir": tmp_path / "state",
        "max_attempts": 1,
    }
    return Settings(**(values | extra))  # type: ignore[arg-type]


def offline_settings(tmp_path: Path) -> Settings:
    """Settings for a daemon that is built and looked at but never calls the API (a port nothing listens on)."""
    return Settings(
        hf_token="hf_NotUsedByTheseTests000000",
        state_dir=tmp_path,
        endpoints_api_url="http://127.0.0.1:9/v2",
        hub_url="http://127.0.0.1:9",
    )


def schedule_file(tmp_path: Path, text: str) -> Path:
    """`text` (indented or not) written to `s.yaml` in `tmp_path`."""
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def config_from(tmp_path: Path, text: str) -> Config:
    """`text` (indented or not) written to `s.yaml` in `tmp_path`, and loaded."""
    return load_config([schedule_file(tmp_path, text)])


def cli_at_emulator(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`main([...])` in this process, as `settings_for` points it: at the emulator, state in `tmp_path`."""
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HFWARDEN_ENDPOINTS_API_URL", emulator.api_url)
    monkeypatch.setenv("HFWARDEN_HUB_URL", emulator.base_url)
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HFWARDEN_MAX_ATTEMPTS", "1")
    # The CLI reads the wall clock: its "now" is the real one, far from the emulator's 2026 day.
    monkeypatch.setattr("hfwarden.commands.SystemClock", lambda: ManualClock(START))
    # In-process: logging set up for this captured stderr would outlive the test.
    monkeypatch.setattr("hfwarden.logs.configure", lambda *args, **kwargs: None)
