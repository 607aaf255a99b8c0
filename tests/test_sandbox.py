"""The sandbox's generated schedule is valid whatever the time of day it starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hfwarden.config import load_config
from hfwarden.core.rules import next_transition
from hfwarden.sandbox import demo_schedule


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 1, 5, 11, 30, 20, tzinfo=UTC),
        datetime(2026, 1, 5, 23, 59, 30, tzinfo=UTC),
        datetime(2026, 1, 5, 0, 0, 5, tzinfo=UTC),
        datetime(2026, 1, 5, 12, 58, 59, tzinfo=UTC),
    ],
    ids=["midday", "just-before-midnight", "just-after-midnight", "before-the-hour"],
)
def test_demo_schedule_is_valid_and_moves_within_two_minutes(tmp_path: Path, now: datetime) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(demo_schedule(now))
    config = load_config([path])
    assert not config.warnings
    upcoming = [t.at for e in config.endpoints if (t := next_transition(e, now)) is not None]
    assert min(upcoming) <= now + timedelta(minutes=2)
    assert config.budgets[0].daily_usd > 0
