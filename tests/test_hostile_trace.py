"""Hostile traces and `backtest` input (issue 18): a span, a decompressed size and a file type are
bounded before use; out-of-range numbers and dates are one line and exit 2, never a traceback."""

from __future__ import annotations

import contextlib
import gzip
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hfwarden.adapters import trace
from hfwarden.adapters.trace import MAX_SPAN_MINUTES, TraceError, read_trace
from hfwarden.cli import main
from tests.support.traces import write as write_trace

HANG_NET_S = 30
CONFIG = """
version: 1
endpoints:
  - namespace: acme
    name: chat
    instance: aws/us-east-1/nvidia-l4/x1
    schedule:
      - {cron: "50 23 * * *", action: resume, min_replicas: 1, max_replicas: 3}
"""


def cli_files(tmp_path: Path) -> tuple[Path, Path]:
    """A schedule and an eight-minute trace `backtest` accepts."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    rows = [((start + timedelta(minutes=m)).isoformat(), n) for m, n in enumerate([5, 25, 25, 25, 0, 0, 0, 0])]
    return config, write_trace(tmp_path / "trace.csv", rows)


def test_two_rows_far_apart_are_refused_before_one_entry_per_minute_is_made(tmp_path: Path) -> None:
    """Fixed: rows at 1970 and 9000 allocated one entry per missing minute (~30 GB)."""
    path = tmp_path / "t.csv"
    path.write_text("minute_start,requests\n1970-01-01T00:00:00+00:00,1\n9000-01-01T00:00:00+00:00,1\n")
    with pytest.raises(TraceError, match=f"more than {MAX_SPAN_MINUTES // 1440} days after the first minute"):
        read_trace(path)


def test_a_gzip_bomb_is_refused_without_being_decompressed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixed: a 2 MiB gzip expanding to 2 GiB was decompressed whole into memory. The bound is lowered
    to 4 MiB here so that the test itself stays small; the code path is the real one."""
    monkeypatch.setattr(trace, "MAX_TRACE_BYTES", 4 * 2**20)
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"minute_start,requests\n")
        out.write(b"\n" * (16 * 2**20))  # 16 MiB of text (4 times the bound) in a file of ~16 KiB
    assert path.stat().st_size < 2**20
    with pytest.raises(TraceError, match="decompresses to more than 4 MiB"):
        read_trace(path)


def read_in_thread(path: Path) -> list[BaseException]:
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_trace(path)
        except TraceError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(HANG_NET_S)
    return outcome


def test_dev_zero_is_refused_not_read_until_memory_runs_out() -> None:
    """Fixed: /dev/zero was read until memory ran out."""
    [error] = read_in_thread(Path("/dev/zero"))
    assert "not a regular file" in str(error)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """Fixed: a FIFO blocked `backtest` for ever."""
    path = tmp_path / "t.csv"
    os.mkfifo(path)
    try:
        [error] = read_in_thread(path)
        assert "not a regular file" in str(error)
    finally:
        with contextlib.suppress(OSError):  # release a reader the old code left blocked
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


BAD_ARGS = {
    "capacity-nan": (["--capacity-rpm", "nan"], "--capacity-rpm"),
    "capacity-inf": (["--capacity-rpm", "inf"], "--capacity-rpm"),
    "max-replicas-4001-digits": (["--capacity-rpm", "10", "--max-replicas", "9" * 4001], "--max-replicas"),
    "to-year-9999": (["--capacity-rpm", "10", "--to", "9999-12-31"], "out of range"),
    "from-year-1-with-offset": (["--capacity-rpm", "10", "--from", "0001-01-01T00:00+05:00"], "out of range"),
}


@pytest.mark.parametrize(("args", "problem"), BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_backtest_numbers_and_dates_out_of_range_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    """Fixed: each was a traceback (or, for nan/inf, a run on a meaningless capacity)."""
    config, trace = cli_files(tmp_path)
    base = ["backtest", "--trace", str(trace), "--config", str(config), "--endpoint", "acme/chat"]
    try:
        code = main([*base, *args])
    except SystemExit as exited:  # argparse's usage error
        code = int(exited.code or 0)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert problem in err[-1]
    assert not any("Traceback" in line for line in err)


def test_a_4001_digit_count_in_a_trace_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("minute_start,requests\n2026-03-02T00:00:00+00:00," + "9" * 4001 + "\n")
    with pytest.raises(TraceError, match=r"line 2: request count 9{20} is not from 0 to 1,000,000,000"):
        read_trace(path)
