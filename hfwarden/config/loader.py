"""Read schedule files into policy objects; report every problem with file, line, endpoint and rule."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import SecretStr, ValidationError

from hfwarden.config.models import ActionSpec, BudgetSpec, CronRuleSpec, EndpointSpec, ScheduleFileSpec
from hfwarden.core.budget import BreachAction, Budget, Scope
from hfwarden.core.cron import parse_cron
from hfwarden.core.rules import Action, EndpointSchedule, Rule
from hfwarden.core.windows import parse_duration_minutes, rule_id, same_minute_clashes, window_rules
from hfwarden.logs import masker


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or suspicious) in a schedule file."""

    file: str
    line: int
    message: str
    endpoint: str | None = None
    rule: int | None = None

    def __str__(self) -> str:
        where = []
        if self.endpoint:
            where.append(f"endpoint {self.endpoint}")
        if self.rule:
            where.append(f"rule {self.rule}")
        context = ", ".join(where)
        return f"{self.file}:{self.line}: " + (f"{context}: " if context else "") + self.message


class ConfigError(Exception):
    """Schedule files that must not be used; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Webhook:
    """A generic webhook sink. URL and secret are secrets: never in logs or repr."""

    name: str
    url: SecretStr
    secret: SecretStr


@dataclass(frozen=True)
class AlertTargets:
    slack_webhook_url: SecretStr | None = None
    webhooks: tuple[Webhook, ...] = ()

    def secrets(self) -> list[str]:
        values = [w.url.get_secret_value() for w in self.webhooks] + [
            w.secret.get_secret_value() for w in self.webhooks
        ]
        if self.slack_webhook_url is not None:
            values.append(self.slack_webhook_url.get_secret_value())
        return values

    @property
    def sinks(self) -> tuple[str, ...]:
        """Names of the configured sinks: `slack`, `webhook:<name>`."""
        names = ["slack"] if self.slack_webhook_url is not None else []
        return (*names, *(f"webhook:{w.name}" for w in self.webhooks))


@dataclass(frozen=True)
class Config:
    """Validated schedules, budgets, prices and alert targets, ready for policy."""

    endpoints: tuple[EndpointSchedule, ...]
    sources: tuple[Path, ...]
    warnings: tuple[Problem, ...] = field(default=())
    budgets: tuple[Budget, ...] = ()
    pricing: dict[str, float] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)  # endpoint → vendor/region/type/size, for plan
    alerts: AlertTargets = field(default_factory=AlertTargets)

    _index: dict[str, EndpointSchedule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {e.key: e for e in self.endpoints})

    def endpoint(self, key: str) -> EndpointSchedule | None:
        return self._index.get(key)

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Every namespace to observe: those with declared endpoints and those budgets cover."""
        found = {e.namespace for e in self.endpoints}
        for budget in self.budgets:
            found |= budget.scope.namespaces or set()
        return tuple(sorted(found))


# -- YAML with line numbers ------------------------------------------------------------------------


