"""The core never does I/O and never reads the clock: checked on the source, as kopf checks its layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.purity import CORE, assert_imports_no_io, assert_never_reads_the_clock


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_io(path: Path) -> None:
    assert_imports_no_io(path)


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_never_reads_the_clock(path: Path) -> None:
    assert_never_reads_the_clock(path)
