"""Spend anomalies for one pass: each watching budget's segments (four weeks and a day of the ledger,
read from the store once a day, the pass's own laid over them) through core.anomaly. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.month import MonthLedger
from hfwarden.core.alerts import Alert
from hfwarden.core.anomaly import LEARN_FROM, AnomalyStatus, anomaly_alert, watch
from hfwarden.core.budget import Budget


def watch_anomalies(
    months: MonthLedger, ledger: Ledger, budgets: Iterable[Budget], now: datetime
) -> tuple[dict[str, AnomalyStatus], list[Alert]]:
    """Each budget with `anomaly:`: its detector's status, and a `spend_anomaly` per episode."""
    watched = [b for b in budgets if b.anomaly is not None]
    if not watched:
        return {}, []
    # A since that moves once a day, so the store is read once a day (MonthLedger caches by it).
    since = datetime.combine((now - LEARN_FROM - timedelta(days=1)).date(), time(0), tzinfo=UTC)
    segments = months.segments(ledger, since=since, day=now.date())
    statuses: dict[str, AnomalyStatus] = {}
    alerts: list[Alert] = []
    for budget in watched:
        assert budget.anomaly is not None  # filtered above
        own = {key: list(found) for key, found in segments.items() if budget.scope.covers(key)}
        starts = [s.start for found in own.values() for s in found if not s.estimated]
        status = watch(budget.anomaly, budget.zone, own, now=now, history_start=min(starts, default=None))
        statuses[budget.name] = status
        alert = anomaly_alert(budget.name, status, budget.zone)
        if alert is not None:
            alerts.append(alert)
    return statuses, alerts