class _LineDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    duplicate_keys: list[tuple[int, str]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        problems.append(Problem(str(path), 0, f"cannot read: {exc.strerror or exc}"))
        return None
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problems.append(Problem(str(path), line, f"not valid YAML: {exc.problem or exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(str(path), 0, f"not valid YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicate_keys:
        problems.append(Problem(str(path), line, f"key {key!r} appears twice in one mapping"))
    return data


def _line_for(raw: Any, loc: tuple[int | str, ...]) -> int:
    node, line = raw, getattr(raw, "line", 1)
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, _LineDict) and part in node and (last or isinstance(node[part], dict | list)):
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, _LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        # Anything else is a pydantic tag (`cron`, `window`, ...) not present in the data: skip it.
    return line


def _context(raw: Any, loc: tuple[int | str, ...]) -> tuple[str | None, int | None]:
    endpoint: str | None = None
    rule: int | None = None
    if len(loc) >= 2 and loc[0] == "endpoints" and isinstance(loc[1], int):
        try:
            item = raw["endpoints"][loc[1]]
            endpoint = f"{item.get('namespace', '?')}/{item.get('name', '?')}"
        except (KeyError, IndexError, TypeError, AttributeError):
            endpoint = f"#{loc[1] + 1}"
        if len(loc) >= 4 and loc[2] == "schedule" and isinstance(loc[3], int):
            rule = loc[3] + 1
    return endpoint, rule


def _message(error: Any) -> str:
    kind = error["type"]
    last = error["loc"][-1] if error["loc"] else None
    if kind == "extra_forbidden":
        return f"unknown key {last!r}"
    if kind == "missing":
        return f"missing key {last!r}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if isinstance(last, str) and kind not in ("value_error", "assertion_error"):
        message = f"{last}: {message}"
    return message


# -- compiling into core values -----------------------------------------------------------------


def _action(spec: ActionSpec) -> Action:
    return Action(spec.action, spec.min_replicas, spec.max_replicas, spec.scale_to_zero_timeout)


def _compile(spec: EndpointSpec, file_zone: str) -> EndpointSchedule:
    key = f"{spec.namespace}/{spec.name}"
    endpoint_zone = ZoneInfo(spec.timezone or file_zone)
    rules: list[Rule] = []
    for number, rule in enumerate(spec.schedule, start=1):
        zone = ZoneInfo(rule.timezone) if rule.timezone else endpoint_zone
        if isinstance(rule, CronRuleSpec):
            action = _action(rule)
            rules.append(Rule(rule_id(key, rule.cron, str(zone), action), number, parse_cron(rule.cron), zone, action))
        else:
            rules.extend(
                window_rules(
                    key,
                    number,
                    rule.window,
                    prewarm=parse_duration_minutes(rule.prewarm or 0),
                    zone=zone,
                    during=_action(rule.during),
                    outside=_action(rule.outside),
                )
            )
    return EndpointSchedule(
        namespace=spec.namespace,
        name=spec.name,
        rules=tuple(rules),
        zone=endpoint_zone,
        priority=spec.priority,
        protected=spec.protected,
        enforce=spec.enforce,
    )


def _duplicates(raw: Any, path: Path, seen: dict[str, str]) -> list[Problem]:
    """The same endpoint declared twice, in this file or an earlier one; checked on the raw data so
    that it is reported alongside every other problem."""
    found: list[Problem] = []
    items = raw.get("endpoints") if isinstance(raw, dict) else None
    if not isinstance(items, _LineList):
        return found
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "namespace" not in item or "name" not in item:
            continue
        key = f"{item['namespace']}/{item['name']}"
        line = items.item_lines[index]
        if key in seen:
            found.append(Problem(str(path), line, f"declared twice (first at {seen[key]})", key))
        else:
            seen[key] = f"{path}:{line}"
    return found


def schedule_files(paths: list[Path]) -> list[Path]:
    """A path is a file, or a directory whose `*.yaml`/`*.yml` files are read in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def load_config(paths: list[Path]) -> Config:
    """Validate and compile schedule files, or raise `ConfigError` with every problem found."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    files = schedule_files(paths)
    if not files:
        problems.append(Problem(", ".join(str(p) for p in paths), 0, "no schedule files (*.yaml) found"))
    endpoints: list[EndpointSchedule] = []
    seen: dict[str, str] = {}
    instances: dict[str, str] = {}
    pricing: dict[str, float] = {}
    budgets: list[Budget] = []
    budget_names: dict[str, str] = {}
    alerts = AlertTargets()
    alerts_at: str | None = None
    for path in files:
        raw = _read_yaml(path, problems)
        if raw is None:
            if not any(p.file == str(path) for p in problems):
                problems.append(Problem(str(path), 1, "the file is empty"))
            continue
        if isinstance(raw, dict) and "alerts" in raw:
            raw["alerts"] = _expand_env(raw["alerts"], path, problems)
        duplicates = _duplicates(raw, path, seen)
        problems.extend(duplicates)
        try:
            spec = ScheduleFileSpec.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                endpoint, rule = _context(raw, loc)
                problems.append(Problem(str(path), _line_for(raw, loc), _message(error), endpoint, rule))
            continue
        for index, endpoint_spec in enumerate(spec.endpoints):
            compiled = _compile(endpoint_spec, spec.timezone)
            if any(d.endpoint == compiled.key for d in duplicates):
                continue
            rule_lines = {
                n + 1: _line_for(raw, ("endpoints", index, "schedule", n)) for n in range(len(endpoint_spec.schedule))
            }
            warnings.extend(
                Problem(
                    str(path),
                    rule_lines.get(later, 0),
                    f"fires in the same minute as rule {earlier}; rule {later} wins",
                    compiled.key,
                    later,
                )
                for earlier, later in same_minute_clashes(compiled)
            )
            endpoints.append(compiled)
            if endpoint_spec.instance:
                instances[compiled.key] = endpoint_spec.instance
        pricing.update(spec.pricing)
        for index, budget_spec in enumerate(spec.budgets):
            line = _line_for(raw, ("budgets", index))
            if budget_spec.name in budget_names:
                problems.append(
                    Problem(
                        str(path),
                        line,
                        f"budget {budget_spec.name!r} declared twice (first at {budget_names[budget_spec.name]})",
                    )
                )
                continue
            budget_names[budget_spec.name] = f"{path}:{line}"
            budgets.append(_budget(budget_spec))
        if spec.alerts is not None:
            line = _line_for(raw, ("alerts",))
            if alerts_at is not None:
                problems.append(Problem(str(path), line, f"alerts declared twice (first at {alerts_at})"))
            else:
                alerts_at = f"{path}:{line}"
                alerts = AlertTargets(
                    slack_webhook_url=SecretStr(spec.alerts.slack.webhook_url) if spec.alerts.slack else None,
                    webhooks=tuple(
                        Webhook(w.name, SecretStr(w.url), SecretStr(w.secret)) for w in spec.alerts.webhooks
                    ),
                )
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.file, p.line)))
    masker.add(alerts.secrets())
    return Config(
        endpoints=tuple(endpoints),
        sources=tuple(files),
        warnings=tuple(warnings),
        budgets=tuple(budgets),
        pricing=pricing,
        instances=instances,
        alerts=alerts,
    )


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_env(node: Any, path: Path, problems: list[Problem], line: int = 0) -> Any:
    """`${VAR}` in alert settings comes from the environment; a missing variable is a problem."""
    if isinstance(node, _LineDict):
        for key in list(node):
            node[key] = _expand_env(node[key], path, problems, node.key_lines.get(key, node.line))
        return node
    if isinstance(node, _LineList):
        for index, item in enumerate(node):
            node[index] = _expand_env(item, path, problems, node.item_lines[index])
        return node
    if isinstance(node, str):

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append(Problem(str(path), line, f"environment variable {name} is not set"))
                return ""
            return os.environ[name]

        return _ENV.sub(value, node)
    return node


def _budget(spec: BudgetSpec) -> Budget:
    scope = Scope(
        namespace=spec.scope.namespace,
        endpoints=frozenset(spec.scope.endpoints) if spec.scope.endpoints is not None else None,
    )
    return Budget(
        name=spec.name,
        daily_usd=spec.daily_usd,
        zone=ZoneInfo(spec.timezone),
        scope=scope,
        alert_at=tuple(spec.alert_at),
        on_breach=BreachAction(spec.on_breach),
        max_hourly_usd=spec.max_hourly_usd,
        max_replicas=spec.max_replicas,
        conservative=spec.conservative,
    )
