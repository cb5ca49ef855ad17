"""A small JSON path dialect for rules and webhook outputs.

Supported: ``$`` (root), ``.name``, ``['name']`` / ``["name"]``, ``[3]`` / ``[-1]``,
``[*]`` / ``.*`` (every child) and ``..name`` (at any depth). A path without a leading
``$`` is an argument name or dotted path: ``city``, ``address.city``, ``items[0].sku``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


class JsonPathError(ValueError):
    """The path text cannot be parsed; the message points at the offending position."""


@dataclass(frozen=True, slots=True)
class _Step:
    kind: str  # "key" | "index" | "wildcard" | "descend"
    key: str = ""
    index: int = 0


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path; :meth:`find` returns every value it selects."""

    text: str
    steps: tuple[_Step, ...]

    def find(self, document: Any) -> list[Any]:
        """All values selected in ``document`` (empty when nothing matches)."""
        current = [document]
        for step in self.steps:
            current = [found for value in current for found in _apply(step, value)]
        return current


def _apply(step: _Step, value: Any) -> list[Any]:
    if step.kind == "key":
        return [value[step.key]] if isinstance(value, dict) and step.key in value else []
    if step.kind == "index":
        if isinstance(value, list) and -len(value) <= step.index < len(value):
            return [value[step.index]]
        return []
    if step.kind == "wildcard":
        if isinstance(value, dict):
            return list(value.values())
        return list(value) if isinstance(value, list) else []
    # descend: the named key at any depth, depth-first in document order.
    found: list[Any] = []
    stack = [value]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            if step.key in node:
                found.append(node[step.key])
            stack[0:0] = list(node.values())
        elif isinstance(node, list):
            stack[0:0] = list(node)
    return found


def parse_json_path(text: str) -> JsonPath:
    """Parse ``text``.

    Raises:
        JsonPathError: with the position and what was expected.
    """
    source = text.strip()
    if not source:
        raise JsonPathError("empty path")
    if source.startswith("$"):
        position = 1
    else:
        source = "$." + source if not source.startswith("[") else "$" + source
        position = 1
    steps: list[_Step] = []
    while position < len(source):
        char = source[position]
        if source.startswith("..", position):
            match = _NAME.match(source, position + 2)
            if not match:
                raise JsonPathError(f"{text!r}: expected a name after '..' at position {position}")
            steps.append(_Step("descend", key=match.group()))
            position = match.end()
        elif char == ".":
            if source.startswith(".*", position):
                steps.append(_Step("wildcard"))
                position += 2
                continue
            match = _NAME.match(source, position + 1)
            if not match:
                raise JsonPathError(f"{text!r}: expected a name after '.' at position {position}")
            steps.append(_Step("key", key=match.group()))
            position = match.end()
        elif char == "[":
            end = source.find("]", position)
            if end < 0:
                raise JsonPathError(f"{text!r}: '[' at position {position} is never closed")
            inner = source[position + 1 : end].strip()
            position = end + 1
            if inner == "*":
                steps.append(_Step("wildcard"))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(_Step("key", key=inner[1:-1]))
            elif re.fullmatch(r"-?\d+", inner):
                steps.append(_Step("index", index=int(inner)))
            else:
                raise JsonPathError(f"{text!r}: [{inner}] is not an index, '*' or a quoted name")
        else:
            raise JsonPathError(f"{text!r}: unexpected {char!r} at position {position}")
    return JsonPath(text=text, steps=tuple(steps))
