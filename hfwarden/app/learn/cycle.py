"""One learning cycle for one endpoint: fetch its demand, learn, backtest the schedule in force and
the proposal on the held-out weeks, and store the proposal (advise) or apply it when it is better
and keeps what it must (adopt). Audited and alerted in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import Notes
from hfwarden.app.demand import Demand
from hfwarden.app.learn.adopted import file_schedule
from hfwarden.app.learn.bridge import Learning, Proposed, propose
from hfwarden.app.learn.entries import entry_text, fingerprint, proposed_entry, yaml_diff
from hfwarden.app.learn.notes import proposal_alert, proposal_audit
from hfwarden.catalogue import builtin_price
from hfwarden.config import Config
from hfwarden.core.learning import (
    LearnMode,
    LearnPlan,
    Proposal,
    ProposalStatus,
    adoption_refusal,
    broken_keep,
)
from hfwarden.core.rules import EndpointSchedule

# (plan, endpoint, start, end) → its demand; Prometheus or the recorded replicas.
DemandSource = Callable[[LearnPlan, str, datetime, datetime], Demand]
# How `propose` is run: here, or in the learning job's worker process (off the pass's GIL).
Compute = Callable[[Demand, Learning, EndpointSchedule | None], Proposed]


class LearningError(Exception):
    """A cycle that could not learn (no price, too little data, Prometheus down): one line."""


@dataclass(frozen=True, slots=True)
class Cycle:
    """What one cycle needs besides the store: the config in force (adopted schedules included)."""

    file_config: Config
    in_force: Config
    plan: LearnPlan
    endpoint: str
    now: datetime


def price_of(config: Config, store: Store, key: str) -> tuple[str | None, float]:
    instance = config.instances.get(key)
    price = (config.pricing.get(instance) or builtin_price(instance)) if instance else None
    if price is None:
        last = store.open_segments().get(key)
        price = last.price_per_hour if last is not None else None
    if price is None:
        raise LearningError(f"{key}: no price: give the entry an instance: (or let the daemon observe it)")
    return instance, price


def learning_for(cycle: Cycle, store: Store) -> Learning:
    instance, price = price_of(cycle.file_config, store, cycle.endpoint)
    schedule = file_schedule(cycle.file_config, cycle.endpoint)
    plan = cycle.plan
    return Learning(
        cycle.endpoint, plan.capacity_rpm, plan.cold_start_minutes, price, instance,
        schedule.zone.key if schedule else None, plan.holdout_weeks, plan.max_failed_pct,
    )  # fmt: skip


def run_cycle(cycle: Cycle, store: Store, fetch: DemandSource, compute: Compute = propose) -> Proposal | None:
    """Learn once; the stored proposal, or None when it is the one already open or in force."""
    plan, key, now = cycle.plan, cycle.endpoint, cycle.now
    demand = fetch(plan, key, now - plan.since, now)
    current = cycle.in_force.endpoint(key) or file_schedule(cycle.file_config, key)
    try:
        proposed = compute(demand, learning_for(cycle, store), current)
    except ValueError as exc:  # BacktestError, TraceError: too little data, and the like
        raise LearningError(f"{key}: {exc}") from None
    file_entry = entry_text(cycle.file_config.sources, key)
    entry = proposed_entry(proposed.text)
    latest = store.proposals(key)
    repeated = (
        latest
        and proposed_entry(latest[-1].schedule_yaml) == entry
        and latest[-1].file_fingerprint == fingerprint(file_entry)
    )  # a dismissed, refused or reverted schedule is not proposed again until demand or the file changes
    if repeated:
        return None  # the same schedule against the same entry: nothing new to say
    document = _figures(proposed, demand, plan, yaml_diff(key, file_entry, entry))
    status, reason = ProposalStatus.OPEN, ""
    if plan.mode == LearnMode.ADOPT:
        before = proposed.current or proposed.proposal
        refusal = adoption_refusal(
            before, proposed.proposal, broken_keep(proposed.schedule, plan, start=now), plan.max_failed_pct
        )
        status, reason = (ProposalStatus.REFUSED, refusal) if refusal else (ProposalStatus.ADOPTED, "")
    proposal = Proposal(
        0, key, 0, now, status, plan.mode, proposed.text, fingerprint(file_entry), document,
        now if status != ProposalStatus.OPEN else None, reason,
    )  # fmt: skip
    alert = proposal_alert(proposal)
    notes = Notes(
        audit=proposal_audit(proposal),
        alerts=[pending(alert, created_at=now)] if alert else [],
        sinks=cycle.file_config.alerts.sinks,
    )
    return store.add_proposal(proposal, notes)


def _figures(proposed: Proposed, demand: Demand, plan: LearnPlan, diff: str) -> dict[str, object]:
    before = proposed.current
    saving = (before.cost_usd - proposed.proposal.cost_usd) / proposed.weeks_tested if before else None
    return {
        "source": demand.source,
        "data_from": demand.trace.start.isoformat(),
        "data_to": demand.trace.end.isoformat(),
        "trained_from": proposed.trained_from.isoformat(),
        "trained_to": proposed.trained_to.isoformat(),
        "tested_from": proposed.tested_from.isoformat(),
        "tested_to": proposed.tested_to.isoformat(),
        "holdout_weeks": plan.holdout_weeks,
        "missing_minutes": proposed.missing_minutes,
        "cost_before_usd": before.cost_usd if before else None,
        "cost_after_usd": proposed.proposal.cost_usd,
        "saving_per_week_usd": round(saving, 6) if saving is not None else None,
        "failed_pct_before": before.failed_pct if before else None,
        "failed_pct_after": proposed.proposal.failed_pct,
        "diff": diff,
        "profile": [round(v, 3) for v in proposed.profile],
    }
