"""Schedule proposals of `learn:` and the learning job's state: versioned per endpoint, with the
audit entries and alerts of each change written in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.audit import audit_row
from hfwarden.adapters.store.decisions import enqueue
from hfwarden.adapters.store.tables import audit_log, learning_state, proposals
from hfwarden.core.learning import LearnMode, Proposal, ProposalStatus
from hfwarden.core.records import AuditEntry, PendingAlert


@dataclass(frozen=True, slots=True)
class LearningState:
    endpoint: str
    last_run_at: datetime | None = None
    last_error: str | None = None
    forecast_error: float | None = None
    checked_at: datetime | None = None
    over_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Notes:
    """What goes with a change of proposals: audit entries and alerts (to `sinks`)."""

    audit: Sequence[AuditEntry] = ()
    alerts: Sequence[PendingAlert] = ()
    sinks: tuple[str, ...] = ()


def _proposal(row: Any) -> Proposal:
    return Proposal(
        row.id, row.endpoint, row.version, row.created_at, ProposalStatus(row.status), LearnMode(row.mode),
        row.schedule_yaml, row.file_fingerprint, json.loads(row.figures), row.decided_at, row.reason,
    )  # fmt: skip


def _notes(conn: Connection, notes: Notes, now: datetime) -> None:
    if notes.audit:
        conn.execute(insert(audit_log), [audit_row(entry) for entry in notes.audit])
    enqueue(conn, notes.alerts, notes.sinks, now)


class ProposalRecords(StoreBase):
    def add_proposal(self, proposal: Proposal, notes: Notes) -> Proposal:
        """Store a new version for its endpoint (id and version are given here); an open proposal
        before it is replaced."""
        with self.engine.begin() as conn:
            last = conn.execute(
                select(func.max(proposals.c.version)).where(proposals.c.endpoint == proposal.endpoint)
            ).scalar()
            if proposal.status in (ProposalStatus.OPEN, ProposalStatus.ADOPTED):
                conn.execute(
                    update(proposals)
                    .where(proposals.c.endpoint == proposal.endpoint, proposals.c.status == ProposalStatus.OPEN.value)
                    .values(status=ProposalStatus.REPLACED.value, decided_at=proposal.created_at)
                )
            if proposal.status == ProposalStatus.ADOPTED:
                self._leave_adopted(conn, proposal.endpoint, ProposalStatus.REPLACED, proposal.created_at, "")
            new_id = conn.execute(
                insert(proposals).values(
                    endpoint=proposal.endpoint,
                    version=(last or 0) + 1,
                    created_at=proposal.created_at,
                    status=proposal.status.value,
                    mode=proposal.mode.value,
                    schedule_yaml=proposal.schedule_yaml,
                    file_fingerprint=proposal.file_fingerprint,
                    figures=json.dumps(proposal.figures, sort_keys=True),
                    decided_at=proposal.decided_at,
                    reason=proposal.reason,
                )
            ).inserted_primary_key
            _notes(conn, notes, proposal.created_at)
            assert new_id is not None
            row = conn.execute(select(proposals).where(proposals.c.id == new_id[0])).one()
        return _proposal(row)

    def proposals(
        self, endpoint: str | None = None, statuses: Collection[ProposalStatus] | None = None
    ) -> list[Proposal]:
        """Proposals, oldest first."""
        query = select(proposals).order_by(proposals.c.id)
        if endpoint is not None:
            query = query.where(proposals.c.endpoint == endpoint)
        if statuses is not None:
            query = query.where(proposals.c.status.in_([s.value for s in statuses]))
        with self.engine.connect() as conn:
            return [_proposal(r) for r in conn.execute(query).all()]

    def decide_proposal(
        self,
        proposal_id: int,
        status: ProposalStatus,
        *,
        now: datetime,
        reason: str,
        notes: Notes,
        file_fingerprint: str | None = None,
    ) -> None:
        """Adopt, dismiss, revert or supersede one proposal; adopting one leaves the endpoint's
        previously adopted proposal (replaced). `file_fingerprint`: the file's entry it now stands
        against (a forced adoption of a proposal learnt against an older entry)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(proposals).where(proposals.c.id == proposal_id)).one()
            if status == ProposalStatus.ADOPTED:
                self._leave_adopted(conn, row.endpoint, ProposalStatus.REPLACED, now, f"proposal {proposal_id} adopted")
            conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id)
                .values(status=status.value, decided_at=now, reason=reason)
            )
            if file_fingerprint is not None:
                conn.execute(
                    update(proposals).where(proposals.c.id == proposal_id).values(file_fingerprint=file_fingerprint)
                )
            _notes(conn, notes, now)

    @staticmethod
    def _leave_adopted(conn: Connection, endpoint: str, status: ProposalStatus, now: datetime, reason: str) -> None:
        conn.execute(
            update(proposals)
            .where(proposals.c.endpoint == endpoint, proposals.c.status == ProposalStatus.ADOPTED.value)
            .values(status=status.value, decided_at=now, reason=reason)
        )

    def learning_states(self) -> dict[str, LearningState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(learning_state)).all()
        return {
            r.endpoint: LearningState(
                r.endpoint, r.last_run_at, r.last_error, r.forecast_error, r.checked_at, r.over_since
            )
            for r in rows
        }

    def save_learning_state(self, state: LearningState, notes: Notes = Notes(), *, now: datetime) -> None:
        values = {
            "last_run_at": state.last_run_at, "last_error": state.last_error, "forecast_error": state.forecast_error,
            "checked_at": state.checked_at, "over_since": state.over_since,
        }  # fmt: skip
        with self.engine.begin() as conn:
            done = conn.execute(
                update(learning_state).where(learning_state.c.endpoint == state.endpoint).values(**values)
            )
            if not done.rowcount:
                conn.execute(insert(learning_state).values(endpoint=state.endpoint, **values))
            _notes(conn, notes, now)
