"""Policy never does I/O and never reads the clock: checked on the source, as kopf checks its layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POLICY = Path(__file__).resolve().parent.parent / "hfwarden" / "core"
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


@pytest.mark.parametrize("path", sorted(POLICY.rglob("*.py")), ids=lambda p: p.name)
def test_policy_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in IO_MODULES, f"{path.name} imports {name}"
            if name.startswith("hfwarden"):
                assert any(name.startswith(ok) for ok in ALLOWED_HFWARDEN), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted(POLICY.rglob("*.py")), ids=lambda p: p.name)
def test_policy_never_reads_the_clock(path: Path) -> None:
    source = path.read_text()
    for call in ("datetime.now(", "datetime.utcnow(", "time.time(", "time.monotonic(", "date.today("):
        assert call not in source, f"{path.name} calls {call}: time must be an argument"
