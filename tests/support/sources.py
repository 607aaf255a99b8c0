"""hfwarden's source read as syntax trees, for the checks on it (tests/test_architecture.py,
tests/support/purity.py): each file parsed once per session, and its statements walked without visiting
every expression."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of one file of hfwarden (several checks read the same files)."""
    return ast.parse(path.read_text(), filename=str(path))


def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included. Imports and function definitions are statements, so this
    finds them all without visiting the expressions (most of a tree)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            nested = getattr(node, field, None)
            if isinstance(nested, list):
                yield from statements(nested)
        for handler in getattr(node, "handlers", ()):
            yield from statements(handler.body)
        for case in getattr(node, "cases", ()):
            yield from statements(case.body)
