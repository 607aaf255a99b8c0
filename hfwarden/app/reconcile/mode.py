"""How a pass runs: acting, as a dry run, or read-only. One value instead of flags checked apart."""

from __future__ import annotations

from enum import StrEnum


class PassMode(StrEnum):
    ACT = "act"  # sends the calls and writes what it did
    DRY_RUN = "dry_run"  # decides and writes its audit entries, sends nothing (`DRY_RUN=1`)
    READ_ONLY = "read_only"  # changes nothing anywhere: `status`, a quote, a standby

    @property
    def writes(self) -> bool:
        """Lifts what ended, applies the schedules and writes the pass's records (a dry run: its audit)."""
        return self is not PassMode.READ_ONLY

    @property
    def sends(self) -> bool:
        """Sends the calls that change endpoints."""
        return self is PassMode.ACT
