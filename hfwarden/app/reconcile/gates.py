"""Ladder steps with `notice:` or `approve:`: read what is waiting, let `core.approvals.gate` decide, and
store what it announced and ended. The announcements and audit entries go out with the pass's records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hfwarden.adapters.store import Store
from hfwarden.core.approvals import gate
from hfwarden.core.budget import Budget, GuardOutcome
from hfwarden.core.notices import ActionLinks
from hfwarden.core.records import Records


def gate_steps(
    store: Store, budgets: Sequence[Budget], outcome: GuardOutcome, *, now: datetime, links: ActionLinks | None
) -> tuple[GuardOutcome, Records]:
    """The guard's outcome with gated steps held back until due, and the records of the gating."""
    if not any(s.notice is not None or s.approve_within is not None for b in budgets for s in b.steps):
        return outcome, Records()
    gated = gate(outcome, budgets, store.pending_steps(), now=now, links=links)
    if gated.put or gated.drop:
        store.put_pending_steps(gated.put, gated.drop)
    return gated.outcome, gated.records
