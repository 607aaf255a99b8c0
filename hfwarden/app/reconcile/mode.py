"""How a pass runs: acting, as a dry run, as a preview, or read-only. One value instead of flags checked apart."""

from __future__ import annotations

from enum import StrEnum


class PassMode(StrEnum):
    ACT = "act"  # sends the calls and writes what it did
    DRY_RUN = "dry_run"  # decides and writes its audit entries, sends nothing (`DRY_RUN=1`)
    PREVIEW = "preview"  # decides and logs as a dry run, writes nothing: `run --once --dry-run` beside the lease
    READ_ONLY = "read_only"  # changes nothing anywhere: `status`, a quote, a standby

    @property
    def writes(self) -> bool:
        """Lifts what ended and applies the schedules and the guard (deciding; `persists` says if it is kept)."""
        return self is not PassMode.READ_ONLY

    @property
    def persists(self) -> bool:
        """Writes the pass's records, ledger and prices (a dry run: its audit entries)."""
        return self in (PassMode.ACT, PassMode.DRY_RUN)

    @property
    def sends(self) -> bool:
        """Sends the calls that change endpoints."""
        return self is PassMode.ACT
