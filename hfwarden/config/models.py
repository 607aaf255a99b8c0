"""The schedule file, as pydantic models: every key checked, every problem reported at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hfwarden.config.learn import LearnSpec
from hfwarden.config.people import NoticeBefore
from hfwarden.core.cost import MAX_PRICE_PER_HOUR_USD, MAX_USD
from hfwarden.core.cron import CronError, parse_cron
from hfwarden.core.rules import ActionKind
from hfwarden.core.windows import WINDOW, parse_duration_minutes, parse_minute_of_day, window_days

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
LABEL_KEY = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$"

# Bounds on what one schedule may ask for (README "Validation"). They keep a hostile or mistyped
# file from costing minutes of CPU or a bill: no Inference Endpoint runs a thousand replicas.
MAX_REPLICAS = 1000
MAX_RULES_PER_ENDPOINT = 200
MAX_TIMEOUT_MINUTES = 30 * 24 * 60


def check_zone(value: str) -> str:
    """IANA names only: `Europe/Paris`, `UTC`; not `CET` abbreviations that hide DST rules."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValueError(f"unknown time zone {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
    return value


def public_holidays(country: str, subdivision: str | None) -> Callable[[date], str | None]:
    """A country's (and subdivision's) public holidays as a function of a date; ValueError if the
    `holidays` package does not know them. Imported here, not at the top: the package costs ~9 MB of the
    daemon's RSS, and only a config with `calendars:` needs it."""
    import holidays

    try:
        source = holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as exc:
        raise ValueError(
            f"no public holidays known for {country}{'-' + subdivision if subdivision else ''}: {exc}"
        ) from None
    return source.get


def check_drift_after(value: str) -> str:
    """`15m`, `1h`, `1h30m`: how long a difference from the schedule lasts before a `drift` alert."""
    minutes = parse_duration_minutes(value)
    if not 1 <= minutes <= 7 * 24 * 60:
        raise ValueError(f"drift_after {value!r} must be between 1m and 7 days")
    return value


# `drift_after: 15m`, per endpoint or file-wide.
DriftAfter = Annotated[str, AfterValidator(check_drift_after)]
# An IANA zone name, checked once here for every `timezone:` key.
Zone = Annotated[str, AfterValidator(check_zone)]
# `true` is not 1 and `1.0` is not a replica count: integers only, within sane bounds.
Replicas = Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)]
Price = Annotated[float, Field(allow_inf_nan=False, le=MAX_USD)]
HourlyPrice = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_PRICE_PER_HOUR_USD)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionSpec(_Strict):
    """What happens when a rule fires."""

    action: ActionKind
    min_replicas: Replicas | None = None
    max_replicas: Annotated[Replicas, Field(ge=1)] | None = None
    scale_to_zero_timeout: StrictInt | None = Field(default=None, ge=1, le=MAX_TIMEOUT_MINUTES, description="minutes")

    @field_validator("min_replicas", "max_replicas", "scale_to_zero_timeout")
    @classmethod
    def _fits_the_action(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Field by field, so a min above max is reported together with a bad cron in the same rule.
        action = info.data.get("action")
        if value is None or action is None:
            return value
        if action == ActionKind.PAUSE:
            raise ValueError(f"a pause cannot have {info.field_name}")
        if action == ActionKind.SCALE_TO_ZERO and info.field_name == "min_replicas" and value != 0:
            raise ValueError(f"scale_to_zero needs min_replicas 0, got {value}")
        if action == ActionKind.SCALE_TO_ZERO and info.field_name == "max_replicas":
            raise ValueError("scale_to_zero cannot have max_replicas")
        low = info.data.get("min_replicas")
        if info.field_name == "max_replicas" and low is not None and low > value:
            raise ValueError(f"min_replicas {low} is above max_replicas {value}")
        return value

    @model_validator(mode="after")
    def _scale_says_how(self) -> ActionSpec:
        if self.action == ActionKind.SCALE and (
            self.min_replicas is None and self.max_replicas is None and self.scale_to_zero_timeout is None
        ):
            raise ValueError("a scale needs min_replicas, max_replicas or scale_to_zero_timeout")
        return self


class CronRuleSpec(ActionSpec):
    """`cron: "55 8 * * 1-5"` with an action."""

    cron: str
    timezone: Zone | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            parse_cron(value)
        except CronError as exc:
            raise ValueError(f"bad cron {value!r}: {exc}") from None
        return value


AUTO = "auto"


def check_lead(value: str | int | None, name: str | None) -> str | int | None:
    """A prewarm duration: `5m`, `1h30m` or minutes, under a day."""
    if value is not None:
        minutes = parse_duration_minutes(value)
        if not 0 <= minutes < 24 * 60:
            raise ValueError(f"{name} {value!r} must be under a day")
    return value


class WindowRuleSpec(_Strict):
    """`window: "mon-fri 09:00-18:00"`: `during` at the start (less `prewarm`), `outside` at the end."""

    window: str
    prewarm: str | int | None = Field(default=None, description="a duration, or `auto` (core/readyby.py)")
    prewarm_max: str | int | None = None  # `prewarm: auto` only; default the endpoint's, else 60m
    prewarm_default: str | int | None = None  # `prewarm: auto` with < 3 start-ups; default 10m
    ready_alert: bool = False  # `not_ready` when the endpoint is not running at the window's start
    during: ActionSpec
    outside: ActionSpec
    timezone: Zone | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        match = WINDOW.match(value)
        if match is None:
            raise ValueError(f"window {value!r} is not like 'mon-fri 09:00-18:00'")
        window_days(match.group("days"))
        start, end = parse_minute_of_day(match.group("start")), parse_minute_of_day(match.group("end"))
        if start == end:
            raise ValueError(f"window {value!r} starts and ends at the same time")
        return value

    @field_validator("prewarm", "prewarm_max", "prewarm_default")
    @classmethod
    def _prewarm(cls, value: str | int | None, info: ValidationInfo) -> str | int | None:
        if value == AUTO and info.field_name == "prewarm":
            return value
        return check_lead(value, info.field_name)

    @model_validator(mode="after")
    def _auto_keys(self) -> WindowRuleSpec:
        if self.prewarm != AUTO and (self.prewarm_max is not None or self.prewarm_default is not None):
            raise ValueError("prewarm_max and prewarm_default go with prewarm: auto")
        return self


def _rule_kind(value: Any) -> str:
    if isinstance(value, dict) and "window" in value:
        return "window"
    return "cron"


RuleSpec = Annotated[
    Annotated[CronRuleSpec, Tag("cron")] | Annotated[WindowRuleSpec, Tag("window")],
    Discriminator(_rule_kind),
]


INSTANCE = r"^[a-z0-9-]+/[a-z0-9-]+/[a-z0-9-]+/[a-z0-9]+$"


class MatchSpec(_Strict):
    """`{namespace: acme, name: "dev-*"}`: every observed endpoint of the namespace whose name matches the glob."""

    namespace: str = Field(pattern=NAME)
    name: str = Field(pattern=r"^[A-Za-z0-9._*?\[\]!-]+$", max_length=200)


class EndpointSpec(_Strict):
    """One endpoint and its schedule, or (`match:`) every observed endpoint a glob matches."""

    namespace: str | None = Field(default=None, pattern=NAME)
    name: str | None = Field(default=None, pattern=NAME)
    match: MatchSpec | None = None
    exclude: list[str] = Field(default_factory=list, max_length=1000)
    instance: str | None = Field(default=None, pattern=INSTANCE, description="vendor/region/type/size, for plan")
    timezone: Zone | None = None
    priority: StrictInt = Field(default=0, ge=-1_000_000, le=1_000_000)
    protected: bool = False
    enforce: bool = False
    prewarm_max: str | int | None = None  # defaults for its `prewarm: auto` windows
    prewarm_default: str | int | None = None
    thrash_wakes_per_hour: StrictInt | None = Field(default=None, ge=1, le=1000)
    drift_after: DriftAfter | None = None
    notice: NoticeBefore | None = None
    skip: list[str] = Field(default_factory=list, max_length=20, description="calendar names")
    team: str | None = Field(default=None, pattern=NAME, max_length=100, description="who pays, for `report`")
    labels: dict[str, str] = Field(default_factory=dict, max_length=50, description="free-form, for `report`")
    schedule: list[RuleSpec] = Field(default_factory=list, max_length=MAX_RULES_PER_ENDPOINT)
    learn: LearnSpec | None = None  # schedules that re-learn themselves (config/learn.py)

    @field_validator("prewarm_max", "prewarm_default")
    @classmethod
    def _lead(cls, value: str | int | None, info: ValidationInfo) -> str | int | None:
        return check_lead(value, info.field_name)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not re.match(LABEL_KEY, key):
                raise ValueError(f"label key {key!r} must match {LABEL_KEY}")
            if not isinstance(text, str) or len(text) > 200:
                raise ValueError(f"label {key!r} takes a string of at most 200 characters")
        return value

    @model_validator(mode="after")
    def _named_or_matched(self) -> EndpointSpec:
        if self.match is None:
            for key in ("namespace", "name"):
                if getattr(self, key) is None:
                    raise ValueError(f"missing key {key!r} (or use match:)")
            if self.exclude:
                raise ValueError("exclude goes with match:, not with a named endpoint")
            return self
        if self.namespace is not None or self.name is not None:
            raise ValueError("an entry names one endpoint (namespace, name) or matches many (match:), not both")
        for item in self.exclude:
            if item.partition("/")[0] != self.match.namespace or item.count("/") != 1:
                raise ValueError(f"exclude {item!r} is not {self.match.namespace}/NAME")
        return self


class CalendarSpec(_Strict):
    """`{country: DE, subdivision: BY}` (public holidays, from the `holidays` package), `{dates: [...]}`, or both."""

    country: str | None = Field(default=None, pattern=r"^[A-Z]{2,3}$")
    subdivision: str | None = Field(default=None, min_length=1, max_length=10)
    dates: list[date] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _says_which_days(self) -> CalendarSpec:
        if self.country is None and not self.dates:
            raise ValueError("a calendar needs a country, dates, or both")
        if self.subdivision is not None and self.country is None:
            raise ValueError("a subdivision needs its country")
        if self.country is not None:
            public_holidays(self.country, self.subdivision)  # unknown country or subdivision: refused here
        return self
