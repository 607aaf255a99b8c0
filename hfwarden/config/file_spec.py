"""A whole schedule file, as one pydantic model."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from hfwarden.config.budget_specs import BudgetSpec
from hfwarden.config.models import INSTANCE, NAME, CalendarSpec, DriftAfter, EndpointSpec, HourlyPrice, Zone, _Strict
from hfwarden.config.people import NoticeBefore
from hfwarden.config.sink_specs import AlertsSpec


class ScheduleFileSpec(_Strict):
    """A whole schedule file."""

    version: Literal[1]
    timezone: Zone = "UTC"
    drift_after: DriftAfter = "15m"
    notice: NoticeBefore | None = None
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    pricing: dict[str, HourlyPrice] = Field(default_factory=dict)
    budgets: list[BudgetSpec] = Field(default_factory=list)
    alerts: AlertsSpec | None = None
    calendars: dict[str, CalendarSpec] = Field(default_factory=dict, max_length=100)

    @field_validator("calendars")
    @classmethod
    def _calendar_names(cls, value: dict[str, CalendarSpec]) -> dict[str, CalendarSpec]:
        for name in value:
            if not re.match(NAME, name):
                raise ValueError(f"calendar name {name!r} must match {NAME}")
        return value

    @field_validator("pricing")
    @classmethod
    def _pricing(cls, value: dict[str, float]) -> dict[str, float]:
        for instance in value:
            if not re.match(INSTANCE, instance):
                raise ValueError(f"pricing key {instance!r} is not vendor/region/type/size")
        return value
