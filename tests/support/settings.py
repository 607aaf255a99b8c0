"""Settings that point hfwarden at an emulator."""

from __future__ import annotations

from pathlib import Path

from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.settings import Settings


def settings_for(emulator: Emulator, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "hf_token": DEFAULT_TOKEN,
        "endpoints_api_url": emulator.api_url,
        "hub_url": emulator.base_url,
        "state_dir": tmp_path / "state",
        "max_attempts": 1,
    }
    return Settings(**(values | extra))  # type: ignore[arg-type]
