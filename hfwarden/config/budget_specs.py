"""Budgets in the schedule file: scope, thresholds, ladder steps, daily and monthly sizes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, StrictInt, field_validator, model_validator

from hfwarden.config.models import MAX_REPLICAS, NAME, Price, Replicas, Zone, _Strict
from hfwarden.config.people import ApproveSpec, NoticeBefore, check_gate, ladder_step
from hfwarden.core.anomaly import AnomalyRule
from hfwarden.core.budget import BreachAction, Budget, Scope
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.windows import parse_duration_minutes


class ScopeSpec(_Strict):
    """`{namespace: acme}`, `{endpoints: [acme/chat]}`, or nothing for every observed endpoint."""

    namespace: str | None = Field(default=None, pattern=NAME)
    endpoints: list[str] | None = None

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            EndpointKey.parse(item)  # ValueError: "'x' is not namespace/name"
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ScopeSpec:
        if self.namespace is not None and self.endpoints is not None:
            raise ValueError("a scope is a namespace or a list of endpoints, not both")
        return self


def _yaml_on_key(data: Any) -> Any:
    # YAML 1.1 reads a bare `on:` key as the boolean true.
    if isinstance(data, dict) and True in data:
        return {("on" if key is True else key): value for key, value in data.items()}
    return data


class ThresholdSpec(_Strict):
    """`{at: 0.8, on: month}`: a threshold of the month (fractions of monthly_usd); `on: day` is a plain one."""

    at: float = Field(gt=0, le=10, allow_inf_nan=False)
    on: Literal["day", "month"] = "day"

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        return _yaml_on_key(data)


class AnomalySpec(_Strict):
    """`anomaly: {factor: 2, for: 30m}`: alert when the spend rate stays above factor × its usual level
    for the hour of the week (learnt from two weeks of ledger and more) for that long."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    factor: float = Field(default=2.0, gt=1, le=100, allow_inf_nan=False)
    sustained: str | int = Field(default="30m", alias="for")
    min_usd_per_hour: Price = Field(default=0.0, ge=0)

    @field_validator("sustained")
    @classmethod
    def _duration(cls, value: str | int) -> str | int:
        minutes = parse_duration_minutes(value)
        if not 5 <= minutes <= 24 * 60:
            raise ValueError(f"anomaly for: {value!r} must be between 5m and 24h")
        return value

    def rule(self) -> AnomalyRule:
        return AnomalyRule(
            self.factor, timedelta(minutes=parse_duration_minutes(self.sustained)), self.min_usd_per_hour
        )


class LadderStepSpec(_Strict):
    """`{at: 1.2, action: cap, max_replicas: 1}`, on the projection unless `on: spent` (+ `notice`/`approve`)."""

    at: float = Field(gt=0, le=10, allow_inf_nan=False)
    action: Literal["notify", "cap", "scale_to_zero", "pause"]
    max_replicas: Annotated[Replicas, Field(ge=1)] | None = None
    on: Literal["projected", "spent", "month"] = "projected"
    notice: NoticeBefore | None = None
    approve: ApproveSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        return _yaml_on_key(data)

    @model_validator(mode="after")
    def _cap_says_how_far(self) -> LadderStepSpec:
        check_gate(self.action, notice=self.notice, approve=self.approve)  # config/people.py
        if self.action == "cap" and self.max_replicas is None:
            raise ValueError("a cap step needs max_replicas")
        if self.action != "cap" and self.max_replicas is not None:
            raise ValueError(f"a {self.action} step takes no max_replicas")
        return self


def _default_thresholds() -> list[float | ThresholdSpec]:
    return [0.5, 0.8, 1.0]


class BudgetSpec(_Strict):
    """A daily (and/or monthly, paced by day) budget and what to do when it is about to be passed."""

    name: str = Field(pattern=NAME)
    daily_usd: Price | None = Field(default=None, gt=0)
    monthly_usd: Price | None = Field(default=None, gt=0)
    timezone: Zone = "UTC"
    scope: ScopeSpec = Field(default_factory=ScopeSpec)
    alert_at: list[Price | ThresholdSpec] = Field(default_factory=_default_thresholds, max_length=20)
    on_breach: Literal["pause", "scale_to_zero", "alert_only"] = "pause"
    max_hourly_usd: Price | None = Field(default=None, gt=0)
    max_replicas: StrictInt | None = Field(default=None, ge=1, le=100 * MAX_REPLICAS)
    conservative: bool = False
    thrash_wakes_per_hour: StrictInt | None = Field(default=None, ge=1, le=1000)
    steps: list[LadderStepSpec] | None = Field(default=None, min_length=1, max_length=20)
    anomaly: AnomalySpec | None = None

    @model_validator(mode="after")
    def _steps_or_on_breach(self) -> BudgetSpec:
        if self.daily_usd is None and self.monthly_usd is None:
            raise ValueError("a budget needs daily_usd, monthly_usd, or both")
        monthly_lines = [s for s in self.steps or ()] + [t for t in self.alert_at if isinstance(t, ThresholdSpec)]
        if self.monthly_usd is None and any(line.on == "month" for line in monthly_lines):
            raise ValueError("`on: month` needs monthly_usd")
        if self.steps is not None and "on_breach" in self.model_fields_set:
            raise ValueError("give steps or on_breach (its one-step shorthand), not both")
        if self.steps is not None:
            lines = [(step.at, step.on) for step in self.steps]
            if len(set(lines)) != len(lines):
                raise ValueError("two steps at the same line")
        return self

    @field_validator("alert_at")
    @classmethod
    def _fractions(cls, value: list[float | ThresholdSpec]) -> list[float | ThresholdSpec]:
        for item in value:
            fraction = item.at if isinstance(item, ThresholdSpec) else item
            if not 0 < fraction <= 10:
                raise ValueError(f"alert_at takes fractions of daily_usd such as 0.8, got {fraction}")
        return value


def budget_from_spec(spec: BudgetSpec) -> Budget:
    scope = Scope(
        namespace=spec.scope.namespace,
        endpoints=frozenset(spec.scope.endpoints) if spec.scope.endpoints is not None else None,
    )
    daily = [t.at if isinstance(t, ThresholdSpec) else t for t in spec.alert_at if not _on_month(t)]
    return Budget(
        name=spec.name,
        # A monthly-only budget's day is limited by its allowance alone (core/allowance.py): never above the month.
        daily_usd=spec.daily_usd if spec.daily_usd is not None else float(spec.monthly_usd or 0.0),
        monthly_usd=spec.monthly_usd,
        daily_given=spec.daily_usd is not None,
        month_alert_at=tuple(t.at for t in spec.alert_at if isinstance(t, ThresholdSpec) and _on_month(t)),
        zone=ZoneInfo(spec.timezone),
        scope=scope,
        alert_at=tuple(daily),
        on_breach=BreachAction(spec.on_breach),
        max_hourly_usd=spec.max_hourly_usd,
        max_replicas=spec.max_replicas,
        conservative=spec.conservative,
        steps=tuple(
            sorted(
                (ladder_step(s) for s in spec.steps or ()),
                key=lambda step: step.at,
            )
        ),
        thrash_wakes_per_hour=spec.thrash_wakes_per_hour,
        anomaly=spec.anomaly.rule() if spec.anomaly else None,
    )


def _on_month(threshold: float | ThresholdSpec) -> bool:
    return isinstance(threshold, ThresholdSpec) and threshold.on == "month"
