"""The checks that keep the core pure, on its source: no I/O library imported, no clock read."""

from __future__ import annotations

from pathlib import Path

from tests.support.sources import source_facts

CORE = Path(__file__).resolve().parents[2] / "hfwarden" / "core"
IO_MODULES = {
    "httpx",
    "httpx2",
    "huggingface_hub",
    "sqlalchemy",
    "requests",
    "socket",
    "subprocess",
    "urllib",
    "starlette",
    "uvicorn",
    "apscheduler",
    "structlog",
    "logging",
    "prometheus_client",
    "os",
    "pathlib",
    "shutil",
}
ALLOWED_HFWARDEN = {"hfwarden.core", "hfwarden.clock"}


def assert_imports_no_io(path: Path) -> None:
    for name in source_facts(path).imports:
        assert name.split(".")[0] not in IO_MODULES, f"{path.name} imports {name}"
        if name.startswith("hfwarden"):
            assert any(name.startswith(ok) for ok in ALLOWED_HFWARDEN), f"{path.name} imports {name}"


def assert_never_reads_the_clock(path: Path) -> None:
    source = path.read_text()
    for call in ("datetime.now(", "datetime.utcnow(", "time.time(", "time.monotonic(", "date.today("):
        assert call not in source, f"{path.name} calls {call}: time must be an argument"
