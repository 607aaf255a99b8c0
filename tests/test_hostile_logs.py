"""The JSON log stream stays JSON (issue 18): apscheduler's warnings, uvicorn's tracebacks and Python
warnings come out as JSON lines, masked like ours, instead of plain text in the middle of the stream."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator

import pytest
import structlog

from hfwarden import logs


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Configured once stderr is captured: the handler writes to the stream it found then."""
    logs.configure("json", secrets=["a-registered-secret"])
    yield
    structlog.reset_defaults()
    logging.captureWarnings(False)


@pytest.mark.usefixtures("json_logs")
def test_library_records_are_json_lines_with_their_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """Fixed: these were `WARNING apscheduler.scheduler: …` and a bare multi-line traceback."""
    logging.getLogger("apscheduler.executors.default").warning("Run time of job %r was missed by %s", "tick", "0:00:05")
    try:
        raise RuntimeError("the page broke, a-registered-secret inside")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=1)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON: a plain one raises here
    assert [r["event"] for r in records[:2]] == [
        "Run time of job 'tick' was missed by 0:00:05",
        "Exception in ASGI application",
    ]
    assert records[0]["level"] == "warning"
    assert records[0]["logger"] == "apscheduler.executors.default"
    assert "RuntimeError: the page broke" in records[1]["exception"]
    assert "a-registered-secret" not in lines[1]
    assert "a library's deprecation" in records[2]["event"]
