"""The `learn:` block of an endpoint or `match:` entry: where demand comes from, how often to learn,
and what a proposal must keep. Models here; compiled into `core.learning.LearnPlan` values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

from hfwarden.core.learning import Keep, KeptWindow, LearnMode, LearnPlan, parse_span
from hfwarden.core.rules import ActionKind
from hfwarden.core.windows import parse_duration_minutes

MAX_HOLDOUT_WEEKS = 8
LONGEST_SINCE = timedelta(weeks=26)


def check_span(value: str) -> str:
    parse_span(value)  # ValueError: "'x' is not a duration like 6w, 7d, 12h or 30m"
    return value


def check_since(value: str) -> str:
    span = parse_span(value)
    if span > LONGEST_SINCE:
        raise ValueError(f"since {value!r} is longer than 26 weeks")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrometheusSourceSpec(_Strict):
    """`{prometheus: URL, query: TEMPLATE}`: requests per minute from a PromQL query."""

    prometheus: str = Field(pattern=r"^https?://[^\s]+$")
    query: str = Field(min_length=1, max_length=4000)
    since: Annotated[str, AfterValidator(check_since)] = "6w"


class HistorySourceSpec(_Strict):
    """`{history: true}`: the replicas the daemon recorded, paused and zero minutes left out."""

    history: Literal[True]
    since: Annotated[str, AfterValidator(check_since)] = "6w"


class KeepSpec(_Strict):
    windows: bool = True
    min_replicas: StrictInt = Field(default=0, ge=0, le=1000)


class LearnSpec(_Strict):
    """`learn: {source: ..., every: 7d, holdout_weeks: 2, capacity_rpm: N, mode: advise, ...}`."""

    source: PrometheusSourceSpec | HistorySourceSpec
    every: Annotated[str, AfterValidator(check_span)] = "7d"
    holdout_weeks: StrictInt = Field(default=2, ge=0, le=MAX_HOLDOUT_WEEKS)
    capacity_rpm: float | None = Field(default=None, gt=0, le=1e9)
    mode: LearnMode = LearnMode.ADVISE
    max_failed_pct: float = Field(default=0.5, ge=0, le=100)
    keep: KeepSpec = Field(default_factory=KeepSpec)
    cold_start: str | int = "5m"
    drift_error: float = Field(default=0.5, gt=0, le=100)

    @model_validator(mode="after")
    def _capacity_for_requests(self) -> LearnSpec:
        if isinstance(self.source, PrometheusSourceSpec) and self.capacity_rpm is None:
            raise ValueError("a prometheus source needs capacity_rpm (requests per minute one replica serves)")
        minutes = parse_duration_minutes(self.cold_start)
        if not 0 <= minutes < 24 * 60:
            raise ValueError(f"cold_start {self.cold_start!r} must be under a day")
        return self


def learn_plan(spec: LearnSpec, key: str, windows: list[tuple[str, ZoneInfo, int]], where: str) -> LearnPlan:
    """The block as the daemon's learning job uses it; `windows` are the entry's declared windows."""
    source = spec.source
    prometheus = source if isinstance(source, PrometheusSourceSpec) else None
    return LearnPlan(
        endpoint=key,
        every=parse_span(spec.every),
        capacity_rpm=spec.capacity_rpm if spec.capacity_rpm is not None else 1.0,
        prometheus=prometheus.prometheus if prometheus else None,
        query=prometheus.query if prometheus else None,
        history=prometheus is None,
        since=parse_span(source.since),
        holdout_weeks=spec.holdout_weeks,
        mode=spec.mode,
        max_failed_pct=spec.max_failed_pct,
        keep=Keep(spec.keep.windows, spec.keep.min_replicas),
        cold_start_minutes=parse_duration_minutes(spec.cold_start),
        drift_error=spec.drift_error,
        windows=tuple(KeptWindow(w, zone, low) for w, zone, low in windows),
        where=where,
    )


def declared_windows(rules: Sequence[Any], entry_zone: str) -> list[tuple[str, ZoneInfo, int]]:
    """The entry's `window:` rules that run the endpoint: (window, zone, at least this many replicas)."""
    found = []
    for rule in rules:
        window = getattr(rule, "window", None)
        if window is None or rule.during.action not in (ActionKind.RESUME, ActionKind.SCALE):
            continue
        zone = ZoneInfo(rule.timezone or entry_zone)
        found.append((window, zone, max(1, rule.during.min_replicas or 1)))
    return found
