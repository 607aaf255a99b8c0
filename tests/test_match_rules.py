"""`match:` entries as plain function calls: which observed endpoints each covers, explicit entries
first, exclusions, and which pairs of globs validation refuses."""

from __future__ import annotations

import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import ConfigError, load_config
from hfwarden.core.cron import parse_cron
from hfwarden.core.matching import EndpointMatch, expand, globs_intersect, overlapping
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule

UTC_ZONE = ZoneInfo("UTC")


def template(namespace: str, name: str, hour: int) -> EndpointSchedule:
    rule = Rule(f"{name}:{hour}", 1, parse_cron(f"0 {hour} * * *"), UTC_ZONE, Action(ActionKind.PAUSE))
    return EndpointSchedule(namespace, name, (rule,), UTC_ZONE)


def match(pattern: str, hour: int = 19, *, number: int = 0, exclude: tuple[str, ...] = ()) -> EndpointMatch:
    return EndpointMatch("acme", pattern, frozenset(exclude), template("acme", pattern, hour), number)


OBSERVED = ["acme/dev-a", "acme/dev-keep", "acme/dev-demo", "acme/prod-chat", "other/dev-a", "acme/demo-1"]


@pytest.mark.parametrize(
    ("matches", "explicit", "expected"),
    [
        ([match("dev-*")], [], {"acme/dev-a": 19, "acme/dev-keep": 19, "acme/dev-demo": 19}),
        ([match("dev-*", exclude=("acme/dev-keep",))], [], {"acme/dev-a": 19, "acme/dev-demo": 19}),
        ([match("dev-*")], [template("acme", "dev-demo", 21)], {"acme/dev-a": 19, "acme/dev-keep": 19}),
        ([match("dev-?")], [], {"acme/dev-a": 19}),
        ([match("*", 19, number=1), match("demo-*", 20, number=0)], [], None),
        ([match("DEV-*")], [], {}),
    ],
    ids=[
        "glob-on-the-name-in-its-namespace",
        "exclude",
        "explicit-entry-beats-the-match",
        "question-mark-is-one-character",
        "first-declared-wins",
        "case-sensitive",
    ],
)
def test_expand(
    matches: list[EndpointMatch], explicit: list[EndpointSchedule], expected: dict[str, int] | None
) -> None:
    added, covered = expand(explicit, matches, OBSERVED)
    got = {s.key: s.rules[0].cron.hours[0] for s in added}
    if expected is None:  # every acme endpoint, demo-1 by the first declared
        assert got["acme/demo-1"] == 20
        assert got["acme/dev-a"] == 19
        assert covered["acme/demo-*"] == ["acme/demo-1"]
        return
    assert got == expected
    assert sum(len(keys) for keys in covered.values()) == len(expected)


def test_a_matched_schedule_is_the_endpoints_own() -> None:
    (schedule,), _ = expand([], [match("dev-*")], ["acme/dev-a"])
    assert (schedule.namespace, schedule.name, schedule.key) == ("acme", "dev-a", "acme/dev-a")


@pytest.mark.parametrize(
    ("a", "b", "meet"),
    [
        ("dev-*", "*-demo", True),
        ("dev-*", "prod-*", False),
        ("dev-?", "dev-ab", False),
        ("dev-[ab]", "dev-[bc]", True),
        ("dev-[a]", "dev-[!a]", False),
        ("*a", "*b", False),
        ("a*b*c", "*d*", True),
        ("dev-1", "dev-*", True),
        ("dev-1", "dev-2", False),
    ],
    ids=[
        "prefix-suffix",
        "prefixes",
        "lengths",
        "classes",
        "negated-class",
        "suffixes",
        "stars",
        "literal",
        "literals",
    ],
)
def test_globs_intersect(a: str, b: str, meet: bool) -> None:
    assert globs_intersect(a, b) == meet
    assert globs_intersect(b, a) == meet


@pytest.mark.parametrize(
    ("pair", "refused"),
    [
        ((match("dev-*", 19), match("*-demo", 20, number=1)), True),
        ((match("dev-*", 19), match("*-demo", 19, number=1)), False),  # the same schedule: no conflict
        ((match("dev-*", 19), match("prod-*", 20, number=1)), False),
        ((match("dev-*", 19, exclude=("acme/dev-1",)), match("dev-1", 20, number=1)), False),
        ((match("dev-*", 19), match("dev-1", 20, number=1)), True),
    ],
    ids=["overlap-different", "overlap-same-schedule", "disjoint", "literal-excluded", "literal-not-excluded"],
)
def test_overlapping(pair: tuple[EndpointMatch, EndpointMatch], refused: bool) -> None:
    assert bool(overlapping(pair)) == refused


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_validate_refuses_two_matches_that_can_meet(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        endpoints:
          - match: {namespace: acme, name: "dev-*"}
            schedule: [{cron: "0 19 * * *", action: pause}]
          - match: {namespace: acme, name: "*-demo"}
            schedule: [{cron: "0 20 * * *", action: pause}]
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    (problem,) = caught.value.problems
    assert problem.line == 6
    assert "match acme/*-demo can cover the same endpoints as match acme/dev-*" in str(problem)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('{match: {namespace: acme, name: "dev-*"}, namespace: acme, name: x}', "not both"),
        ('{match: {namespace: acme, name: "dev-*"}, exclude: [other/dev-1]}', "is not acme/NAME"),
        ("{namespace: acme, name: x, exclude: [acme/y]}", "exclude goes with match"),
        ("{namespace: acme}", "missing key 'name'"),
        ('{match: {namespace: acme, name: "dev/*"}}', "name"),
    ],
    ids=["both", "exclude-elsewhere", "exclude-without-match", "no-name", "slash-in-glob"],
)
def test_bad_match_entries(tmp_path: Path, entry: str, problem: str) -> None:
    path = write(tmp_path, f"version: 1\nendpoints:\n  - {entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    assert any(problem in str(p) for p in caught.value.problems), caught.value.problems


def test_observing_a_matched_namespace_and_expanding(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        endpoints:
          - match: {namespace: lab, name: "dev-*"}
            exclude: [lab/dev-keep]
            schedule: [{cron: "0 19 * * *", action: pause}]
          - {namespace: lab, name: dev-demo, schedule: [{cron: "0 21 * * *", action: pause}]}
        """,
    )
    config = load_config([path])
    assert config.namespaces == ("lab",)
    expanded = config.expanded(["lab/dev-a", "lab/dev-keep", "lab/dev-demo", "lab/other"])
    assert sorted(e.key for e in expanded.endpoints) == ["lab/dev-a", "lab/dev-demo"]
    assert expanded.coverage == {"lab/dev-*": ["lab/dev-a"]}
    demo = expanded.endpoint("lab/dev-demo")
    assert demo is not None
    assert demo.rules[0].cron.hours == (21,)
