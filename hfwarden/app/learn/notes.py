"""What a proposal's fate writes down: its audit entry and its alert (`schedule_proposal`,
`schedule_adopted`), with the saving, failed requests before and after, and the YAML diff."""

from __future__ import annotations

from datetime import datetime

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.learning import Proposal, ProposalStatus
from hfwarden.core.records import AuditEntry

ACTIONS = {
    ProposalStatus.OPEN: "schedule_proposal",
    ProposalStatus.ADOPTED: "schedule_adopted",
    ProposalStatus.REFUSED: "proposal_refused",
    ProposalStatus.DISMISSED: "proposal_dismissed",
    ProposalStatus.REVERTED: "proposal_reverted",
    ProposalStatus.SUPERSEDED: "proposal_superseded",
}


def _pct(value: object) -> str:
    return f"{value:.3f} %" if isinstance(value, int | float) else "unknown"


def summary(proposal: Proposal) -> str:
    """Saving per week and failed requests before → after, on the held-out weeks."""
    f = proposal.figures
    saving = f.get("saving_per_week_usd")
    money = f"saves ${saving:,.2f} per week" if isinstance(saving, int | float) and saving >= 0 else (
        f"costs ${-saving:,.2f} more per week" if isinstance(saving, int | float) else "no schedule to compare"
    )  # fmt: skip
    return (
        f"{money} on the held-out weeks ({f.get('tested_from', '?')[:10]} to {f.get('tested_to', '?')[:10]}); "
        f"failed requests {_pct(f.get('failed_pct_before'))} → {_pct(f.get('failed_pct_after'))}"
    )


def proposal_audit(proposal: Proposal, *, at: datetime | None = None, why: str = "") -> list[AuditEntry]:
    action = ACTIONS.get(proposal.status, f"proposal_{proposal.status.value}")
    reason = why or proposal.reason or summary(proposal)
    detail = f"proposal {proposal.id or 'new'} ({proposal.mode.value}): {summary(proposal)}"
    return [AuditEntry(at or proposal.created_at, proposal.endpoint, action, reason, "ok", detail, False)]


def proposal_alert(proposal: Proposal, *, at: datetime | None = None) -> Alert | None:
    """`schedule_proposal` for an open proposal, `schedule_adopted` for an adopted one; None else."""
    when = at or proposal.created_at
    key = proposal.endpoint
    diff = str(proposal.figures.get("diff", "")).strip()
    if proposal.status == ProposalStatus.OPEN:
        message = (
            f"{key}: a learnt schedule {summary(proposal)}. Adopt it with `hfwarden adopt {key}`, or "
            f"`hfwarden dismiss {key}`.\n{diff}"
        )
        kind = AlertKind.SCHEDULE_PROPOSAL
    elif proposal.status == ProposalStatus.ADOPTED:
        message = (
            f"{key}: a learnt schedule was adopted; it {summary(proposal)}. Undo: `hfwarden revert {key}`.\n{diff}"
        )
        kind = AlertKind.SCHEDULE_ADOPTED
    else:
        return None
    # One alert per proposal version: the subject names it, so a new version is a new alert.
    stamp = when.strftime("%Y%m%dT%H%M")
    return Alert(kind, f"{key}@{stamp}", when.date(), message, endpoint=key)
