"""Structured logs: JSON in containers, readable on a terminal, secrets masked on the way out."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

import structlog

MASK = "***"
# Hugging Face tokens and webhook URLs, even when they arrive inside an exception message.
_PATTERNS = (
    re.compile(r"hf_[A-Za-z0-9]{6,}"),
    re.compile(r"https://hooks\.slack\.com/[^\s\"']+"),
    re.compile(r"(?i)(bearer\s+)[^\s\"']+"),
)


class SecretMasker:
    """A structlog processor that replaces known secret values and token-shaped strings."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(v) for v in value)
        if isinstance(value, BaseException):
            return self.mask(f"{type(value).__name__}: {value}")
        return value

    def __call__(self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {key: self._clean(value) for key, value in event_dict.items()}


masker = SecretMasker()


def configure(fmt: Literal["json", "console"], *, level: str = "info", secrets: Iterable[str] = ()) -> None:
    """Set up structlog for this process."""
    masker.add(secrets)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            masker,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries (uvicorn, apscheduler, httpx) log through stdlib logging, and Python warnings are routed
    # there too: quiet, masked, and in the same format as ours (a JSON stream with a plain-text traceback
    # or warning in it is a stream a log shipper cannot parse).
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(_stdlib_handler(fmt))
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler `configure` installs: replaced, not added again, when it runs again. Writes to
    stderr as it is when a record comes (a test's capture, a redirected stream), not as it was."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _stdlib_handler(fmt: Literal["json", "console"]) -> logging.Handler:
    handler = _OurHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[
                    structlog.stdlib.add_log_level,
                    structlog.stdlib.add_logger_name,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                ],
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    masker,
                    structlog.processors.JSONRenderer(),
                ],
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_StdlibMaskFilter())
    return handler


class _StdlibMaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = masker.mask(record.getMessage())
        record.args = ()
        return True


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
