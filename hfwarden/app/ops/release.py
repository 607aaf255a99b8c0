"""`hfwarden release`: which endpoints may be released, and the quote of a release, gathered by one
read-only pass so that it is the very projection `status` shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.config import Config
from hfwarden.core.cost import usd
from hfwarden.core.guard import budget_costs
from hfwarden.core.records import Latch
from hfwarden.core.release import ReleaseQuote, after_release, release_quote


class ReleaseError(ValueError):
    """A release that cannot mean anything: a name that is not NAMESPACE/NAME, or an endpoint unknown."""


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    """The latch lifted (None: there was none), its quote, and what the quote's pass could not see."""

    latch: Latch | None
    quote: ReleaseQuote | None = None
    failed: dict[str, str] = field(default_factory=dict)


def is_known(config: Config, key: str) -> bool:
    """Declared in a schedule file, or named in a budget's `scope.endpoints`."""
    if config.endpoint(key) is not None:
        return True
    return any(b.scope.endpoints is not None and key in b.scope.endpoints for b in config.budgets)


def quote(reconciler: Reconciler, latch: Latch) -> tuple[ReleaseQuote | None, dict[str, str]]:
    """What releasing `latch` costs against its budget (None if that budget is no longer configured),
    and the failures of the read-only pass it was computed from."""
    config, key = reconciler.config, latch.endpoint
    report = reconciler.assess()
    # As the pass applied it: a monthly budget's day is limited by today's allowance.
    budget = next((s.budget for s in report.budgets if s.budget.name == latch.budget), None)
    if budget is None:
        return None, report.failed
    now, observations = report.started_at, report.observations
    spend = SpendView(reconciler.ledger, reconciler.prices)  # the pass's own ledger, as `status` reads it
    exempt = {(e.endpoint, e.budget) for e in reconciler.store.exemptions(now)}
    schedules = {e.key: e for e in config.endpoints}
    facts = spend.spend(config, observations, now)
    # With the holds, as `status` projects: a held endpoint counts its hold, then its schedule.
    holds = report.holds
    as_is = budget_costs(
        config.budgets, schedules, observations, facts, latched=report.latched, holds=holds, exempt=exempt, now=now
    )
    freed = budget_costs(
        config.budgets,
        schedules,
        observations,
        facts,
        latched=report.latched - {key},
        holds=holds,
        exempt=exempt | {(key, budget.name)},
        now=now,
    )
    observed = observations.get(key)
    _, day_end = budget.day_bounds(now)
    replicas = max(observed.min_replica if observed is not None else 1, 1)
    price = spend.price_of(key, observed) or 0.0
    resume_now = usd(replicas, price, now, day_end)
    then = after_release(config.endpoint(key), holds.get(key), price_per_hour=price, now=now, day_end=day_end)
    figures = release_quote(
        budget, latched=as_is[budget.name], released=freed[budget.name], resume_now_usd=resume_now, now=now, then=then
    )
    return figures, report.failed
