"""Reading a schedule file holds one entry's YAML nodes at a time, not the whole file's (issue 19).

The bench's 5,000-endpoint file took the daemon's RSS from 83 to 131 MB while it was read: the
whole libyaml node tree (two marks per node) was alive until the document was built. What reading
costs above the document it returns must not grow with the number of entries."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from hfwarden.config import entrywise, load_config, source
from hfwarden.config.source import read_yaml


def schedule(endpoints: int) -> str:
    lines = ["endpoints:"]
    for number in range(endpoints):
        lines += [
            f"  - namespace: team-{number % 10}",
            f"    name: endpoint-{number}",
            "    timezone: UTC",
            "    schedule:",
            "      - {cron: '0 8 * * 1-5', action: resume}",
            "      - {cron: '0 19 * * 1-5', action: pause}",
        ]
    return "\n".join(lines) + "\n"


def reading_overhead(path: Path) -> tuple[int, int]:
    """Peak traced bytes while reading above what the returned document keeps, and entries read."""
    tracemalloc.start()
    try:
        problems: list[object] = []
        data = read_yaml(path, problems)  # type: ignore[arg-type]
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == []
    return peak - kept, len(data["endpoints"])


def test_reading_overhead_does_not_grow_with_the_entries(tmp_path: Path) -> None:
    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small.write_text(schedule(100))
    large.write_text(schedule(2_000))
    small_overhead, small_count = reading_overhead(small)
    large_overhead, large_count = reading_overhead(large)
    assert (small_count, large_count) == (100, 2_000)
    # The whole-file tree costs ~1.5 KB an entry here (~3 MB at 2,000): one entry's is a few KB.
    # The text itself (~300 KB at 2,000) is read whole, and is not counted against the bound.
    text_growth = len(large.read_bytes()) * 2
    assert large_overhead - small_overhead < text_growth + 256 * 1024, (small_overhead, large_overhead)


@pytest.mark.parametrize("entry_by_entry_from", [0, source.ENTRY_BY_ENTRY_FROM], ids=["by-entry", "whole"])
def test_an_anchor_in_one_entry_serves_a_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_by_entry_from: int
) -> None:
    monkeypatch.setattr(source, "ENTRY_BY_ENTRY_FROM", entry_by_entry_from)
    path = tmp_path / "anchored.yaml"
    path.write_text(
        "endpoints:\n"
        "  - {namespace: a, name: one, schedule: &office [{cron: '0 8 * * 1-5', action: resume}]}\n"
        "  - {namespace: a, name: two, schedule: *office}\n"
        "  - {<<: {namespace: b}, name: three, schedule: []}\n"
    )
    problems: list[object] = []
    data = read_yaml(path, problems)  # type: ignore[arg-type]
    assert problems == []
    assert data["endpoints"][1]["schedule"] is data["endpoints"][0]["schedule"]
    assert data["endpoints"][2] == {"namespace": "b", "name": "three", "schedule": []}
    assert data["endpoints"].item_lines == [2, 3, 4]


@pytest.mark.parametrize("entry_by_entry_from", [0, source.ENTRY_BY_ENTRY_FROM], ids=["by-entry", "whole"])
def test_what_is_reported_does_not_depend_on_entry_by_entry_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_by_entry_from: int
) -> None:
    """A bad key in one entry and a syntax error after it: the syntax error, as before; duplicate
    keys in line order, the top-level mapping's among its entries'."""
    monkeypatch.setattr(source, "ENTRY_BY_ENTRY_FROM", entry_by_entry_from)
    broken = tmp_path / "broken.yaml"
    broken.write_text("endpoints:\n  - {[a, b]: 1}\n  - {name: [x\nother: 1\n")
    problems: list[object] = []
    assert read_yaml(broken, problems) is None  # type: ignore[arg-type]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(4, "not valid YAML")]  # type: ignore[attr-defined]
    twice = tmp_path / "twice.yaml"
    twice.write_text("a: 1\nendpoints:\n  - {name: x, name: y}\na: 2\n")
    problems = []
    read_yaml(twice, problems)  # type: ignore[arg-type]
    assert [p.line for p in problems] == [3, 4]  # type: ignore[attr-defined]


def allocated_by_the_reading(path: Path) -> int:
    """Bytes of the loaded config that were allocated while the YAML was read (by PyYAML or our reader)."""
    tracemalloc.start()
    try:
        config = load_config([path])
        kept = tracemalloc.take_snapshot().filter_traces(
            [
                tracemalloc.Filter(True, "*/yaml/*"),
                tracemalloc.Filter(True, source.__file__),
                tracemalloc.Filter(True, entrywise.__file__),
            ]
        )
    finally:
        tracemalloc.stop()
    assert len(config.endpoints) == 2_000
    return sum(stat.size for stat in kept.statistics("filename"))


@pytest.mark.parametrize("entry_by_entry_from", [0, source.ENTRY_BY_ENTRY_FROM], ids=["by-entry", "whole"])
def test_the_loaded_schedule_keeps_nothing_the_reading_allocated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_by_entry_from: int
) -> None:
    """A string kept from the reading sits among its freed objects and keeps their allocator arena
    resident: at 5,000 endpoints the names kept ~18 MB of emptied arenas (issue 19)."""
    monkeypatch.setattr(source, "ENTRY_BY_ENTRY_FROM", entry_by_entry_from)
    path = tmp_path / "large.yaml"
    path.write_text("version: 1\ntimezone: UTC\n" + schedule(2_000))
    # Before: the 4,000 namespace and name strings, ~250 KB. After: ~20 KB that does not grow with the
    # entries (free-list reuse, the loader's own state).
    assert allocated_by_the_reading(path) < 64 * 1024
