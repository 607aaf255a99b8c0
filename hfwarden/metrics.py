"""Prometheus metrics: counters updated as things happen, gauges read from the latest pass at scrape time.

Labels are bounded: endpoint names (the endpoints of the observed namespaces), budget names,
states, action kinds, results, operations, status codes and sink names. No URL, token or message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import EndpointFigures
from hfwarden.app.reconcile.startup_figures import StartupFigures
from hfwarden.core.budget import BudgetStatus
from hfwarden.core.endpoints import EndpointState
from hfwarden.core.months import MonthPace


class Metrics:
    """Every metric hfwarden exports, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.actions = Counter(
            "hfwarden_actions_total",
            "Mutating actions decided, by kind and result",
            ["kind", "result"],
            registry=self.registry,
        )
        self.api_calls = Counter(
            "hfwarden_hub_api_calls_total",
            "Inference Endpoints API calls, by operation and HTTP status (error: no answer)",
            ["operation", "status"],
            registry=self.registry,
        )
        self.calls_by_kind = Counter(
            "hfwarden_api_calls_total",
            "Inference Endpoints API calls sent, by kind (list, get, hardware, update, resume, pause, scale_to_zero)",
            ["kind"],
            registry=self.registry,
        )
        self.quota_remaining = Gauge(
            "hfwarden_api_quota_remaining",
            "Calls left in the API's rate-limit window as its RateLimit field last said (-1: none reported)",
            registry=self.registry,
        )
        self.quota_remaining.set(-1)
        self.retries = Counter(
            "hfwarden_hub_retries_total",
            "API calls retried after a 429, 5xx or connection error",
            ["operation"],
            registry=self.registry,
        )
        self.pass_duration = Histogram(
            "hfwarden_pass_duration_seconds",
            "Wall time of one reconcile pass",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.pass_failures = Counter(
            "hfwarden_pass_failures_total", "Reconcile passes that broke before finishing", registry=self.registry
        )
        self.leader = Gauge(
            "hfwarden_leader", "1 while this process holds the lease and acts; 0 on standby", registry=self.registry
        )
        self.alert_failures = Counter(
            "hfwarden_alert_delivery_failures_total",
            "Alert deliveries that failed, by sink",
            ["sink"],
            registry=self.registry,
        )

        self.startup = Histogram(
            "hfwarden_endpoint_startup_seconds",
            "Measured start-ups: pending/initializing to running",
            ["endpoint"],
            buckets=(15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600),
            registry=self.registry,
        )

    def observe_startups(self, report: PassReport) -> None:
        """The start-ups a pass measured, into the histogram."""
        for sample in report.startup_samples:
            self.startup.labels(endpoint=sample.endpoint).observe(sample.seconds)

    def observe_call(self, operation: str, outcome: str) -> None:
        """The Hub adapter's observer hook: every answer (or none) counted."""
        self.api_calls.labels(operation=operation, status=outcome).inc()
        self.calls_by_kind.labels(kind=operation).inc()

    def watch_quota(self, remaining: Callable[[], int | None]) -> None:
        """Read the quota gauge from the Hub adapter at each scrape."""
        self.quota_remaining.set_function(lambda: float(-1 if (left := remaining()) is None else left))

    def observe_retry(self, operation: str) -> None:
        self.retries.labels(operation=operation).inc()

    def observe_action(self, kind: str, result: str) -> None:
        self.actions.labels(kind=kind, result=result).inc()

    def observe_delivery_failure(self, sink: str) -> None:
        self.alert_failures.labels(sink=sink).inc()


class PassCollector(Collector):
    """Gauges computed from the most recent pass report, so that a vanished endpoint's series vanish too."""

    def __init__(
        self,
        latest: Callable[[], PassReport | None],
        last_success: Callable[[], float | None],
        outbox_depth: Callable[[], int],
        now: Callable[[], datetime],
    ) -> None:
        self._latest = latest
        self._last_success = last_success
        self._outbox_depth = outbox_depth
        self._now = now

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        last = GaugeMetricFamily(
            "hfwarden_last_successful_pass_timestamp_seconds", "Unix time the last reconcile pass completed"
        )
        success = self._last_success()
        if success is not None:
            last.add_metric([], success)
        yield last
        depth = GaugeMetricFamily("hfwarden_alert_outbox_depth", "Alert deliveries waiting in the outbox")
        try:
            depth.add_metric([], float(self._outbox_depth()))
        except Exception:  # a store hiccup must not break the whole scrape
            depth.add_metric([], float("nan"))
        yield depth
        report = self._latest()
        if report is None:
            return
        yield _endpoint_states(report)
        yield from _endpoint_gauges(report)
        yield from _cold_starts(report)
        latched_total = GaugeMetricFamily("hfwarden_latched_endpoints", "Endpoints held by a budget latch")
        latched_total.add_metric([], len(report.latched))
        yield latched_total
        yield from _holds(report)
        yield from _budget_gauges(report)
        yield from _teams(report)
        yield from _anomalies(report)
        saved = GaugeMetricFamily(
            "hfwarden_saved_today_usd",
            "Dollars saved today against the same endpoints always on at their minimum, since hfwarden watched each",
        )
        saved.add_metric([], report.saved_today_usd)
        yield saved


def _endpoint_states(report: PassReport) -> Metric:
    by_state = GaugeMetricFamily("hfwarden_endpoints", "Observed endpoints by state", labels=["state"])
    counts = {state.value: 0 for state in EndpointState}
    for observed in report.observations.values():
        counts[observed.state] = counts.get(observed.state, 0) + 1
    for state, count in sorted(counts.items()):
        by_state.add_metric([state], count)
    return by_state


# name, help, figure of an endpoint's EndpointFigures (None: no sample)
ENDPOINT_GAUGES: tuple[tuple[str, str, Callable[[EndpointFigures], float | None]], ...] = (
    (
        "hfwarden_endpoint_billed_replicas",
        "Replicas billed now (max of ready and target while billed)",
        lambda f: f.billed_replicas,
    ),
    ("hfwarden_endpoint_spend_today_usd", "Spend today in the endpoint's zone", lambda f: f.spent_usd),
    ("hfwarden_endpoint_projected_today_usd", "Projected spend by the end of today", lambda f: f.projected_usd),
    ("hfwarden_endpoint_price_per_hour_usd", "Price of one replica-hour", lambda f: f.price_per_hour),
    ("hfwarden_endpoint_latched", "1 while a budget latch holds the endpoint", lambda f: 1.0 if f.latched else 0.0),
)

# name, help, figure of a budget's BudgetStatus
BUDGET_GAUGES: tuple[tuple[str, str, Callable[[BudgetStatus], float]], ...] = (
    ("hfwarden_budget_daily_usd", "Budget size", lambda b: b.budget.daily_usd),
    ("hfwarden_budget_spend_today_usd", "Spend in the budget day so far", lambda b: b.spent_usd),
    ("hfwarden_budget_projected_today_usd", "Projected spend by the end of the budget day", lambda b: b.projected_usd),
    ("hfwarden_budget_burn_usd_per_hour", "Burn rate of the budget's scope now", lambda b: b.hourly_usd),
)


# name, help, figure of a monthly budget's MonthPace (daily-only budgets have no sample)
MONTH_GAUGES: tuple[tuple[str, str, Callable[[MonthPace], float]], ...] = (
    ("hfwarden_budget_monthly_usd", "Monthly budget size", lambda m: m.monthly_usd),
    ("hfwarden_budget_month_spent_usd", "Spend in the budget month so far", lambda m: m.spent_usd),
    ("hfwarden_budget_month_forecast_usd", "Schedule-aware forecast of the month's spend", lambda m: m.forecast_usd),
    ("hfwarden_budget_allowance_usd", "Today's allowance of a monthly budget", lambda m: m.allowance_usd),
)


def _anomalies(report: PassReport) -> Iterator[Metric]:
    """Each budget's spend-anomaly detector: 1 while anomalous, and the usual rate for this hour of the week."""
    anomalous = GaugeMetricFamily(
        "hfwarden_budget_spend_anomaly", "1 while a budget's spend rate is anomalous (spend_anomaly)", labels=["budget"]
    )
    baseline = GaugeMetricFamily(
        "hfwarden_budget_spend_baseline_usd_per_hour",
        "A budget's usual spend rate for this hour of the week (after two weeks of ledger)",
        labels=["budget"],
    )
    for name, status in sorted(report.anomalies.items()):
        anomalous.add_metric([name], 1.0 if status.state == "anomalous" else 0.0)
        if status.state != "learning":
            baseline.add_metric([name], status.baseline_usd_per_hour)
    yield from (anomalous, baseline)


def _teams(report: PassReport) -> Iterator[Metric]:
    """Month to date per team, and each endpoint's team as an info series (join on `endpoint`):
    the endpoint gauges keep their labels, so existing queries and dashboards are unchanged."""
    month = GaugeMetricFamily(
        "hfwarden_team_month_spend_usd", "Spend of a team's endpoints in the UTC month so far", labels=["team"]
    )
    for team, spent in report.teams.items():
        month.add_metric([team], spent)
    info = GaugeMetricFamily(
        "hfwarden_endpoint_team_info", "1 per endpoint, labelled with its team", labels=["endpoint", "team"]
    )
    for figures in report.endpoints:
        if figures.team:
            info.add_metric([figures.endpoint, figures.team], 1.0)
    yield from (month, info)


def _endpoint_gauges(report: PassReport) -> Iterator[Metric]:
    for name, help_text, figure in ENDPOINT_GAUGES:
        gauge = GaugeMetricFamily(name, help_text, labels=["endpoint"])
        for figures in report.endpoints:
            value = figure(figures)
            if value is not None:
                gauge.add_metric([figures.endpoint], value)
        yield gauge


def _budget_gauges(report: PassReport) -> Iterator[Metric]:
    for name, help_text, figure in BUDGET_GAUGES:
        gauge = GaugeMetricFamily(name, help_text, labels=["budget"])
        for status in report.budgets:
            gauge.add_metric([status.budget.name], figure(status))
        yield gauge
    for name, help_text, of_month in MONTH_GAUGES:
        gauge = GaugeMetricFamily(name, help_text, labels=["budget"])
        for status in report.budgets:
            if status.budget.month is not None:
                gauge.add_metric([status.budget.name], of_month(status.budget.month))
        yield gauge


# name, help, figure of an endpoint's StartupFigures
COLD_START_GAUGES: tuple[tuple[str, str, Callable[[StartupFigures], float]], ...] = (
    ("hfwarden_endpoint_wakes_today", "Wakes from scale-to-zero today in the endpoint's zone", lambda f: f.wakes_today),
    (
        "hfwarden_endpoint_cold_start_today_usd",
        "Billed initialising of today's wakes from scale-to-zero, in dollars",
        lambda f: f.cold_start_usd,
    ),
)


def _cold_starts(report: PassReport) -> Iterator[Metric]:
    for name, help_text, figure in COLD_START_GAUGES:
        gauge = GaugeMetricFamily(name, help_text, labels=["endpoint"])
        for figures in report.startups.values():
            gauge.add_metric([figures.endpoint], figure(figures))
        yield gauge


def _holds(report: PassReport) -> Iterator[Metric]:
    """Operators' holds in force: how many, and when each expires."""
    total = GaugeMetricFamily("hfwarden_holds", "Endpoints under an operator's hold")
    total.add_metric([], len(report.holds))
    until = GaugeMetricFamily(
        "hfwarden_hold_until_timestamp_seconds",
        "Unix time an operator's hold expires",
        labels=["endpoint", "state", "source"],
    )
    for key, hold in sorted(report.holds.items()):
        until.add_metric([key, hold.state.value, hold.source], hold.until.timestamp())
    yield from (total, until)
