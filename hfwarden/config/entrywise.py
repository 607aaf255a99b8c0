"""Composing a schedule file's top-level lists one entry at a time.

libyaml's composer (`get_single_node`) holds the node tree of the whole file (a ScalarNode or
MappingNode with two marks per node) until the document is built: +48 MB of RSS for the bench's
5,000-endpoint file. Here the top-level mapping is composed from libyaml's events, and each entry
of a list under it (`endpoints:`) is composed, built and dropped before the next: the peak is one
entry's tree. Used only for a file without anchors (`&name`), where no node can be referred to
later; a file with anchors keeps the whole-tree path, which also measures its aliases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent

_SEQ = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_MAP = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG

# Builds one node's data: `build(node, built)`, `built` mapping id(node) to data already built.
Build = Callable[[yaml.Node, dict[int, Any]], Any]


class BuildFailed:
    """An entry that could not be built, kept until the document is: whole-tree reading reports a
    syntax error later in the file, or a build error earlier in the document, before this one."""

    def __init__(self, error: yaml.YAMLError) -> None:
        self.error = error


def compose_node(loader: Any, parent: yaml.Node | None, index: Any) -> yaml.Node:
    """PyYAML's composer, with libyaml's message for an alias (here, never defined)."""
    if loader.check_event(AliasEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
    return yaml.composer.Composer.compose_node(loader, parent, index)  # type: ignore[return-value]


def single_document(loader: Any, build: Build, built: dict[int, Any], list_type: type[Any]) -> yaml.Node | None:
    """The file's one document as `get_single_node` composes it, its top-level lists already built
    into `built` (the placeholder node of each stands for its data)."""
    loader.get_event()  # STREAM-START
    document: yaml.Node | None = None
    if not loader.check_event(yaml.StreamEndEvent):
        loader.get_event()  # DOCUMENT-START
        if loader.check_event(MappingStartEvent):
            document = _top_mapping(loader, build, built, list_type)
        else:
            document = compose_node(loader, None, None)
        loader.get_event()  # DOCUMENT-END
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        first = document.start_mark if document is not None else None
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", first, "but found another document", event.start_mark
        )
    loader.get_event()
    return document


def _start(loader: Any, kind: Any, parent: yaml.Node | None, index: Any) -> yaml.Node:
    loader.descend_resolver(parent, index)
    event = loader.get_event()
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(kind, None, event.implicit)
    node: yaml.Node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
    return node


def _top_mapping(loader: Any, build: Build, built: dict[int, Any], list_type: type[Any]) -> yaml.Node:
    node = _start(loader, yaml.MappingNode, None, None)
    while not loader.check_event(MappingEndEvent):
        key = compose_node(loader, node, None)
        if node.tag == _MAP and loader.check_event(SequenceStartEvent):
            value = _entry_by_entry(loader, (node, key), build, built, list_type)
        else:
            value = compose_node(loader, node, key)
        node.value.append((key, value))
    node.end_mark = loader.get_event().end_mark
    loader.ascend_resolver()
    return node


def _entry_by_entry(
    loader: Any, where: tuple[yaml.Node, yaml.Node], build: Build, built: dict[int, Any], list_type: type[Any]
) -> yaml.Node:
    """The list's placeholder node; its data (a `list_type` with `line` and `item_lines`) in `built`."""
    node = _start(loader, yaml.SequenceNode, *where)
    items = list_type()
    items.line = node.start_mark.line + 1
    items.item_lines = []
    failed: BuildFailed | None = None
    position = 0
    while not loader.check_event(SequenceEndEvent):
        child = compose_node(loader, node, position)
        position += 1
        if node.tag != _SEQ:  # `!!set [...]` or a custom tag: built by the loader, whole
            node.value.append(child)
            continue
        if failed is None:
            try:  # a fresh `built`: ids of dropped nodes are reused, and no entry refers to another
                items.append(build(child, {}))
            except yaml.YAMLError as exc:
                failed = BuildFailed(exc)
        items.item_lines.append(child.start_mark.line + 1)
    node.end_mark = loader.get_event().end_mark
    loader.ascend_resolver()
    if node.tag == _SEQ:
        built[id(node)] = failed or items
    return node
