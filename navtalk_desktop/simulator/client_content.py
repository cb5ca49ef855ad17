"""Reading what clients send in config and history frames: tools, content, message text."""

from __future__ import annotations

import json
from typing import Any

from navtalk_desktop.core.tools.definition import ToolDefinition


def parse_tools(value: object) -> tuple[list[ToolDefinition], list[str]]:
    """Tools from an OpenAI tools array (flat or Chat-Completions ``function`` nesting).

    Returns:
        The valid tools and a description of every entry that was skipped.
    """
    if not isinstance(value, list):
        return [], [f"tools must be a list, not {type(value).__name__}"]
    tools: list[ToolDefinition] = []
    problems: list[str] = []
    for index, entry in enumerate(value):
        if isinstance(entry, dict) and isinstance(entry.get("function"), dict):
            entry = entry["function"]
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(name, str) or not name:
            problems.append(f"tools[{index}] has no name")
            continue
        parameters = entry.get("parameters")
        description = entry.get("description")
        tools.append(
            ToolDefinition(
                name=name,
                description=description if isinstance(description, str) else "",
                parameters=parameters if isinstance(parameters, dict) else {"type": "object"},
            )
        )
    return tools, problems


def decode_content(content: object) -> object:
    """``data.content`` is a JSON string per the docs; tolerate an already-decoded value."""
    if isinstance(content, str):
        try:
            return json.loads(content)
        except (ValueError, RecursionError):
            return None
    return content


def message_text(item: dict[str, Any]) -> str:
    parts = item.get("content")
    if isinstance(parts, str):
        return parts
    texts: list[str] = []
    if isinstance(parts, list):
        for part in parts:
            if isinstance(part, dict):
                text = part.get("text", part.get("transcript"))
                if isinstance(text, str):
                    texts.append(text)
    return " ".join(texts)
