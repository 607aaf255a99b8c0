"""Secrets never reach a log line."""

from __future__ import annotations

import json

import pytest
import structlog

from hfwarden import logs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token hf_AbCdEf123456 used", "token *** used"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
        ("posting to https://hooks.slack.com/services/T000/B000/XXXX failed", "posting to *** failed"),
        ("the registered s3cr3t-value leaked", "the registered *** leaked"),
        ("nothing secret here", "nothing secret here"),
    ],
    ids=["hf-token", "bearer", "slack-webhook", "registered-secret", "plain"],
)
def test_masker(text: str, expected: str) -> None:
    masker = logs.SecretMasker()
    masker.add(["s3cr3t-value"])
    assert masker.mask(text) == expected


def test_json_log_lines_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("json", secrets=["my-webhook-secret"])
    try:
        raise RuntimeError("call failed with hf_LeakedToken999 and my-webhook-secret")
    except RuntimeError as exc:
        logs.get_logger("test").error("boom", error=exc, nested={"url": "https://hooks.slack.com/services/x"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "boom"
    assert "hf_LeakedToken999" not in line
    assert "my-webhook-secret" not in line
    assert "hooks.slack.com" not in line
    structlog.reset_defaults()
