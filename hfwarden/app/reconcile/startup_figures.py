"""What `status` and the metrics show of each endpoint's start-ups and cold starts, with the `thrash`
and `not_ready` alerts they raise; read from the pass's start-up book."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hfwarden.app.reconcile.startups import StartupBook
from hfwarden.config import Config
from hfwarden.core.alerts import Alert
from hfwarden.core.coldstarts import DEFAULT_THRASH_WAKES_PER_HOUR, cold_starts, thrash_alert
from hfwarden.core.endpoints import Observation
from hfwarden.core.readyby import not_ready_alerts
from hfwarden.core.startups import startup_stats

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class StartupFigures:
    """What `status` and the metrics show of one endpoint's start-ups and cold starts."""

    endpoint: str
    startup_p50_s: float | None
    startup_p90_s: float | None
    startups_measured: int
    wakes_today: int
    cold_start_usd: float
    cold_start_seconds: float = 0.0


def startup_figures(
    book: StartupBook,
    config: Config,
    observations: Mapping[str, Observation],
    price_of: Callable[[str, Observation | None], float | None],
    now: datetime,
) -> tuple[dict[str, StartupFigures], list[Alert]]:
    """Each endpoint's start-up and cold-start figures in its own day; `thrash` and `not_ready`."""
    figures: dict[str, StartupFigures] = {}
    alerts: list[Alert] = not_ready_alerts(config.ready_by, observations, now=now, expected=book.expected())
    for key in sorted(set(observations) | {e.key for e in config.endpoints}):
        schedule = config.endpoint(key)
        own = book.samples.get(key, [])
        stats = startup_stats(own)
        cold = cold_starts(key, book.wakes.get(key, []), own, zone=schedule.zone if schedule else UTC_ZONE, now=now)
        figures[key] = StartupFigures(
            key,
            stats.p50_s,
            stats.p90_s,
            stats.count,
            cold.wakes_today,
            cold.cold_start_usd,
            cold.cold_start_seconds,
        )
        if cold.wakes_today:
            alert = thrash_alert(
                cold, price_per_hour=price_of(key, observations.get(key)), wakes_per_hour=thrash_wakes(config, key)
            )
            alerts.extend([alert] if alert is not None else [])
    return figures, alerts


def thrash_wakes(config: Config, endpoint: str) -> int:
    """The endpoint's `thrash_wakes_per_hour`, else the lowest of the budgets covering it, else 3."""
    own = config.thrash_wakes.get(endpoint)
    if own is not None:
        return own
    budgets = [b.thrash_wakes_per_hour for b in config.budgets if b.thrash_wakes_per_hour and b.scope.covers(endpoint)]
    return min(budgets, default=DEFAULT_THRASH_WAKES_PER_HOUR)
