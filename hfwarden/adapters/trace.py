"""Request traces: `minute_start,requests` CSV files (optionally gzipped) into requests per minute."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HEADER = ["minute_start", "requests"]
MINUTE = timedelta(minutes=1)


class TraceError(Exception):
    """A trace file that cannot be read as a per-minute request count; one clear message."""


@dataclass(frozen=True, slots=True)
class Trace:
    """Requests per minute from `start` (UTC), one entry per minute; minutes absent from a file are
    zeros. `offsets` are the UTC offsets the file's timestamps carried. `missing` are the indexes of
    minutes whose demand is unknown (a gap in Prometheus, an empty cell, a paused endpoint): they
    count 0 in `requests` and are left out of learning."""

    start: datetime
    requests: tuple[int, ...]
    offsets: frozenset[timedelta]
    missing: frozenset[int] = frozenset()
    # The first change of UTC offset along the file: (its instant, the offset before, after).
    first_offset_change: tuple[datetime, timedelta, timedelta] | None = None

    @property
    def end(self) -> datetime:
        return self.start + len(self.requests) * MINUTE

    @property
    def single_offset(self) -> timedelta | None:
        """The file's one UTC offset, or None when it changes (DST) along the trace."""
        return next(iter(self.offsets)) if len(self.offsets) == 1 else None

    def fixed_zone(self) -> timezone:
        """The zone to read `--from`/`--to` dates in: the file's offset (its smallest, if it changes)."""
        return timezone(self.single_offset or min(self.offsets))

    def window(self, start: datetime | None, end: datetime | None) -> Trace:
        """The minutes in [start, end), clipped to the trace."""
        first = 0 if start is None else max(0, _minutes(start - self.start))
        last = len(self.requests) if end is None else min(len(self.requests), _minutes(end - self.start))
        if last <= first:
            raise TraceError("the trace has no minutes between --from and --to")
        missing = frozenset(i - first for i in self.missing if first <= i < last)
        requests = self.requests[first:last]
        return Trace(self.start + first * MINUTE, requests, self.offsets, missing, self.first_offset_change)

    def known(self) -> list[bool]:
        """Per minute, whether its demand is known."""
        flags = [True] * len(self.requests)
        for index in self.missing:
            flags[index] = False
        return flags


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _lines(path: Path) -> Iterator[str]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    yield from io.StringIO(raw.decode("utf-8-sig"))


def _row(number: int, row: list[str]) -> tuple[datetime, int | None]:
    if len(row) != 2:
        raise TraceError(f"line {number}: expected 2 columns minute_start,requests, got {len(row)}")
    try:
        at = datetime.fromisoformat(row[0].strip())
    except ValueError:
        raise TraceError(f"line {number}: {row[0]!r} is not an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        raise TraceError(f"line {number}: {row[0]!r} has no UTC offset")
    if at.second or at.microsecond:
        raise TraceError(f"line {number}: {row[0]!r} is not the start of a minute")
    if not row[1].strip():
        return at, None  # an empty cell: a minute of unknown demand (`trace export` writes gaps so)
    try:
        requests = int(row[1].strip())
    except ValueError:
        raise TraceError(f"line {number}: {row[1]!r} is not a whole number of requests") from None
    if requests < 0:
        raise TraceError(f"line {number}: negative request count {requests}")
    return at, requests


def read_trace(path: Path) -> Trace:
    """Read a trace; TraceError names the file and line of the first problem."""
    try:
        return _parse(_lines(path))
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error) as exc:
        raise TraceError(f"{path}: cannot read the trace: {exc}") from None


def _parse(lines: Iterator[str]) -> Trace:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != HEADER:
        raise TraceError(f"line 1: expected the header {','.join(HEADER)}")
    first: datetime | None = None
    counts: list[int] = []
    offsets: set[timedelta] = set()
    change: tuple[datetime, timedelta, timedelta] | None = None
    previous: timedelta | None = None
    missing: set[int] = set()
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        at, requests = _row(number, row)
        offset = at.utcoffset() or timedelta(0)
        if change is None and previous is not None and offset != previous:
            change = (at.astimezone(UTC), previous, offset)
        previous = offset
        offsets.add(offset)
        if first is None:
            first = at
        index = _minutes(at - first)
        if index < len(counts):
            raise TraceError(f"line {number}: {row[0]} is not after the previous minute")
        counts.extend([0] * (index - len(counts)))  # missing minutes are zero traffic
        if requests is None:
            missing.add(index)
        counts.append(requests or 0)
    if first is None:
        raise TraceError("no minutes in the trace")
    return Trace(first.astimezone(UTC), tuple(counts), frozenset(offsets), frozenset(missing), change)
