"""What a loaded config is: schedules, match entries, budgets, prices and alert targets, as values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import SecretStr

from hfwarden.config.problems import Problem
from hfwarden.core.budget import Budget
from hfwarden.core.learning import LearnPlan
from hfwarden.core.matching import EndpointMatch, expand
from hfwarden.core.readyby import ReadyByWindow
from hfwarden.core.rules import EndpointSchedule

APPRISE_SINK = "apprise:"


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
    page_url: str | None = None  # the status page, linked from a Slack message cut to fit Slack's limits
    apprise_urls: tuple[SecretStr, ...] = ()  # sinks `apprise:1`, `apprise:2`, ... in the file's order

    def secrets(self) -> list[str]:
        values = [w.url.get_secret_value() for w in self.webhooks] + [
            w.secret.get_secret_value() for w in self.webhooks
        ]
        if self.slack_webhook_url is not None:
            values.append(self.slack_webhook_url.get_secret_value())
        return values + [url.get_secret_value() for url in self.apprise_urls]

    @property
    def sinks(self) -> tuple[str, ...]:
        """Names of the configured sinks: `slack`, `webhook:<name>`, `apprise:<n>` (one per URL, so that
        one service down neither holds back nor repeats to the others)."""
        names = ["slack"] if self.slack_webhook_url is not None else []
        apprise = [f"{APPRISE_SINK}{n}" for n in range(1, len(self.apprise_urls) + 1)]
        return (*names, *(f"webhook:{w.name}" for w in self.webhooks), *apprise)

    def apprise_url(self, sink: str) -> SecretStr | None:
        """The URL of sink `apprise:<n>`, or None if it is not (or no longer) configured."""
        number = sink.removeprefix(APPRISE_SINK)
        if not sink.startswith(APPRISE_SINK) or not number.isdigit() or not 1 <= int(number) <= len(self.apprise_urls):
            return None
        return self.apprise_urls[int(number) - 1]


@dataclass(frozen=True)
class Config:
    """Validated schedules, budgets, prices and alert targets, ready for the core."""

    endpoints: tuple[EndpointSchedule, ...]
    sources: tuple[Path, ...]
    warnings: tuple[Problem, ...] = field(default=())
    budgets: tuple[Budget, ...] = ()
    pricing: dict[str, float] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)  # endpoint → vendor/region/type/size, for plan
    alerts: AlertTargets = field(default_factory=AlertTargets)
    ready_by: tuple[ReadyByWindow, ...] = ()  # `prewarm: auto` and `ready_alert` windows (core/readyby.py)
    thrash_wakes: dict[str, int] = field(default_factory=dict)  # endpoint → its `thrash_wakes_per_hour`
    matches: tuple[EndpointMatch, ...] = ()  # `match:` entries, expanded against each pass's observations
    coverage: dict[str, list[str]] = field(default_factory=dict)  # match label → endpoints it covers
    learn: tuple[LearnPlan, ...] = ()  # `learn:` blocks, by endpoint or match label

    _index: dict[str, EndpointSchedule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {e.key: e for e in self.endpoints})

    def endpoint(self, key: str) -> EndpointSchedule | None:
        return self._index.get(key)

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Every namespace to observe: those with declared endpoints and those budgets cover."""
        found = {e.namespace for e in self.endpoints} | {m.namespace for m in self.matches}
        for budget in self.budgets:
            found |= budget.scope.namespaces or set()
        return tuple(sorted(found))

    @property
    def timed(self) -> tuple[EndpointSchedule, ...]:
        """Every schedule whose fire times the daemon wakes for: endpoints and match templates."""
        return self.endpoints + tuple(m.template for m in self.matches)

    def expanded(self, observed: Iterable[str]) -> Config:
        """This config with a schedule for each observed endpoint only a match covers (explicit
        entries win), and which endpoints each match covers."""
        if not self.matches:
            return self
        added, coverage = expand(self.endpoints, self.matches, observed)
        return replace(self, endpoints=self.endpoints + tuple(added), coverage=coverage)
