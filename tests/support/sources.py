"""hfwarden's source as the checks on it read it (tests/test_architecture.py, tests/support/purity.py):
each file parsed once per session into the few facts they need (a thousand syntax trees kept for the
session would cost every later garbage collection), its statements walked without visiting every
expression."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What the checks need of one file: the modules it imports (`import m`, `from m import ...`) and
    each function's name and length in lines."""

    imports: tuple[str, ...]
    functions: tuple[tuple[str, int], ...]


@functools.cache
def source_facts(path: Path) -> SourceFacts:
    tree = ast.parse(path.read_text(), filename=str(path))
    return SourceFacts(tuple(imported_modules(tree)), tuple(function_lengths(tree)))


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


def imported_modules(tree: ast.Module) -> Iterator[str]:
    for node in statements(tree.body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def function_lengths(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in statements(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield node.name, node.end_lineno - node.lineno + 1
