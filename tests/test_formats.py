"""Small formats: counts agree with their number, negative dollars read `-$1.14`, and JSON dollars
are always floats (never an integer `0` beside `3.0`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.adapters.sinks import alert_document
from hfwarden.adapters.sinks.slack import slack_message
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.views.status import status_document, status_lines
from hfwarden.cli import main
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.budget import Budget, BudgetStatus, one_budget_review
from hfwarden.core.formats import counted, dollars, json_money

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.14, "$1.14"), (-1.14, "-$1.14"), (-0.001, "$0.00"), (0, "$0.00"), (1234.5, "$1234.50")],
    ids=["positive", "negative", "minus-zero", "integer-zero", "thousands"],
)
def test_dollars_never_read_dollar_minus(value: float, text: str) -> None:
    assert dollars(value) == text


def test_json_money_is_always_a_float() -> None:
    assert [json.dumps(json_money(v)) for v in (0, 3, -0.00001, 1.23456, None)] == [
        "0.0",
        "3.0",
        "0.0",
        "1.2346",
        "null",
    ]
    assert counted(1, "file") == "1 file"
    assert counted(0, "file") == "0 files"


def test_validate_says_1_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = "{cron: '0 %s * * *', action: pause}"
    for name, hour in (("one.yaml", 9), ("bad.yaml", 25)):
        (tmp_path / name).write_text(
            f"version: 1\nendpoints:\n  - {{namespace: acme, name: x, schedule: [{rule % hour}]}}\n"
        )
    assert main(["validate", str(tmp_path / "one.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 endpoint, 1 rule in 1 file"
    assert main(["validate", str(tmp_path / "bad.yaml")]) == 2
    assert capsys.readouterr().err.strip().endswith("\n1 problem; nothing was changed")


def test_status_shows_negative_headroom_as_minus_dollars_and_json_zero_as_a_float() -> None:
    budget = Budget("tiny", 1.0, ZoneInfo("UTC"))
    over = BudgetStatus(budget, spent_usd=2.14, projected_usd=2.14, hourly_usd=0, replicas=0)
    empty = one_budget_review(Budget("empty", 3, ZoneInfo("UTC")), [], now=NOW).statuses[0]
    report = PassReport(started_at=NOW, budgets=[over, empty])
    text = "\n".join(status_lines(report))
    assert "headroom -$1.14" in text
    assert "$-" not in text
    doc = json.dumps(status_document(report))
    assert '"spent_usd": 0.0' in doc
    assert '"daily_usd": 3.0' in doc
    assert '"spent_usd": 0,' not in doc


def test_alert_documents_and_slack_show_dollars_the_same_way() -> None:
    alert = Alert(
        AlertKind.SPENT_THRESHOLD, "b", date(2026, 1, 5), "m", budget="b", daily_usd=3, spent_usd=0, projected_usd=-1.14
    )
    document = alert_document(alert, created_at=NOW)
    assert json.dumps(document["spent_usd"]) == "0.0"
    assert json.dumps(document["daily_usd"]) == "3.0"
    slack = json.dumps(slack_message(document))
    assert "-$1.14" in slack
    assert "$-" not in slack
