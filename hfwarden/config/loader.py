"""Read schedule files into core values; report every problem with file, line, endpoint and rule."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr, ValidationError

from hfwarden.config.budget_specs import budget_from_spec
from hfwarden.config.env import Expansion
from hfwarden.config.file_spec import ScheduleFileSpec
from hfwarden.config.learn import declared_windows, learn_plan
from hfwarden.config.models import (
    AUTO,
    ActionSpec,
    CalendarSpec,
    CronRuleSpec,
    EndpointSpec,
    WindowRuleSpec,
    public_holidays,
)
from hfwarden.config.people import notice_period
from hfwarden.config.problems import ConfigError, Problem, capped
from hfwarden.config.source import (
    MAX_FILES,
    LineDict,
    LineList,
    NodeBudget,
    context,
    line_for,
    message,
    read_yaml,
    schedule_files,
)
from hfwarden.config.values import AlertTargets, Config, Webhook
from hfwarden.core.budget import Budget
from hfwarden.core.calendars import Calendar
from hfwarden.core.cron import parse_cron
from hfwarden.core.learning import LearnPlan
from hfwarden.core.matching import EndpointMatch, overlapping
from hfwarden.core.readyby import ReadyByWindow, auto_window_rules
from hfwarden.core.rules import Action, EndpointSchedule, Rule
from hfwarden.core.startups import DEFAULT_PREWARM_MAX_MINUTES, DEFAULT_PREWARM_MINUTES
from hfwarden.core.windows import holiday_rule, parse_duration_minutes, rule_id, same_minute_clashes, window_rules
from hfwarden.logs import masker

__all__ = ["AlertTargets", "Config", "ConfigError", "Problem", "Webhook", "load_config", "schedule_files"]

# Across every file of one config: far above any real fleet, low enough that a pasted or generated
# file cannot make a reload take minutes.
MAX_ENDPOINTS = 5000
# Rules as written (a window counts one), across every file: the documented maxima must validate
# in under 5 s (issue 18), and 5,000 endpoints x 200 rules cannot (docs/schedules.md).
MAX_RULES = 25_000
MAX_OVERLAPS_REPORTED = 1000


# -- compiling into core values -----------------------------------------------------------------


def _action(spec: ActionSpec) -> Action:
    return Action(spec.action, spec.min_replicas, spec.max_replicas, spec.scale_to_zero_timeout)


def _window_rules(key: str, number: int, rule: WindowRuleSpec, zone: ZoneInfo) -> list[Rule]:
    return window_rules(
        key,
        number,
        rule.window,
        prewarm=parse_duration_minutes(rule.prewarm or 0),
        zone=zone,
        during=_action(rule.during),
        outside=_action(rule.outside),
    )


def ready_by_window(spec: EndpointSpec, rule: WindowRuleSpec, key: str, number: int, zone: ZoneInfo) -> ReadyByWindow:
    """An auto or `ready_alert` window; its lead defaults from the window, then the endpoint, then 10m/60m."""
    return ReadyByWindow(
        endpoint=key,
        number=number,
        window=rule.window,
        zone=zone,
        during=_action(rule.during),
        outside=_action(rule.outside),
        auto=rule.prewarm == AUTO,
        prewarm_default=_minutes(rule.prewarm_default, spec.prewarm_default, DEFAULT_PREWARM_MINUTES),
        prewarm_max=_minutes(rule.prewarm_max, spec.prewarm_max, DEFAULT_PREWARM_MAX_MINUTES),
        ready_alert=rule.ready_alert,
    )


def _minutes(*values: str | int | None) -> int:
    return parse_duration_minutes(next(v for v in values if v is not None))


def _names(spec: EndpointSpec) -> tuple[str, str]:
    """Namespace and name, or for a `match:` entry its namespace and glob (the template's key)."""
    if spec.match is not None:
        return spec.match.namespace, spec.match.name
    assert spec.namespace is not None  # the model's validator saw to it
    assert spec.name is not None
    return spec.namespace, spec.name


def _compile(
    spec: EndpointSpec, file_zone: str, file_drift_after: str, ready_by: list[ReadyByWindow]
) -> EndpointSchedule:
    """The endpoint's schedule; its auto and `ready_alert` windows are added to `ready_by`."""
    namespace, name = _names(spec)
    key = f"{namespace}/{name}"
    # The schedule keeps slices of `key`, new strings, not the ones read from the file: those sit among the
    # reading's freed objects, and 10,000 of them kept ~18 MB of emptied allocator arenas resident at 5,000
    # endpoints (docs/architecture.md).
    namespace, name = key[: len(namespace)], key[len(namespace) + 1 :]
    endpoint_zone = ZoneInfo(spec.timezone or file_zone)
    rules: list[Rule] = []
    for number, rule in enumerate(spec.schedule, start=1):
        zone = ZoneInfo(rule.timezone) if rule.timezone else endpoint_zone
        if isinstance(rule, CronRuleSpec):
            action = _action(rule)
            rules.append(Rule(rule_id(key, rule.cron, str(zone), action), number, parse_cron(rule.cron), zone, action))
        elif rule.prewarm == AUTO or rule.ready_alert:
            window = ready_by_window(spec, rule, key, number, zone)
            ready_by.append(window)
            rules.extend(
                auto_window_rules(window, window.prewarm_default)
                if window.auto
                else _window_rules(key, number, rule, zone)
            )
        else:
            rules.extend(_window_rules(key, number, rule, zone))
    if spec.skip:
        rules.extend(_holiday_rules(spec, key, endpoint_zone))
    return EndpointSchedule(
        namespace=namespace,
        name=name,
        rules=tuple(rules),
        zone=endpoint_zone,
        priority=spec.priority,
        protected=spec.protected,
        enforce=spec.enforce,
        drift_after=timedelta(minutes=parse_duration_minutes(spec.drift_after or file_drift_after)),
        team=spec.team,
        labels=tuple(sorted(spec.labels.items())),
    )


def _holiday_rules(spec: EndpointSpec, key: str, endpoint_zone: ZoneInfo) -> list[Rule]:
    """Each window's `outside` at midnight of a skipped day: on a calendar's day a window is outside."""
    return [
        holiday_rule(key, number, zone=ZoneInfo(rule.timezone) if rule.timezone else endpoint_zone, outside=outside)
        for number, rule in enumerate(spec.schedule, start=1)
        if isinstance(rule, WindowRuleSpec)
        for outside in (_action(rule.outside),)
    ]


def _calendar(name: str, spec: CalendarSpec) -> Calendar:
    public = public_holidays(spec.country, spec.subdivision) if spec.country else None
    source = "-".join(p for p in (spec.country, spec.subdivision) if p)
    return Calendar(name, frozenset(spec.dates), public, source)


@dataclass
class _Loading:
    """Everything gathered so far from the files of one config, and every problem met."""

    environ: Mapping[str, str]
    need_secrets: bool
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    endpoints: list[EndpointSchedule] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # endpoint → where first declared
    instances: dict[str, str] = field(default_factory=dict)
    pricing: dict[str, float] = field(default_factory=dict)
    budgets: list[Budget] = field(default_factory=list)
    ready_by: list[ReadyByWindow] = field(default_factory=list)
    thrash_wakes: dict[str, int] = field(default_factory=dict)
    budget_names: dict[str, str] = field(default_factory=dict)
    alerts: AlertTargets = field(default_factory=AlertTargets)
    alerts_at: str | None = None
    unset_reported: set[str] = field(default_factory=set)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    calendars_at: dict[str, str] = field(default_factory=dict)
    # (endpoint or match, its index, calendar names, file, line)
    skips: list[tuple[str, int, list[str], str, int]] = field(default_factory=list)
    matches: list[EndpointMatch] = field(default_factory=list)
    learn: list[LearnPlan] = field(default_factory=list)
    nodes: NodeBudget = field(default_factory=NodeBudget)
    rules: int = 0

    def read(self, path: Path) -> None:
        if self.nodes.left <= 0:
            return  # refused once already, at the file and line where it ran out
        before = len(self.problems)
        raw = read_yaml(path, self.problems, self.nodes)
        if raw is None:
            if len(self.problems) == before:
                self.problems.append(Problem(str(path), 1, "the file is empty"))
            return
        if isinstance(raw, dict) and "alerts" in raw:
            expansion = Expansion(str(path), self.environ, self.need_secrets, self.unset_reported)
            raw["alerts"] = expansion.expand(raw["alerts"], getattr(raw, "key_lines", {}).get("alerts", 0))
            self.problems.extend(expansion.problems)
        duplicates = self._duplicates(raw, path)
        self.problems.extend(duplicates)
        try:
            spec = ScheduleFileSpec.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                endpoint, rule = context(raw, loc)
                self.problems.append(Problem(str(path), line_for(raw, loc), message(error), endpoint, rule))
            return
        skip = {d.endpoint for d in duplicates}
        self._endpoints(spec, raw, path, skip)
        self.pricing.update(spec.pricing)
        self._budgets(spec, raw, path)
        self._alerts(spec, raw, path)
        self._calendars(spec, raw, path)

    def _calendars(self, spec: ScheduleFileSpec, raw: LineDict, path: Path) -> None:
        line = line_for(raw, ("calendars",))
        for name, calendar_spec in spec.calendars.items():
            first = self.calendars_at.get(name)
            if first is not None:
                self.problems.append(Problem(str(path), line, f"calendar {name!r} declared twice (first at {first})"))
                continue
            self.calendars_at[name] = f"{path}:{line}"
            self.calendars[name] = _calendar(name, calendar_spec)

    def resolve_skips(self) -> None:
        """Calendars named in `skip:` may be declared in any file: resolved once all are read."""
        for kind, i, names, where, line in self.skips:
            key = self.matches[i].label if kind == "match" else self.endpoints[i].key
            unknown = [n for n in names if n not in self.calendars]
            for name in unknown:
                known = ", ".join(sorted(self.calendars)) or "none declared"
                self.problems.append(Problem(where, line, f"unknown calendar {name!r} in skip (known: {known})", key))
            if unknown:
                continue
            skip = tuple(self.calendars[n] for n in names)
            if kind == "match":
                self.matches[i] = replace(self.matches[i], template=replace(self.matches[i].template, skip=skip))
            else:
                self.endpoints[i] = replace(self.endpoints[i], skip=skip)

    def check_matches(self) -> None:
        """Two matches that could cover one endpoint with different schedules are refused."""
        # Bounded: a thousand globs that all meet are a thousand problems to read, not half a million.
        for first, second in overlapping(self.matches, limit=MAX_OVERLAPS_REPORTED):
            where, _, line = second.where.rpartition(":")
            message = (
                f"match {second.label} can cover the same endpoints as match {first.label} ({first.where}) "
                "with a different schedule; narrow a glob, exclude:, or declare those endpoints explicitly"
            )
            self.problems.append(Problem(where, int(line), message, second.label))

    def _duplicates(self, raw: Any, path: Path) -> list[Problem]:
        """The same endpoint declared twice, in this file or an earlier one; checked on the raw data
        so that it is reported alongside every other problem."""
        found: list[Problem] = []
        items = raw.get("endpoints") if isinstance(raw, dict) else None
        if not isinstance(items, LineList):
            return found
        for index, item in enumerate(items):
            if not isinstance(item, dict) or "namespace" not in item or "name" not in item:
                continue
            key = f"{item['namespace']}/{item['name']}"
            line = items.item_lines[index]
            if key in self.seen:
                found.append(Problem(str(path), line, f"declared twice (first at {self.seen[key]})", key))
            else:
                self.seen[key] = f"{path}:{line}"
        return found

    def _endpoints(self, spec: ScheduleFileSpec, raw: LineDict, path: Path, skip: set[str | None]) -> None:
        before = len(self.endpoints)
        for index, endpoint_spec in enumerate(spec.endpoints):
            if self._too_many_rules(endpoint_spec, raw, path, index):
                return
            ready_by: list[ReadyByWindow] = []
            compiled = _compile(endpoint_spec, spec.timezone, spec.drift_after, ready_by)
            compiled = replace(compiled, notice=notice_period(endpoint_spec.notice or spec.notice))
            if compiled.key in skip:
                continue
            self.ready_by.extend(ready_by)
            if endpoint_spec.thrash_wakes_per_hour is not None:
                self.thrash_wakes[compiled.key] = endpoint_spec.thrash_wakes_per_hour
            self.warnings.extend(
                Problem(
                    str(path),
                    line_for(raw, ("endpoints", index, "schedule", later - 1)),
                    f"fires in the same minute as rule {earlier}; rule {later} wins",
                    compiled.key,
                    later,
                )
                for earlier, later in same_minute_clashes(compiled)
            )
            if endpoint_spec.learn is not None:
                windows = declared_windows(endpoint_spec.schedule, endpoint_spec.timezone or spec.timezone)
                where = f"{path}:{line_for(raw, ('endpoints', index, 'learn'))}"
                self.learn.append(learn_plan(endpoint_spec.learn, compiled.key, windows, where))
            kind = "match" if endpoint_spec.match is not None else "endpoint"
            if endpoint_spec.skip:
                at = len(self.matches) if kind == "match" else len(self.endpoints)
                skip_line = line_for(raw, ("endpoints", index, "skip"))
                self.skips.append((kind, at, endpoint_spec.skip, str(path), skip_line))
            if endpoint_spec.match is not None:
                where = f"{path}:{line_for(raw, ('endpoints', index))}"
                exclude = frozenset(endpoint_spec.exclude)
                self.matches.append(
                    EndpointMatch(compiled.namespace, compiled.name, exclude, compiled, len(self.matches), where)
                )
                continue
            self.endpoints.append(compiled)
            if endpoint_spec.instance:
                self.instances[compiled.key] = endpoint_spec.instance
        if before <= MAX_ENDPOINTS < len(self.endpoints):
            line = line_for(raw, ("endpoints",))
            self.problems.append(Problem(str(path), line, f"more than {MAX_ENDPOINTS} endpoints in all; refused"))

    def _too_many_rules(self, spec: EndpointSpec, raw: LineDict, path: Path, index: int) -> bool:
        """Counts the endpoint's rules; past MAX_RULES in all, one problem where the count passes it."""
        counted, self.rules = self.rules, self.rules + len(spec.schedule)
        if counted <= MAX_RULES < self.rules:
            line, key = line_for(raw, ("endpoints", index, "schedule")), "/".join(_names(spec))
            self.problems.append(Problem(str(path), line, f"more than {MAX_RULES:,} rules in all; refused", key))
        return self.rules > MAX_RULES

    def _budgets(self, spec: ScheduleFileSpec, raw: LineDict, path: Path) -> None:
        for index, budget_spec in enumerate(spec.budgets):
            line = line_for(raw, ("budgets", index))
            first = self.budget_names.get(budget_spec.name)
            if first is not None:
                self.problems.append(
                    Problem(str(path), line, f"budget {budget_spec.name!r} declared twice (first at {first})")
                )
                continue
            self.budget_names[budget_spec.name] = f"{path}:{line}"
            self.budgets.append(budget_from_spec(budget_spec))

    def _alerts(self, spec: ScheduleFileSpec, raw: LineDict, path: Path) -> None:
        if spec.alerts is None:
            return
        line = line_for(raw, ("alerts",))
        if self.alerts_at is not None:
            self.problems.append(Problem(str(path), line, f"alerts declared twice (first at {self.alerts_at})"))
            return
        self.alerts_at = f"{path}:{line}"
        self.alerts = AlertTargets(
            slack_webhook_url=SecretStr(spec.alerts.slack.webhook_url) if spec.alerts.slack else None,
            webhooks=tuple(Webhook(w.name, SecretStr(w.url), SecretStr(w.secret)) for w in spec.alerts.webhooks),
            page_url=spec.alerts.slack.page_url if spec.alerts.slack else None,
            apprise_urls=tuple(SecretStr(url) for url in spec.alerts.apprise.urls) if spec.alerts.apprise else (),
        )


def load_config(paths: list[Path], *, need_secrets: bool = True) -> Config:
    """Validate and compile schedule files, or raise `ConfigError` with every problem found.

    `need_secrets=False` is for commands that send no alerts (validate, plan): an unset `${VAR}`
    in `alerts:` is then no problem; a malformed one still is."""
    loading = _Loading(os.environ, need_secrets)
    files = schedule_files(paths)
    if not files:
        loading.problems.append(Problem(", ".join(str(p) for p in paths), 0, "no schedule files (*.yaml) found"))
    if len(files) > MAX_FILES:
        where = ", ".join(str(p) for p in paths)
        raise ConfigError([Problem(where, 0, f"more than {MAX_FILES} schedule files; refused")])
    for path in files:
        loading.read(path)
    loading.resolve_skips()
    loading.check_matches()
    if loading.problems:
        raise ConfigError(capped(loading.problems, "problems"), total=len(loading.problems))
    masker.add(loading.alerts.secrets())
    return Config(
        endpoints=tuple(loading.endpoints),
        sources=tuple(files),
        warnings=tuple(capped(loading.warnings, "warnings")),
        budgets=tuple(loading.budgets),
        pricing=loading.pricing,
        instances=loading.instances,
        alerts=loading.alerts,
        matches=tuple(loading.matches),
        ready_by=tuple(loading.ready_by),
        thrash_wakes=loading.thrash_wakes,
        learn=tuple(loading.learn),
    )
