"""Reading schedule files: bounded, UTF-8, YAML with line numbers, and where an error points.

Schedule files are trusted to be mistaken, not to be friendly: a FIFO named `*.yaml`, a binary
file, a 400-byte alias bomb or a file nested ten thousand levels deep must each end as one
`file:line` problem, quickly, never as a hang or a traceback (the daemon re-reads these files
while it runs, on its main thread).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hfwarden.config.entrywise import BuildFailed, single_document
from hfwarden.config.problems import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 100
# Aliases (`*name`, `<<: *name`) may add at most this many nodes once expanded: a 400-byte alias bomb
# stands for billions, and it is the expansion (validation, the env-var walk) that hangs, not the parse.
MAX_ALIAS_NODES = 50_000
MAX_YAML_DEPTH = 64
# Across every file of one config. libyaml and the line-numbered construction cost ~13 µs a node
# (docs/schedules.md has the measurement): this keeps `validate` and a reload under 5 s.
MAX_YAML_NODES = 200_000
ENTRY_BY_ENTRY_FROM = 32 * 1024  # characters; from here composed entry by entry (config/entrywise.py)


class LineDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML has it (the wheels do): a 1 MiB file parses in a fraction of a second.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_SEQ = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_MAP = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG


@dataclass
class NodeBudget:
    """The YAML nodes still allowed across all the files of one config (MAX_YAML_NODES).

    Parsing costs time per node, whatever the nodes say: this is what keeps a reload of the
    documented maxima under 5 s (docs/schedules.md), and a pile of 1 MiB files from taking minutes."""

    left: int = field(default_factory=lambda: MAX_YAML_NODES)


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Loader(_BaseLoader, yaml.composer.Composer):  # type: ignore[valid-type,misc]
    """Counts nesting and nodes while libyaml composes, and stops it at the first level too deep or the
    first node over the budget.

    libyaml's composer recurses once per level on the C stack: 30,000 levels (a 60 KB file)
    overflowed it, a segfault, before any check on the nodes could run. It calls `descend_resolver`
    before it composes each node (and so before it recurses), and an exception raised there ends
    the composition: a hostile file costs next to nothing, and a good one is parsed once."""

    duplicate_keys: list[tuple[int, str]]

    def __init__(self, stream: str, budget: NodeBudget) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # Composer's own __init__ is not called
        self.duplicate_keys = []
        self.anchors = {}  # the Python composer's (config/entrywise.py); libyaml's keeps its own
        self.budget = budget
        self.depth = 0
        self.plain_tags: dict[str, str] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        # No path resolvers are registered: the base method would return at once.
        self.depth += 1
        self.budget.left -= 1
        if self.depth > MAX_YAML_DEPTH:
            raise _Refused(f"nested deeper than {MAX_YAML_DEPTH} levels; refused", _line(current_node))
        if self.budget.left < 0:
            self.budget.left = 0
            message = f"more than {MAX_YAML_NODES:,} YAML nodes across all schedule files (a rule is 5 to 10); refused"
            raise _Refused(message, _line(current_node))

    def ascend_resolver(self) -> None:
        self.depth -= 1

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """The base resolver's answer (no path resolvers are registered), without its regexes for a
        quoted scalar or a collection, and memoised by text for a plain scalar: libyaml asks once a
        node, and a schedule says `cron`, `action` and `pause` thousands of times."""
        if kind is not yaml.ScalarNode:
            return _SEQ if kind is yaml.SequenceNode else _MAP
        if not implicit[0]:
            return _STR
        tag = self.plain_tags.get(value)
        if tag is None:
            tag = self.plain_tags[value] = super().resolve(kind, value, implicit)
        return tag


def _line(parent: yaml.Node | None) -> int:  # the parent's: the composer passes no mark of its own
    return parent.start_mark.line + 1 if parent is not None and parent.start_mark is not None else 1


# An anchor is `&` and a name: a document without one has no aliases (an alias to no anchor is an
# error), so `_oversized` has nothing to measure in it. Text inside quotes may match: it is then run.
_MAY_ANCHOR = re.compile(r"&[^\s,\[\]{}]")


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):  # `[a, b]: 1` would be an unhashable key
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping as a key; keys are names", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return _BaseLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:  # `0000-01-01`: year 0 is out of range
        raise yaml.constructor.ConstructorError(None, None, f"{node.value!r}: {exc}", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


_MERGE = "tag:yaml.org,2002:merge"
_SPECIAL_KEYS = (_MERGE, "tag:yaml.org,2002:value")


def _build(loader: _Loader, node: yaml.Node, built: dict[int, Any]) -> Any:
    """The document under `node`, as `construct_document` would build it with the constructors
    above, without its per-node dispatch (it was most of a reload's time at the documented maxima).

    Plain strings, lists and mappings are built here; anything else (a tagged node, an int, a date)
    goes through the loader's own constructors. Recursion is bounded: `_oversized` has already
    refused a document deeper than MAX_YAML_DEPTH, aliases followed."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    key = id(node)
    if key in built:  # an alias: the same object, as PyYAML's own construction gives
        done = built[key]
        if type(done) is BuildFailed:  # a list built entry by entry (config/entrywise.py)
            raise done.error
        return done
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        items = LineList()
        built[key] = items
        items.line = node.start_mark.line + 1
        items.extend(_build(loader, child, built) for child in node.value)
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items
    if kind is yaml.MappingNode and node.tag == _MAP:
        merged = 0
        if any(key_node.tag in _SPECIAL_KEYS for key_node, _ in node.value):
            own = sum(key_node.tag != _MERGE for key_node, _ in node.value)
            loader.flatten_mapping(node)  # `<<: *defaults`: the merged pairs first, then the mapping's own
            merged = len(node.value) - own
        mapping = LineDict()
        built[key] = mapping
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        own_names: set[Any] = set()
        for position, (key_node, value_node) in enumerate(node.value):
            if type(key_node) is not yaml.ScalarNode:  # `[a, b]: 1` would be an unhashable key
                raise yaml.constructor.ConstructorError(
                    None, None, "a list or mapping as a key; keys are names", key_node.start_mark
                )
            name = _build(loader, key_node, built)
            if position >= merged:  # a key of its own overrides a merged one, as YAML says; twice is a slip
                if name in own_names:
                    loader.duplicate_keys.append((key_node.start_mark.line + 1, str(name)))
                own_names.add(name)
            mapping[name] = _build(loader, value_node, built)
            mapping.key_lines[name] = key_node.start_mark.line + 1
        return mapping
    built[key] = loader.construct_object(node, deep=True)
    return built[key]


def schedule_files(paths: list[Path]) -> list[Path]:
    """A path is a file, or a directory whose `*.yaml`/`*.yml` files are read in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(_identity(file), file)
    return list(unique.values())


def _identity(file: Path) -> Path:
    """The file's real path, for de-duplication; a symlink loop or an unreadable link is its own
    name (reading it then reports the problem as `file:0`, never a traceback)."""
    try:
        return file.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python 3.11's "Symlink loop"
        return file.absolute()


def _unreadable(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "cannot read: no such file or directory (name the schedules with --config or HFWARDEN_CONFIG)"
    return f"cannot read: {exc.strerror or exc}"


def read_text(path: Path) -> str | Problem:
    """The file as text, or the problem with it. Never blocks: a FIFO or a device is refused
    before it is read, and no more than `MAX_FILE_BYTES` + 1 bytes are ever read."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return Problem(str(path), 0, _unreadable(exc))
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # before fdopen, which raises for a directory
        os.close(fd)
        return Problem(str(path), 0, "not a regular file (a FIFO, device or directory?); refused")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return Problem(str(path), 0, _unreadable(exc))
    if len(data) > MAX_FILE_BYTES:
        return Problem(str(path), 0, f"larger than {MAX_FILE_BYTES // 1024} KiB; refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(str(path), line, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column}")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _oversized(root: yaml.Node) -> str | None:
    """Why the document is too big once its aliases are expanded (or too deep), or None.

    Iterative and memoised by node, so a bomb is measured in time linear in its text."""
    sizes: dict[int, int] = {}
    limit = 10 * MAX_ALIAS_NODES + MAX_FILE_BYTES  # beyond any answer that matters; keeps sums small
    open_nodes: set[int] = set()
    scalars: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = min(limit, 1 + sum(sizes.get(id(c), 1) for c in _children(node)))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return "an alias refers to a node that contains it; refused"
        if depth > MAX_YAML_DEPTH:
            return f"nested deeper than {MAX_YAML_DEPTH} levels; refused"
        open_nodes.add(key)
        stack.append((node, depth, True))
        # Scalars (most nodes) count 1 each and need no visit of their own.
        for child in _children(node):
            if isinstance(child, yaml.ScalarNode):
                scalars.add(id(child))
            else:
                stack.append((child, depth + 1, False))
    distinct = len(sizes) + len(scalars) + isinstance(root, yaml.ScalarNode)
    if sizes.get(id(root), 1) - distinct > MAX_ALIAS_NODES:
        return f"its aliases expand to more than {MAX_ALIAS_NODES:,} extra YAML nodes; refused"
    return None


def read_yaml(path: Path, problems: list[Problem], budget: NodeBudget | None = None) -> Any:
    """The file's YAML document, with `line` on every mapping and list; None (and a problem) if
    it cannot be used. Its nodes are taken from `budget` (one config's files share one)."""
    text = read_text(path)
    if isinstance(text, Problem):
        problems.append(text)
        return None
    loader = _Loader(text, budget or NodeBudget())
    try:
        may_anchor = _MAY_ANCHOR.search(text) is not None
        built: dict[int, Any] = {}
        # Whole: an anchor serves any later node, aliases are measured; a small file's tree costs little.
        if may_anchor or len(text) < ENTRY_BY_ENTRY_FROM:
            node = loader.get_single_node()
        else:  # entry by entry, so the peak is one entry's nodes, not the file's
            node = single_document(loader, lambda part, seen: _build(loader, part, seen), built, LineList)
        if node is None:
            return None
        too_big = _oversized(node) if may_anchor else None
        if too_big is not None:
            problems.append(Problem(str(path), node.start_mark.line + 1, too_big))
            return None
        data = _build(loader, node, built)
    except _Refused as exc:
        problems.append(Problem(str(path), exc.line, str(exc)))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problems.append(Problem(str(path), line, f"not valid YAML: {exc.problem or exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(str(path), 0, f"not valid YAML: {exc}"))
        return None
    except RecursionError:
        # The composer recurses per level before `_oversized` can look.
        problems.append(Problem(str(path), 0, f"nested deeper than {MAX_YAML_DEPTH} levels; refused"))
        return None
    finally:
        loader.dispose()
    for line, key in sorted(loader.duplicate_keys, key=lambda found: found[0]):  # entries built first
        problems.append(Problem(str(path), line, f"key {key!r} appears twice in one mapping"))
    return data


def line_for(raw: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the innermost part of `loc` (a pydantic error location) present in the data."""
    node, line = raw, getattr(raw, "line", 1)
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, LineDict) and part in node and (last or isinstance(node[part], dict | list)):
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        # Anything else is a pydantic tag (`cron`, `window`, ...) not present in the data: skip it.
    return line


def context(raw: Any, loc: tuple[int | str, ...]) -> tuple[str | None, int | None]:
    """The endpoint (`ns/name`) and rule number an error location falls in, if any."""
    endpoint: str | None = None
    rule: int | None = None
    if len(loc) >= 2 and loc[0] == "endpoints" and isinstance(loc[1], int):
        try:
            item = raw["endpoints"][loc[1]]
            endpoint = f"{item.get('namespace', '?')}/{item.get('name', '?')}"
        except (KeyError, IndexError, TypeError, AttributeError):
            endpoint = f"#{loc[1] + 1}"
        if len(loc) >= 4 and loc[2] == "schedule" and isinstance(loc[3], int):
            rule = loc[3] + 1
    return endpoint, rule


def message(error: Any) -> str:
    """A pydantic error as one short phrase."""
    kind = error["type"]
    last = error["loc"][-1] if error["loc"] else None
    if kind == "extra_forbidden":
        return f"unknown key {last!r}"
    if kind == "missing":
        return f"missing key {last!r}"
    text = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(last, str) and kind not in ("value_error", "assertion_error"):
        text = f"{last}: {text}"
    return text
