"""Lint locations (``tools[0].parameters.properties.city.enum[1]``) as places in the editor."""

from __future__ import annotations

import re
from dataclasses import dataclass

# One token of a lint location: ".name", "[3]" or "['odd key']".
_LOCATION_TOKEN = re.compile(
    r"\.?(?P<name>[A-Za-z_$][A-Za-z0-9_$\-]*)|\[(?P<index>-?\d+)\]|\[(?P<quoted>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]"
)
_TOOL_PREFIX = re.compile(r"^tools\[\d+\]\.?")
# Sections of a tool the editor shows as their own field; anything else goes to the name.
_TOOL_FIELDS = ("name", "description", "notes", "parameters", "responders")


def location_tokens(location: str) -> list[str | int]:
    """Split a lint location (``tools[0].parameters.properties.city.enum[1]``) into keys."""
    tokens: list[str | int] = []
    position = 0
    while position < len(location):
        match = _LOCATION_TOKEN.match(location, position)
        if match is None or match.end() == position:
            break
        if match.group("name") is not None:
            tokens.append(match.group("name"))
        elif match.group("index") is not None:
            tokens.append(int(match.group("index")))
        else:
            tokens.append(match.group("quoted")[1:-1])
        position = match.end()
    return tokens


def within_tool(location: str) -> str:
    """The part of ``location`` inside its tool (``parameters.x``), or "tool" for the tool itself."""
    return _TOOL_PREFIX.sub("", location) or "tool"


@dataclass(frozen=True)
class EditorTarget:
    """Where a lint location points in the tool editor.

    Attributes:
        tool: index of the tool.
        section: "name", "description", "notes", "parameters" or "responders".
        step: the responder step (section "responders"), if the location names one.
        parameter: schema path of the parameter (``("properties", "city")``); empty for
            the parameters as a whole.
        field: the parameter's field ("enum", "default", "description", "type",
            "required", …) or None for its name.
    """

    tool: int
    section: str
    step: int | None = None
    parameter: tuple[str, ...] = ()
    field: str | None = None


def editor_target(location: str) -> EditorTarget | None:
    """The tool and field ``location`` points at; None when it names no tool."""
    tokens = location_tokens(location)
    if len(tokens) < 2 or tokens[0] != "tools" or not isinstance(tokens[1], int):
        return None
    tool = tokens[1]
    rest = tokens[2:]
    head = rest[0] if rest else "name"
    if head == "responders":
        step = rest[2] if len(rest) >= 3 and rest[1] == "steps" else None
        return EditorTarget(tool, "responders", step=step if isinstance(step, int) else None)
    if head == "parameters":
        parameter, field = _parameter_path(rest[1:])
        return EditorTarget(tool, "parameters", parameter=parameter, field=field)
    return EditorTarget(tool, head if head in _TOOL_FIELDS else "name")


def _parameter_path(tokens: list[str | int]) -> tuple[tuple[str, ...], str | None]:
    path: list[str] = []
    field: str | None = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if (
            token == "properties"
            and position + 1 < len(tokens)
            and isinstance(tokens[position + 1], str)
        ):
            path.extend(["properties", str(tokens[position + 1])])
            position += 2
        elif token == "items":
            path.append("items")
            position += 1
        else:
            field = token if isinstance(token, str) else None
            break
    return tuple(path), field


__all__ = ["EditorTarget", "editor_target", "location_tokens", "within_tool"]
