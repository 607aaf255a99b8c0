"""Writing down what a pass decided: its records, its alerts (once per dedupe key) and its ledger in
one transaction, under the lease's fencing token. A dry run writes only its own audit entries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import LeaseLost, Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.logbook import Logbook, log
from hfwarden.core.decide import Decision, Verdict, dry_run_entry
from hfwarden.core.endpoints import Observation
from hfwarden.core.records import Records

# How long a passed fencing check stands for the calls after it; far below any lease TTL.
FENCE_FRESH_S = 0.5


class Recorder:
    """The pass's one way to the store for what it decided, and to the action counters."""

    def __init__(
        self,
        store: Store,
        logbook: Logbook,
        *,
        sinks: Callable[[], tuple[str, ...]],
        dry_run: bool,
        on_action: Callable[[str, str], None] | None,
        fence_fresh_s: float = FENCE_FRESH_S,
    ) -> None:
        self.store = store
        self.logbook = logbook
        self.dry_run = dry_run
        self._sinks = sinks
        self._on_action = on_action
        # (holder, generation) of the lease this process acts under; None: acting without one (tests, tools).
        self.fence: tuple[str, int] | None = None
        self._fence_checked: tuple[tuple[str, int], float] | None = None  # the last check that passed, when
        self.fence_fresh_s = fence_fresh_s  # the wiring keeps it well below the lease TTL
        self.monotonic: Callable[[], float] = time.monotonic  # a stall shows here whatever the clock says
        self._fence_lock = threading.Lock()

    def kept(self, records: Records) -> Records:
        """A dry run writes only its own audit entries; the alerts it would raise are logged."""
        return Records(alerts=records.alerts) if self.dry_run else records

    def taken(self, decision: Decision) -> Records:
        """A decision's own records, as kept; one "already" action counted when it found its
        transition done."""
        if decision.verdict == Verdict.SATISFIED and decision.records.applied:
            self.count(decision.kind, "already")
        return self.kept(decision.records)

    def instead_of(
        self, decisions: Sequence[Decision], observations: Mapping[str, Observation], *, at: datetime
    ) -> Records:
        """A dry run's records for the steps it does not send: one audit entry per new decision."""
        announced = [d for d in decisions if self.logbook.is_new(d)]
        for decision in announced:
            self.logbook.decision(decision, observations.get(decision.endpoint), announce=False)
        return Records(audit=tuple(dry_run_entry(d, at=at) for d in announced))

    def count(self, kind: str, result: str) -> None:
        """One action for `hfwarden_actions_total`; a dry run counts nothing."""
        if self._on_action is not None and not self.dry_run:
            self._on_action(kind, result)

    def check_fence(self) -> None:
        """Before a mutating call: raise `LeaseLost` when another process took the lease over.

        A check less than `fence_fresh_s` old (monotonic time) stands for the next calls of a burst: the
        lease can only move on after its TTL, and a process that stalled that long finds its check stale.
        """
        fence = self.fence
        if fence is None:
            return
        with self._fence_lock:
            checked = self._fence_checked
            if checked is not None and checked[0] == fence and self.monotonic() - checked[1] < self.fence_fresh_s:
                return
            if not self.store.check_lease(*fence):
                raise LeaseLost(f"the lease moved on from {fence[0]} (generation {fence[1]}): not acting")
            self._fence_checked = (fence, self.monotonic())

    def holds_fence(self) -> bool:
        """Whether this process still holds the lease it acts under (always, acting without one)."""
        return self.fence is None or self.store.check_lease(*self.fence)

    def write(self, records: Records, now: datetime, *, ledger: Ledger | None) -> list[str]:
        """Records, alerts and (when given) the ledger's changes in one transaction; logs the new alerts.
        When the lease moved on nothing is written: the new holder records what it finds done. Returns
        the ids of the alerts it put in the outbox."""
        unique = {a.dedupe_key: a for a in records.alerts}
        if self.dry_run:
            self.logbook.alerts(unique.values(), dry_run=True)
            records = Records(audit=records.audit)
        rendered = [] if self.dry_run else [pending(a, created_at=now) for a in unique.values()]
        changes = ledger.changes() if ledger is not None else ((), ())
        try:
            fresh = self.store.write_pass(
                records, alerts=rendered, sinks=self._sinks(), ledger=changes, now=now, fence=self.fence
            )
        except LeaseLost as exc:
            log.error("records_fenced", reason=str(exc), audit_entries=len(records.audit))
            return []
        if ledger is not None:
            ledger.flushed(now)
        fresh_keys = {p.dedupe_key for p in fresh}
        self.logbook.alerts((a for k, a in unique.items() if k in fresh_keys), dry_run=False)
        return [p.alert_id for p in fresh]
