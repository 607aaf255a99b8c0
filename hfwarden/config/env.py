"""`${VAR}` in `alerts:`, read from the environment when the file is loaded."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hfwarden.config.problems import Problem
from hfwarden.config.source import LineDict, LineList

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def placeholder(name: str) -> str:
    """What an unset variable reads as: it passes every alert field's check (a URL, a secret of at
    least 16 characters), so one unset variable is one problem, not one per check it then fails."""
    return f"https://unset.invalid/{name}"


@dataclass
class Expansion:
    """One file's `alerts:` expanded; `need_secrets=False` (validate, plan) lets a variable be unset."""

    file: str
    environ: Mapping[str, str]
    need_secrets: bool
    reported: set[str] = field(default_factory=set)  # unset names already reported, across files
    problems: list[Problem] = field(default_factory=list)

    def expand(self, node: Any, line: int = 0) -> Any:
        """`node` with every `${VAR}` replaced, in place for mappings and lists."""
        if isinstance(node, LineDict):
            for key in list(node):
                node[key] = self.expand(node[key], node.key_lines.get(key, node.line))
            return node
        if isinstance(node, LineList):
            for index, item in enumerate(node):
                node[index] = self.expand(item, node.item_lines[index])
            return node
        if isinstance(node, str):
            return self._string(node, line)
        return node

    def _string(self, text: str, line: int) -> str:
        if "${" in _REFERENCE.sub("", text):
            self.problems.append(Problem(self.file, line, "malformed ${...}: write ${NAME}"))
            return placeholder("malformed")

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if not _NAME.match(name):
                self.problems.append(
                    Problem(self.file, line, f"malformed ${{{name}}}: a variable name is [A-Za-z_][A-Za-z0-9_]*")
                )
                return placeholder("malformed")
            if name in self.environ:
                return self.environ[name]
            if self.need_secrets and name not in self.reported:
                self.reported.add(name)
                self.problems.append(Problem(self.file, line, f"environment variable {name} is not set"))
            return placeholder(name)

        return _REFERENCE.sub(value, text)
