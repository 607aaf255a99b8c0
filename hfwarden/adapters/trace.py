"""Request traces: `minute_start,requests` CSV files (optionally gzipped) into requests per minute."""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HEADER = ["minute_start", "requests"]
MINUTE = timedelta(minutes=1)
# Bounds, checked before use: a trace is read whole, one entry per minute. Two years of minutes; a
# file (compressed or not) and its decompressed text of at most 256 MiB (a year of minutes is ~20 MB);
# a count far above any endpoint's traffic and far below where sums overflow.
MAX_SPAN_MINUTES = 2 * 366 * 24 * 60
MAX_TRACE_BYTES = 256 * 1024 * 1024
MAX_REQUESTS_PER_MINUTE = 10**9


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
    raw = _bounded_read(path)
    if raw[:2] == b"\x1f\x8b":
        # Streamed, and stopped one byte past the bound: a 2 MiB bomb must not expand to 2 GiB first.
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unzipped:
            raw = unzipped.read(MAX_TRACE_BYTES + 1)
        if len(raw) > MAX_TRACE_BYTES:
            raise TraceError(f"decompresses to more than {MAX_TRACE_BYTES // 2**20} MiB; refused")
    yield from io.StringIO(raw.decode("utf-8-sig"))


def _bounded_read(path: Path) -> bytes:
    """The file's bytes: a regular file only (a FIFO would block for ever, /dev/zero never ends), at most
    MAX_TRACE_BYTES."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TraceError("not a regular file (a FIFO, device or directory?); refused")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_TRACE_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_TRACE_BYTES:
        raise TraceError(f"larger than {MAX_TRACE_BYTES // 2**20} MiB; refused")
    return raw


def _row(number: int, row: list[str]) -> tuple[datetime, int | None]:
    if len(row) != 2:
        raise TraceError(f"line {number}: expected 2 columns minute_start,requests, got {len(row)}")
    try:
        at = datetime.fromisoformat(row[0].strip())
    except ValueError:
        raise TraceError(f"line {number}: {row[0]!r} is not an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        raise TraceError(f"line {number}: {row[0]!r} has no UTC offset")
    try:
        at.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset
        raise TraceError(f"line {number}: {row[0]!r} is out of range") from None
    if at.second or at.microsecond:
        raise TraceError(f"line {number}: {row[0]!r} is not the start of a minute")
    if not row[1].strip():
        return at, None  # an empty cell: a minute of unknown demand (`trace export` writes gaps so)
    try:
        requests = int(row[1].strip()[:20])  # at most 20 digits read: a 4,001-digit count is refused below
        if len(row[1].strip()) > 20:
            requests = MAX_REQUESTS_PER_MINUTE + 1
    except ValueError:
        raise TraceError(f"line {number}: {row[1]!r} is not a whole number of requests") from None
    if not 0 <= requests <= MAX_REQUESTS_PER_MINUTE:
        raise TraceError(
            f"line {number}: request count {row[1].strip()[:20]} is not from 0 to {MAX_REQUESTS_PER_MINUTE:,}"
        )
    return at, requests


def read_trace(path: Path) -> Trace:
    """Read a trace; TraceError names the file and line of the first problem."""
    try:
        return _parse(_lines(path))
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error, zlib.error) as exc:
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
        if index >= MAX_SPAN_MINUTES:  # checked before the gap is filled with one zero per minute
            raise TraceError(
                f"line {number}: {row[0]} is more than {MAX_SPAN_MINUTES // 1440} days after the first minute"
            )
        if index < len(counts):
            raise TraceError(f"line {number}: {row[0]} is not after the previous minute")
        counts.extend([0] * (index - len(counts)))  # missing minutes are zero traffic
        if requests is None:
            missing.add(index)
        counts.append(requests or 0)
    if first is None:
        raise TraceError("no minutes in the trace")
    return Trace(first.astimezone(UTC), tuple(counts), frozenset(offsets), frozenset(missing), change)
