"""The Grafana dashboard queries only what `/metrics` exports, so the two cannot drift apart (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfwarden.daemon import Daemon
from tests.support.web import eventually

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "hfwarden.json"
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}
KEYWORDS |= {"inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions, keywords or labels."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries: [5m], [$__rate_interval], [1h:5m]
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?[smhdwy]?\b", " ", text)  # numbers and durations
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        followed_by_call = re.match(r"\s*\(", text[match.end() :]) is not None
        if not followed_by_call and match.group().lower() not in KEYWORDS:
            names.add(match.group())
    return names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("max by (budget) (hfwarden_budget_daily_usd - hfwarden_budget_projected_today_usd)",
         {"hfwarden_budget_daily_usd", "hfwarden_budget_projected_today_usd"}),
        ('sum by (kind) (increase(hfwarden_actions_total{result="failed", kind=~"p.*"}[1h]))',
         {"hfwarden_actions_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket[$__rate_interval])))", {"x_seconds_bucket"}),
        ("time() - max(last_ts) > 300 and on (instance) up == 1 offset 5m", {"last_ts", "up"}),
        ("topk(10, a) / ignoring (x) group_left (y) b * 1e3", {"a", "b"}),
        ('{__name__="quoted"} + rate(c[5m:1m]) + sum without (by) (d)', {"c", "d"}),
    ],
)  # fmt: skip
def test_metric_names_are_read_off_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def exported(text: str) -> set[str]:
    """Every series name a scrape can show: counters with `_total`, histograms with their series."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        base = name.removesuffix("_total")
        names |= {base + "_total"} if kind == "counter" else {name}
        names |= {name + suffix for suffix in HISTOGRAM_SERIES} if kind == "histogram" else set()
    return names


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found += [panel] if panel["type"] != "row" else panel.get("panels", [])
    return found


def grid_cells(position: dict[str, int]) -> list[tuple[int, int]]:
    x, y, w, h = position["x"], position["y"], position["w"], position["h"]
    return [(column, row) for column in range(x, x + w) for row in range(y, y + h)]


def test_every_metric_the_dashboard_queries_is_exported(daemon: Daemon) -> None:
    eventually(lambda: daemon.passes >= 1)  # a pass done: the per-budget and per-endpoint families exist
    assert daemon.http is not None
    scraped = exported(httpx.get(f"{daemon.http.base_url}/metrics").text)
    assert {"hfwarden_budget_daily_usd", "hfwarden_actions_total", "hfwarden_pass_duration_seconds_bucket"} <= scraped
    queried: dict[str, list[str]] = {}
    for panel in panels(json.loads(DASHBOARD.read_text())):
        for target in panel["targets"]:
            for name in metric_names(target["expr"]):
                queried.setdefault(name, []).append(panel["title"])
    missing = {name: titles for name, titles in queried.items() if name not in scraped}
    assert not missing, f"the dashboard queries metrics /metrics does not export: {missing}"
    assert len(queried) >= 15


def test_the_dashboard_imports_into_any_grafana() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    (source,) = dashboard["__inputs"]
    assert (source["name"], source["type"], source["pluginId"]) == ("DS_PROMETHEUS", "datasource", "prometheus")
    # The same name as a datasource variable: a provisioned copy (no import step) resolves it too.
    assert any(v["name"] == "DS_PROMETHEUS" and v["type"] == "datasource" for v in dashboard["templating"]["list"])
    assert dashboard["id"] is None
    assert dashboard["uid"] == "hfwarden"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells = [(x, y) for p in dashboard["panels"] for x, y in grid_cells(p["gridPos"])]
    assert len(cells) == len(set(cells)), "panels overlap"
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert panel["targets"], panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
        assert all(t["datasource"] == panel["datasource"] for t in panel["targets"])
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
