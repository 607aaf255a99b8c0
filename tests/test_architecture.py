"""The architecture as checked facts: docs/architecture.md says what the import contracts say; no two
hfwarden modules import each other in a loop (TYPE_CHECKING imports included); no test module imports
another; modules and functions stay small; each module of the pass stays within 120 lines."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp

from tests.support.sources import function_lengths, source_facts, statements

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hfwarden"
TESTS = ROOT / "tests"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"] if "id" in c}


def documented_layers() -> dict[str, list[set[str]]]:
    """Each table of docs/architecture.md marked `<!-- contract: ID -->`: its modules, row by row."""
    tables: dict[str, list[set[str]]] = {}
    current: str | None = None
    for line in ARCHITECTURE.read_text().splitlines():
        marker = re.fullmatch(r"<!-- contract: ([\w-]+) -->", line.strip())
        if marker:
            current = marker.group(1)
            tables[current] = []
        elif current is not None and re.match(r"\| \d+ \|", line):
            modules = line.split(" | ")[1]
            tables[current].append(set(re.findall(r"`([^`]+)`", modules)))
        elif current is not None and not line.startswith("|"):
            current = None if tables[current] else current
    return tables


def contract_layers(contract: dict[str, Any]) -> list[set[str]]:
    return [{m.strip() for m in re.split(r"[|:]", layer)} for layer in contract["layers"]]


def test_docs_architecture_is_the_contracts() -> None:
    """Every layers contract has its table, row for row; no table describes a contract that is not."""
    layers = {k: c for k, c in contracts().items() if c["type"] == "layers"}
    tables = documented_layers()
    assert set(tables) == set(layers)
    for contract_id, contract in layers.items():
        assert tables[contract_id] == contract_layers(contract), contract_id


def test_every_layers_contract_is_exhaustive() -> None:
    """A module nobody placed in a layer fails `lint-imports`: the contracts say where everything goes."""
    for contract_id, contract in contracts().items():
        if contract["type"] == "layers":
            assert contract.get("exhaustive") is True, contract_id


def graph() -> grimp.ImportGraph:
    return grimp.build_graph("hfwarden", exclude_type_checking_imports=False, cache_dir=None)


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a loop of imports."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(imports) + 100))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                popped = stack.pop()
                component.append(popped)
                if popped == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_cycles_finds_a_loop_and_only_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_hfwarden_modules() -> None:
    """Module by module, TYPE_CHECKING imports included. The imports the `acyclic` contract ignores
    (each marked there with the issue that removes it) are left out here too."""
    ignored = set()
    for expression in contracts()["acyclic"].get("ignore_imports", []):
        importer, imported = (part.strip() for part in expression.split("#")[0].split("->"))
        ignored.add((importer, imported))
    imports_graph = graph()
    imports = {
        m: {i for i in imports_graph.find_modules_directly_imported_by(m) if (m, i) not in ignored}
        for m in imports_graph.modules
    }
    assert cycles(imports) == []


def python_files(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def test_statements_reach_every_nesting() -> None:
    tree = ast.parse(
        "def f():\n    if x:\n        pass\n    else:\n        try:\n            import a\n"
        "        except E:\n            import b\n        finally:\n            import c\n"
        "class C:\n    def g(self):\n        match y:\n            case 1:\n                import d\n"
        "while z:\n    pass\nelse:\n    with w:\n        async def h(): import e\n"
    )
    found = {n.names[0].name for n in statements(tree.body) if isinstance(n, ast.Import)}
    assert found == {"a", "b", "c", "d", "e"}
    assert {s.name for s in statements(tree.body) if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)} == {
        "f",
        "g",
        "h",
    }


def imported_names(path: Path) -> Iterator[str]:
    for node in statements(ast.parse(path.read_text()).body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            yield prefix
            yield from (f"{prefix}.{alias.name}" if node.module else prefix + alias.name for alias in node.names)


def test_no_test_module_imports_another_test_module() -> None:
    """Shared fixtures and helpers live in tests/support/ (or conftest.py), never in a test module."""
    offenders = {}
    for path in python_files(TESTS):
        found = [n for n in imported_names(path) if re.search(r"(^|\.)test_\w+$", n.split(" ")[0])]
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_a_test_module_importing_another_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("from tests.test_daemon import helper\nfrom .test_web import page\nimport tests.support.world\n")
    found = [n for n in imported_names(bad) if re.search(r"(^|\.)test_\w+$", n)]
    assert found == ["tests.test_daemon", ".test_web"]


def size_problems(path: Path) -> list[str]:
    """What is too long in one module: itself (over 400 lines; 120 in the pass), and its functions (over 60)."""
    text = path.read_text()
    limit = 120 if path.parent == PACKAGE / "app" / "reconcile" else 400
    lines = len(text.splitlines())
    too_long = [f"{lines} lines (at most {limit})"] if lines > limit else []
    functions = source_facts(path).functions if path.is_relative_to(PACKAGE) else function_lengths(ast.parse(text))
    return too_long + [f"{name}: {n} lines (at most 60)" for name, n in functions if n > 60]


def test_module_and_function_sizes() -> None:
    """No module over 400 lines, no function over 60; each module of the pass within 120. One test for
    the whole package (not one per module): its failure lists every offender."""
    problems = {str(path.relative_to(PACKAGE)): size_problems(path) for path in python_files(PACKAGE)}
    assert {module: found for module, found in problems.items() if found} == {}


def test_size_problems_are_found(tmp_path: Path) -> None:
    long = tmp_path / "long.py"
    long.write_text("class A:\n    def f(self):\n" + "        x = 1\n" * 60 + "\n" * 340)
    assert size_problems(long) == ["402 lines (at most 400)", "f: 61 lines (at most 60)"]
