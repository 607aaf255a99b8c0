"""The emulated world every emulator test starts from: its day and the platform's timings."""

from __future__ import annotations

from datetime import UTC, datetime

from hfwarden.emulator.world import Timings

# A Monday, 08:00 UTC: fixed so that every test sees the same day.
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TIMINGS = Timings(pending_seconds=10, init_seconds=60, update_seconds=30, replica_capacity_rpm=60)
