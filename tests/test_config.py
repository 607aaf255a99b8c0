"""Schedule files: every problem reported at once with file, line, endpoint and rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hfwarden.config import ConfigError, load_config
from hfwarden.core.windows import window_intervals

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def problems(path: Path | list[Path]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path if isinstance(path, list) else [path])
    return [str(p) for p in caught.value.problems]


ENDPOINT = """
version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {rule}
"""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            '{cron: "0 9 * *", action: pause}',
            "s.yaml:7: endpoint acme/chat, rule 1: bad cron '0 9 * *': expected 5 fields",
        ),
        ('{cron: "0 9 * * 1", action: sleep}', "s.yaml:7: endpoint acme/chat, rule 1: action: Input should be"),
        (
            '{cron: "0 9 * * 1", action: pause, colour: red}',
            "s.yaml:7: endpoint acme/chat, rule 1: unknown key 'colour'",
        ),
        (
            '{cron: "0 9 * * 1", action: scale, min_replicas: 3, max_replicas: 2}',
            "min_replicas 3 is above max_replicas 2",
        ),
        ('{cron: "0 9 * * 1", action: pause, min_replicas: 1}', "rule 1: a pause cannot have min_replicas"),
        (
            '{cron: "0 9 * * 1", action: scale}',
            "rule 1: a scale needs min_replicas, max_replicas or scale_to_zero_timeout",
        ),
        ('{cron: "0 9 * * 1", action: scale_to_zero, min_replicas: 1}', "scale_to_zero needs min_replicas 0, got 1"),
        ('{cron: "0 9 * * 1", action: scale_to_zero, max_replicas: 2}', "scale_to_zero cannot have max_replicas"),
        ('{cron: "0 9 * * 1", action: pause, timezone: Mars/Olympus}', "unknown time zone 'Mars/Olympus'"),
        (
            '{cron: "0 9 * * 1", action: resume, max_replicas: 0}',
            "max_replicas: Input should be greater than or equal to 1",
        ),
        ('{cron: "0 9 * * 1"}', "rule 1: missing key 'action'"),
        (
            '{window: "mon-fry 09:00-18:00", during: {action: resume}, outside: {action: pause}}',
            "window days 'mon-fry'",
        ),
        (
            '{window: "mon-fri 9-18", during: {action: resume}, outside: {action: pause}}',
            "is not like 'mon-fri 09:00-18:00'",
        ),
        (
            '{window: "mon-fri 09:00-18:00", prewarm: 5x, during: {action: resume}, outside: {action: pause}}',
            "not a duration",
        ),
        ('{window: "mon-fri 09:00-18:00", during: {action: resume}}', "missing key 'outside'"),
    ],
    ids=[
        "bad-cron",
        "unknown-action",
        "unknown-key",
        "min-above-max",
        "pause-with-replicas",
        "scale-without-size",
        "scale-to-zero-with-min",
        "scale-to-zero-with-max",
        "unknown-zone",
        "max-zero",
        "missing-action",
        "window-bad-days",
        "window-bad-times",
        "window-bad-prewarm",
        "window-missing-outside",
    ],
)
def test_rule_problems(tmp_path: Path, rule: str, message: str) -> None:
    found = problems(write(tmp_path, ENDPOINT.format(rule=rule)))
    assert any(message in p for p in found), found


def test_every_problem_at_once_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        timezone: Europe/Pariss
        endpoints:
          - namespace: acme
            name: chat
            schedule:
              - cron: "61 8 * * 1-5"
                action: resume
                min_replicas: 3
                max_replicas: 2
              - cron: "0 18 * * mon-fri"
                action: pause
          - namespace: acme
            name: chat
            schedule: []
        """,
    )
    found = problems(path)
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in found] == ["2", "7", "10", "13"]
    assert "unknown time zone 'Europe/Pariss'" in found[0]
    assert "endpoint acme/chat, rule 1: bad cron" in found[1]
    assert "endpoint acme/chat, rule 1: min_replicas 3 is above max_replicas 2" in found[2]
    assert "endpoint acme/chat: declared twice (first at" in found[3]


