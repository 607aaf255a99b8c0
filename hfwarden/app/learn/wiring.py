"""How the daemon holds its learning job: built from the daemon's parts, scheduled on its own executor."""

from __future__ import annotations

from typing import Any, Protocol

from hfwarden.adapters.store import Store
from hfwarden.app.learn.drift import ForecastCollector
from hfwarden.app.learn.job import LearningJob
from hfwarden.app.learn.source import daemon_source
from hfwarden.clock import Clock
from hfwarden.config import Config


class _Daemon(Protocol):
    store: Store
    clock: Clock
    metrics: Any
    reconciler: Any
    last_pass: Any


def learning_job(daemon: _Daemon, config: Config) -> LearningJob:
    """The job for `daemon`: it applies configs to the daemon's reconciler and learns the endpoints
    its last pass observed; `hfwarden_forecast_error_ratio` joins the daemon's metrics."""
    daemon.metrics.registry.register(ForecastCollector(daemon.store))

    def observed() -> list[str]:
        report = daemon.last_pass
        return list(report.observations) if report is not None else []

    return LearningJob(
        daemon.store,
        daemon.clock,
        config,
        fetch=daemon_source(daemon.store),
        apply=lambda applied: daemon.reconciler.set_config(applied),
        observed=observed,
    )
