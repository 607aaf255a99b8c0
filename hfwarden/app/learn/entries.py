"""The schedule file's own entry for an endpoint: its text (for diffs), and a fingerprint that changes
when the entry is edited (then the file wins over an adopted proposal)."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from hfwarden.config.source import LineList, read_yaml

ENTRY_MARK = "  - namespace:"


def _covers(item: object, key: str) -> bool:
    if not isinstance(item, dict):
        return False
    namespace, _, name = key.partition("/")
    match = item.get("match")
    if isinstance(match, dict):
        return match.get("namespace") == namespace and fnmatchcase(name, str(match.get("name", "")))
    return item.get("namespace") == namespace and item.get("name") == name


def entry_text(sources: Sequence[Path], key: str) -> str:
    """The lines of the entry that schedules `key` (its own, else the first `match:` covering it);
    empty when none does."""
    fallback = ""
    for path in sources:
        raw = read_yaml(path, [])
        items = raw.get("endpoints") if isinstance(raw, dict) else None
        if not isinstance(items, LineList):
            continue
        lines = path.read_text().splitlines()
        for index, item in enumerate(items):
            if not _covers(item, key):
                continue
            first = items.item_lines[index]
            last = items.item_lines[index + 1] - 1 if index + 1 < len(items) else _block_end(lines, first)
            text = "\n".join(lines[first - 1 : last]).rstrip() + "\n"
            if "match" not in item:
                return text
            fallback = fallback or text
    return fallback


def _block_end(lines: list[str], first: int) -> int:
    """The last line of the list item starting at `first` (1-based): before the next top-level key."""
    for number in range(first, len(lines)):
        line = lines[number]
        if line and not line[0].isspace() and not line.startswith("-") and not line.startswith("#"):
            return number
    return len(lines)


def fingerprint(text: str) -> str:
    """Stable across comments and blank lines: an edit that changes nothing does not supersede."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


def proposed_entry(schedule_file: str) -> str:
    """The endpoint entry of a recommended schedule file, without its comments."""
    lines = schedule_file.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(ENTRY_MARK)), 0)
    return "\n".join(line for line in lines[start:] if not line.strip().startswith("#")) + "\n"


def yaml_diff(key: str, current: str, proposed: str) -> str:
    """A unified diff of the file's entry against the proposal's."""
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            proposed.splitlines(keepends=True),
            fromfile=f"{key} (schedule file)",
            tofile=f"{key} (proposal)",
        )
    )
