"""`hfwarden recommend` run in-process on a written trace, its schedule loaded back as `validate` would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hfwarden.cli import main
from hfwarden.config import load_config
from hfwarden.core.rules import EndpointSchedule
from tests.support import traces

INSTANCE = "aws/us-east-1/nvidia-l4/x1"  # $0.80 an hour in the built-in table


@dataclass(frozen=True)
class Recommended:
    text: str  # the schedule file printed on stdout
    path: Path  # where it was written
    schedule: EndpointSchedule  # `acme/chat` as the loader reads it
    err: str  # the held-out backtest and the choice, on stderr


def recommended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[tuple[str, int]], *extra: str
) -> Recommended:
    trace = traces.write(tmp_path / "trace.csv", rows)
    args = ["recommend", "--trace", str(trace), "--endpoint", "acme/chat", "--capacity-rpm", "100"]
    assert main([*args, "--instance", INSTANCE, *extra]) == 0
    out, err = capsys.readouterr()
    path = tmp_path / "recommended.yaml"
    path.write_text(out)
    schedule = load_config([path]).endpoint("acme/chat")
    assert schedule is not None
    return Recommended(out, path, schedule, err)
