"""The budget guard as one decision: from the budgets, what the pass observed, what stands (latches,
holds, caps, releases, ladder steps), the prices and the spend, to the budgets' statuses, the records
to write before any call (latches, caps, ladder marks, with their audit and alerts), the calls that
stop or cap what still bills, and every alert. Pure: the pass only gathers and carries out."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hfwarden.core.alerts import Alert
from hfwarden.core.allowance import paced_budgets
from hfwarden.core.approvals import gate
from hfwarden.core.budget import Budget, BudgetStatus, EndpointCost, budget_review
from hfwarden.core.cost import future_cost, hourly_burn
from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.holds import held_future_cost
from hfwarden.core.ladder import cap_calls, cap_records
from hfwarden.core.latches import stop_latches, woken_under
from hfwarden.core.records import Hold, PendingStep, Records
from hfwarden.core.rules import EndpointSchedule
from hfwarden.core.standing import Standing

# A paused endpoint can still be latched: that is what keeps its schedule from resuming it.
UNSTOPPABLE = frozenset({EndpointState.FAILED, EndpointState.UPDATE_FAILED})


@dataclass(frozen=True, slots=True)
class Spend:
    """What the ledger and the prices say for one pass: each endpoint observed or that spent today,
    with its price per hour (None: unknown), and what it spent since the start of each budget's day."""

    prices: Mapping[str, float | None]
    spent: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (budget, endpoint) -> USD
    month_before: Mapping[str, float] = field(default_factory=dict)  # monthly budget -> USD from the 1st to today


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """What the guard decided this pass."""

    statuses: tuple[BudgetStatus, ...] = ()
    notices: tuple[Alert, ...] = ()  # thresholds, burn rate, replica caps: written with the pass's records
    raised: tuple[Alert, ...] = ()  # the alerts of its stops and ladder steps, as the pass reports them
    records: Records = field(default_factory=Records)  # written before any call: a crash still holds them
    calls: tuple[Decision, ...] = ()  # the stops and caps to send to what still bills
    # Ladder steps with `notice:` / `approve:` newly waiting, and budgets whose wait is over (core/approvals.py).
    waiting: tuple[PendingStep, ...] = ()
    waited: tuple[str, ...] = ()

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return self.notices + self.raised


def budget_costs(
    budgets: Sequence[Budget],
    schedules: Mapping[str, EndpointSchedule],
    observations: Mapping[str, Observation],
    spend: Spend,
    *,
    latched: Collection[str],
    holds: Mapping[str, Hold],
    exempt: Collection[tuple[str, str]],
    now: datetime,
    woken: Collection[str] = (),
) -> dict[str, list[EndpointCost]]:
    """Per budget, each endpoint in scope as the guard sees it: spent in the budget day, the rest of
    the day projected (a held endpoint: its hold, then its schedule), burn now. An endpoint nobody
    declared has priority 0; one held `--over-budget`, failed, or not observed is not the guard's to stop;
    `exempt`: (endpoint, budget) pairs an operator released from that budget's guard."""
    costs: dict[str, list[EndpointCost]] = {}
    for budget in budgets:
        _, day_end = budget.day_bounds(now)
        rows = []
        for key in sorted(k for k in spend.prices if budget.scope.covers(k)):
            observed, schedule, hold = observations.get(key), schedules.get(key), holds.get(key)
            price = spend.prices[key] or 0.0
            is_latched = key in latched
            if hold is not None and (hold.over_budget or not is_latched):
                future = held_future_cost(hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price)
            else:
                future = future_cost(
                    schedule,
                    observed,
                    now=now,
                    day_end=day_end,
                    price_per_hour=price,
                    conservative=budget.conservative,
                    latched=is_latched,
                )
            rows.append(
                EndpointCost(
                    endpoint=key,
                    spent_usd=spend.spent.get((budget.name, key), 0.0),
                    future_usd=future,
                    hourly_usd=hourly_burn(observed, price),
                    billed_replicas=observed.billed_replicas if observed else 0,
                    priority=schedule.priority if schedule else 0,
                    protected=schedule.protected if schedule else False,
                    latched=is_latched,
                    stoppable=observed is not None
                    and observed.state not in UNSTOPPABLE
                    and not (hold is not None and hold.over_budget),
                    exempt=(key, budget.name) in exempt,
                    woken=key in woken,
                )
            )
        costs[budget.name] = rows
    return costs


def guard_decision(
    budgets: Sequence[Budget],
    schedules: Mapping[str, EndpointSchedule],
    observations: Mapping[str, Observation],
    spend: Spend,
    standing: Standing,
    *,
    now: datetime,
) -> GuardDecision:
    """Every budget judged at once; an endpoint in several budgets is stopped by the strictest and capped
    by the lowest cap. New stops become latches and new caps record the sizes they replace. Ladder steps
    that give notice or ask approval wait for their time (core/approvals.py)."""
    costs = budget_costs(
        budgets,
        schedules,
        observations,
        spend,
        latched=standing.latches.keys(),
        holds=standing.holds,
        exempt=standing.exempt,
        now=now,
        woken={k for k, latch in standing.latches.items() if woken_under(latch, observations.get(k))},
    )
    budgets = paced_budgets(budgets, costs, spend.month_before, schedules, observations, spend.prices, now=now)
    outcome = budget_review(budgets, costs, now=now, ladder=standing.ladder)
    gated = gate(outcome, budgets, standing.pending, now=now)
    outcome = gated.outcome
    latches, stops = stop_latches(
        outcome.stops, latched=standing.latches, observations=observations, guard_alerts=outcome.stop_alerts, now=now
    )
    caps = cap_records(outcome.caps, current=standing.caps, observations=observations, now=now)
    return GuardDecision(
        statuses=tuple(outcome.statuses),
        notices=outcome.notices,
        raised=outcome.stop_alerts + outcome.records.alerts + gated.records.alerts,
        records=latches + outcome.records + caps + gated.records,
        calls=(*stops, *cap_calls(caps.add_caps, observations)),
        waiting=gated.put,
        waited=gated.drop,
    )