def test_same_endpoint_in_two_files(tmp_path: Path) -> None:
    body = "version: 1\nendpoints:\n  - {namespace: acme, name: chat, schedule: []}\n"
    first, second = write(tmp_path, body, "a.yaml"), write(tmp_path, body, "b.yaml")
    found = problems(tmp_path)
    assert found == [f"{second}:3: endpoint acme/chat: declared twice (first at {first}:3)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nendpoints: [\n", "s.yaml:3: not valid YAML"),
        ("version: 2\nendpoints: []\n", "s.yaml:1: version: Input should be 1"),
        ("version: 1\nversion: 1\nendpoints: []\n", "s.yaml:2: key 'version' appears twice"),
        ("", "s.yaml:1: the file is empty"),
        ("version: 1\nbudget: 5\nendpoints: []\n", "s.yaml:2: unknown key 'budget'"),
        ("version: 1\nendpoints:\n  - {namespace: 'ac me', name: chat}\n", "namespace: String should match pattern"),
    ],
    ids=["yaml-syntax", "wrong-version", "duplicate-key", "empty-file", "unknown-top-level-key", "bad-namespace"],
)
def test_file_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    found = problems(path)
    assert any(message in p for p in found), found


def test_missing_path(tmp_path: Path) -> None:
    found = problems(tmp_path / "nope.yaml")
    assert "cannot read" in found[0]


def test_empty_directory(tmp_path: Path) -> None:
    assert "no schedule files" in problems(tmp_path)[0]


def test_two_rules_in_the_same_minute_is_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        endpoints:
          - namespace: acme
            name: chat
            schedule:
              - {cron: "0 9 * * *", action: pause}
              - {cron: "0 9 * * 1", action: resume}
              - {cron: "0 10 * * *", action: pause}
        """,
    )
    config = load_config([path])
    assert [str(w) for w in config.warnings] == [
        f"{path}:7: endpoint acme/chat, rule 2: fires in the same minute as rule 1; rule 2 wins"
    ]


@pytest.mark.parametrize(
    ("days", "start", "end", "prewarm", "expected"),
    [
        ({1}, 9 * 60, 18 * 60, 5, [(1440 + 535, 545)]),
        ({6, 0}, 0, 24 * 60, 30, [(6 * 1440 - 30, 2 * 1440 + 30)]),
        ({5}, 22 * 60, 6 * 60, 0, [(5 * 1440 + 1320, 480)]),
        (set(range(7)), 0, 24 * 60, 0, [(0, 7 * 1440)]),
    ],
    ids=["weekday", "weekend-merged-over-the-week-end", "over-midnight", "always"],
)
def test_window_intervals(days: set[int], start: int, end: int, prewarm: int, expected: list[tuple[int, int]]) -> None:
    assert window_intervals(frozenset(days), start, end, prewarm) == expected


def test_shipped_examples_are_valid() -> None:
    config = load_config([REPO / "schedules"])
    assert len(config.sources) >= 2
    assert config.endpoints
    assert not config.warnings


def test_budgets_pricing_and_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_URL", "https://hooks.slack.com/services/T/B/secretpart")
    monkeypatch.setenv("HOOK_SECRET", "0123456789abcdef0123")
    path = write(
        tmp_path,
        """
        version: 1
        endpoints: []
        pricing: {aws/us-east-1/nvidia-l4/x1: 0.75}
        budgets:
          - {name: prod, daily_usd: 150, timezone: America/New_York, scope: {namespace: acme}}
          - {name: research, daily_usd: 40, scope: {endpoints: [lab/a, lab/b]}, on_breach: alert_only}
        alerts:
          slack: {webhook_url: "${SLACK_URL}"}
          webhooks: [{name: ops, url: "https://ops.example.com/x", secret: "${HOOK_SECRET}"}]
        """,
    )
    config = load_config([path])
    assert [b.name for b in config.budgets] == ["prod", "research"]
    assert config.namespaces == ("acme", "lab")
    assert config.pricing == {"aws/us-east-1/nvidia-l4/x1": 0.75}
    assert config.alerts.sinks == ("slack", "webhook:ops")
    assert "secretpart" not in repr(config)
    assert "0123456789abcdef0123" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("budgets: [{name: b, daily_usd: 0}]", "s.yaml:3: daily_usd: Input should be greater than 0"),
        ("budgets: [{name: b, daily_usd: 5, timezone: Nowhere/City}]", "unknown time zone 'Nowhere/City'"),
        ("budgets: [{name: b, daily_usd: 5, scope: {namespace: a, endpoints: [a/b]}}]", "not both"),
        ("budgets: [{name: b, daily_usd: 5, scope: {endpoints: [justaname]}}]", "'justaname' is not namespace/name"),
        ("budgets: [{name: b, daily_usd: 5, alert_at: [80]}]", "alert_at takes fractions"),
        ("budgets: [{name: b, daily_usd: 5, on_breach: shutdown}]", "on_breach: Input should be"),
        ("budgets: [{name: b, daily_usd: 5}, {name: b, daily_usd: 6}]", "budget 'b' declared twice"),
        ("pricing: {nvidia-l4: 0.8}", "pricing key 'nvidia-l4' is not vendor/region/type/size"),
        (
            "alerts: {slack: {webhook_url: '${HFWARDEN_TEST_UNSET_VAR}'}}",
            "environment variable HFWARDEN_TEST_UNSET_VAR is not set",
        ),
        (
            "alerts: {webhooks: [{name: ops, url: 'https://x.example', secret: short}]}",
            "secret: String should have at least 16",
        ),
    ],
    ids=[
        "zero-budget",
        "bad-zone",
        "scope-both",
        "scope-bad-endpoint",
        "alert-at-percent",
        "bad-breach",
        "duplicate-budget",
        "bad-pricing-key",
        "unset-env",
        "short-secret",
    ],
)
def test_budget_and_alert_problems(tmp_path: Path, text: str, message: str) -> None:
    found = problems(write(tmp_path, f"version: 1\nendpoints: []\n{text}\n"))
    assert any(message in p for p in found), found


ALERTS = """
version: 1
endpoints: []
alerts:
  slack: {webhook_url: "${HFWARDEN_TEST_UNSET_URL}"}
  webhooks:
    - {name: ops, url: "${HFWARDEN_TEST_UNSET_URL}", secret: "${HFWARDEN_TEST_UNSET_SECRET}"}
"""


def test_one_unset_variable_is_one_problem(tmp_path: Path) -> None:
    # Used twice, and its empty value used to fail the URL check too: three lines for one mistake.
    found = problems(write(tmp_path, ALERTS))
    assert found == [
        f"{tmp_path / 's.yaml'}:4: environment variable HFWARDEN_TEST_UNSET_URL is not set",
        f"{tmp_path / 's.yaml'}:6: environment variable HFWARDEN_TEST_UNSET_SECRET is not set",
    ]


def test_commands_that_send_no_alerts_need_no_secrets(tmp_path: Path) -> None:
    config = load_config([write(tmp_path, ALERTS)], need_secrets=False)
    assert config.alerts.sinks == ("slack", "webhook:ops")


@pytest.mark.parametrize(
    ("value", "message"),
    [("${SLACK_URL", "malformed ${...}"), ("${1URL}", "malformed ${1URL}"), ("https://x/${}", "malformed ${}")],
    ids=["unterminated", "bad-name", "empty-name"],
)
def test_a_malformed_variable_is_reported_even_without_secrets(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, f'version: 1\nendpoints: []\nalerts: {{slack: {{webhook_url: "{value}"}}}}\n')
    with pytest.raises(ConfigError) as caught:
        load_config([path], need_secrets=False)
    assert [p.message.split(":")[0] for p in caught.value.problems] == [message]
