"""Import and export of tool definitions in the formats people paste around.

Formats:

* ``realtime`` — the flat NavTalk/OpenAI Realtime array, exactly what
  ``realtime.input_function_call`` carries (a captured ``input_function_call`` or
  ``input_config`` frame is accepted too).
* ``chat_completions`` — OpenAI Chat Completions ``{"type": "function", "function": {…}}``.
* ``mcp`` — MCP tool definitions (``inputSchema``), bare or as a ``tools/list`` result.
* ``web_sdk`` — the NavTalk web SDK's ``function-calls`` attribute
  (``function_call_name`` / ``function_call_description`` / ``function_call_parameters``).
* ``toolset`` — our own file, including responders.

Import detects the format; both directions report everything a format cannot carry.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from navtalk_desktop.core.json_reader import ConfigError, json_type
from navtalk_desktop.core.responders.config import ResponderChain
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import (
    ToolEntry,
    ToolSet,
    looks_like_toolset,
    toolset_from_json,
    toolset_to_json,
)


class ToolFormat(StrEnum):
    """A tools notation."""

    REALTIME = "realtime"
    CHAT_COMPLETIONS = "chat_completions"
    MCP = "mcp"
    WEB_SDK = "web_sdk"
    TOOLSET = "toolset"

    @property
    def label(self) -> str:
        """Human name for menus."""
        return _LABELS[self]


_LABELS = {
    ToolFormat.REALTIME: "NavTalk / OpenAI Realtime tools array",
    ToolFormat.CHAT_COMPLETIONS: "OpenAI Chat Completions tools",
    ToolFormat.MCP: "MCP tool definitions",
    ToolFormat.WEB_SDK: "NavTalk web SDK function-calls",
    ToolFormat.TOOLSET: "NavTalk Desktop tool set",
}

_EMPTY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True)
class Dropped:
    """Something a conversion could not carry.

    Attributes:
        location: where it was (``tools[1].function.strict``).
        detail: what was dropped and why.
    """

    location: str
    detail: str

    def __str__(self) -> str:
        return f"{self.location}: {self.detail}" if self.location else self.detail


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import produced.

    Attributes:
        format: the detected (or forced) format.
        entries: imported tools; responders come along only from tool set files (the
            others get the manual-only chain).
        dropped: everything that was ignored, with locations.
        toolset: the whole document when the source was a tool set file.
    """

    format: ToolFormat
    entries: tuple[ToolEntry, ...]
    dropped: tuple[Dropped, ...] = ()
    toolset: ToolSet | None = None

    @property
    def tools(self) -> list[ToolDefinition]:
        """Just the definitions."""
        return [entry.tool for entry in self.entries]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export produced: the JSON value, its text, and what it left out."""

    format: ToolFormat
    data: Any
    dropped: tuple[Dropped, ...] = field(default=())

    @property
    def text(self) -> str:
        """Pretty JSON, as written to files and the clipboard."""
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ detection


def parse_json_text(text: str) -> Any:
    """Parse pasted or loaded text, turning syntax errors into located messages.

    Raises:
        ConfigError: with line and column of the syntax error.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _unwrap(data: Any) -> tuple[Any, str]:
    """Peel known envelopes off; returns the tools value and the location prefix."""
    if isinstance(data, dict):
        frame_type = data.get("type")
        if frame_type in ("realtime.input_function_call", "realtime.input_config"):
            payload = data.get("data")
            content = payload.get("content") if isinstance(payload, dict) else None
            if isinstance(content, str):
                content = parse_json_text(content)
            if frame_type == "realtime.input_config":
                tools = content.get("tools", []) if isinstance(content, dict) else None
                return tools, "data.content.tools"
            return content, "data.content"
        if isinstance(data.get("result"), dict) and "tools" in data["result"]:
            return data["result"]["tools"], "result.tools"
        if "tools" in data and not looks_like_toolset(data):
            return data["tools"], "tools"
    return data, ""


def _item_format(item: Any) -> ToolFormat | None:
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("function"), dict):
        return ToolFormat.CHAT_COMPLETIONS
    if "function_call_name" in item:
        return ToolFormat.WEB_SDK
    if "inputSchema" in item:
        return ToolFormat.MCP
    if "name" in item or isinstance(item.get("type"), str):
        return ToolFormat.REALTIME
    return None


def detect_format(data: Any) -> ToolFormat:
    """Which format ``data`` (parsed JSON) is in.

    Raises:
        ConfigError: not a tools document, or items in different formats.
    """
    if looks_like_toolset(data):
        return ToolFormat.TOOLSET
    tools, prefix = _unwrap(data)
    items = tools if isinstance(tools, list) else [tools]
    formats: list[ToolFormat] = []
    for index, item in enumerate(items):
        found = _item_format(item)
        location = _loc(prefix, index) if isinstance(tools, list) else prefix
        if found is None:
            raise ConfigError(
                location,
                f"not a tool definition ({json_type(item)} without a name, function, "
                "inputSchema or function_call_name)",
            )
        formats.append(found)
    if not formats:
        return ToolFormat.REALTIME
    first = formats[0]
    for index, found in enumerate(formats):
        if found is not first:
            raise ConfigError(
                _loc(prefix, index),
                f"looks like {found.label} but the first tool looks like {first.label}; "
                "import one format at a time",
            )
    return first


def _loc(prefix: str, index: int) -> str:
    return f"{prefix}[{index}]" if prefix else f"[{index}]"


# ------------------------------------------------------------------ import


def import_tools(source: str | Any, fmt: ToolFormat | None = None) -> ImportResult:
    """Read tools from JSON text or parsed JSON.

    Args:
        source: file contents / clipboard text, or an already parsed value.
        fmt: force a format; ``None`` detects it.

    Raises:
        ConfigError: invalid JSON or a document that is not tools, with its location.
    """
    data = parse_json_text(source) if isinstance(source, str) else source
    detected = detect_format(data) if fmt is None else fmt
    if detected is ToolFormat.TOOLSET:
        toolset = toolset_from_json(data)
        return ImportResult(detected, toolset.tools, (), toolset)
    tools, prefix = _unwrap(data)
    items = tools if isinstance(tools, list) else [tools]
    reader = _IMPORTERS[detected]
    entries: list[ToolEntry] = []
    dropped: list[Dropped] = []
    for index, item in enumerate(items):
        location = _loc(prefix, index) if isinstance(tools, list) else prefix
        if not isinstance(item, dict):
            raise ConfigError(location, f"expected a tool object, got {json_type(item)}")
        tool = reader(item, location, dropped)
        if tool is not None:
            entries.append(ToolEntry(tool=tool, chain=ResponderChain.manual_only()))
    return ImportResult(detected, tuple(entries), tuple(dropped))


def _name(item: dict[str, Any], key: str, location: str) -> str:
    name = item.get(key)
    if not isinstance(name, str):
        raise ConfigError(
            f"{location}.{key}", f"expected the tool name as a string, got {json_type(name)}"
        )
    return name


def _description(item: dict[str, Any], key: str, location: str, dropped: list[Dropped]) -> str:
    description = item.get(key, "")
    if description is None:
        return ""
    if not isinstance(description, str):
        dropped.append(
            Dropped(
                f"{location}.{key}", f"{json_type(description)} is not a description; left empty"
            )
        )
        return ""
    return description


def _schema(value: Any, location: str, dropped: list[Dropped]) -> dict[str, Any]:
    if value is None:
        return copy.deepcopy(_EMPTY_OBJECT)
    if not isinstance(value, dict):
        raise ConfigError(location, f"expected a JSON Schema object, got {json_type(value)}")
    return copy.deepcopy(value)


def _drop_extra(
    item: dict[str, Any], known: set[str], location: str, dropped: list[Dropped], why: str
) -> None:
    for key in item:
        if key not in known:
            dropped.append(Dropped(f"{location}.{key}", why))


def _import_realtime(
    item: dict[str, Any], location: str, dropped: list[Dropped]
) -> ToolDefinition | None:
    kind = item.get("type", "function")
    if kind != "function":
        dropped.append(Dropped(location, f"tool type {kind!r} is not a function tool; skipped"))
        return None
    _drop_extra(
        item,
        {"type", "name", "description", "parameters"},
        location,
        dropped,
        "not a Realtime function field",
    )
    return _definition(item, location, dropped, schema_key="parameters")


def _definition(
    fields: dict[str, Any], location: str, dropped: list[Dropped], *, schema_key: str
) -> ToolDefinition:
    """A definition from ``name``/``description`` and the schema under ``schema_key``."""
    return ToolDefinition(
        name=_name(fields, "name", location),
        description=_description(fields, "description", location, dropped),
        parameters=_schema(fields.get(schema_key), f"{location}.{schema_key}", dropped),
    )


def _import_chat(
    item: dict[str, Any], location: str, dropped: list[Dropped]
) -> ToolDefinition | None:
    kind = item.get("type", "function")
    if kind != "function":
        dropped.append(Dropped(location, f"tool type {kind!r} is not a function tool; skipped"))
        return None
    _drop_extra(item, {"type", "function"}, location, dropped, "not a Chat Completions tool field")
    function = item["function"]
    at = f"{location}.function"
    if "strict" in function:
        dropped.append(Dropped(f"{at}.strict", "Realtime tools have no strict mode"))
    _drop_extra(
        {k: v for k, v in function.items() if k != "strict"},
        {"name", "description", "parameters"},
        at,
        dropped,
        "not a Chat Completions function field",
    )
    return _definition(function, at, dropped, schema_key="parameters")


_MCP_DROP_REASONS = {
    "title": "MCP display title has no Realtime equivalent",
    "outputSchema": "Realtime tools declare no output schema",
    "annotations": "MCP annotations (hints) have no Realtime equivalent",
    "_meta": "MCP metadata has no Realtime equivalent",
    "icons": "MCP icons have no Realtime equivalent",
}


def _import_mcp(
    item: dict[str, Any], location: str, dropped: list[Dropped]
) -> ToolDefinition | None:
    for key in item:
        if key not in {"name", "description", "inputSchema"}:
            dropped.append(
                Dropped(f"{location}.{key}", _MCP_DROP_REASONS.get(key, "not an MCP tool field"))
            )
    return _definition(item, location, dropped, schema_key="inputSchema")


def _import_web_sdk(
    item: dict[str, Any], location: str, dropped: list[Dropped]
) -> ToolDefinition | None:
    _drop_extra(
        item,
        {"function_call_name", "function_call_description", "function_call_parameters"},
        location,
        dropped,
        "not a web SDK function-call field",
    )
    raw = item.get("function_call_parameters") or {}
    at = f"{location}.function_call_parameters"
    if not isinstance(raw, dict):
        raise ConfigError(at, f"expected an object, got {json_type(raw)}")
    # The SDK itself builds {"type": "object", properties, required} from these two keys
    # only (WebSocketManager.uploadFunctionCall), so that is what the server sees.
    for key in raw:
        if key not in {"type", "properties", "required"}:
            dropped.append(
                Dropped(f"{at}.{key}", "the web SDK forwards only properties and required")
            )
    parameters = {
        "type": "object",
        "properties": copy.deepcopy(raw.get("properties") or {}),
        "required": copy.deepcopy(raw.get("required") or []),
    }
    return ToolDefinition(
        name=_name(item, "function_call_name", location),
        description=_description(item, "function_call_description", location, dropped),
        parameters=parameters,
    )


_IMPORTERS = {
    ToolFormat.REALTIME: _import_realtime,
    ToolFormat.CHAT_COMPLETIONS: _import_chat,
    ToolFormat.MCP: _import_mcp,
    ToolFormat.WEB_SDK: _import_web_sdk,
}


# ------------------------------------------------------------------ export


def export_tools(
    tools: Sequence[ToolEntry | ToolDefinition] | ToolSet, fmt: ToolFormat
) -> ExportResult:
    """Write tools in ``fmt``.

    Args:
        tools: entries, bare definitions, or a whole tool set (needed for ``toolset``
            to keep its name and variables).
        fmt: target format.

    Returns:
        The JSON value plus what the format could not carry (responders, schema keys the
        web SDK does not forward, disabled flags).
    """
    if isinstance(tools, ToolSet):
        toolset = tools
        entries = list(tools.tools)
    else:
        entries = [t if isinstance(t, ToolEntry) else ToolEntry(tool=t) for t in tools]
        toolset = ToolSet(tools=tuple(entries))
    if fmt is ToolFormat.TOOLSET:
        return ExportResult(fmt, toolset_to_json(toolset))
    dropped: list[Dropped] = []
    values: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        location = f"tools[{index}]"
        if entry.chain != ResponderChain.manual_only():
            dropped.append(
                Dropped(location, f"responders of {entry.name!r} are not part of this format")
            )
        if not entry.enabled:
            dropped.append(
                Dropped(location, f"{entry.name!r} is disabled; exported anyway without the flag")
            )
        if entry.notes:
            dropped.append(
                Dropped(location, f"notes of {entry.name!r} are not part of this format")
            )
        values.append(_export_one(entry.tool, fmt, location, dropped))
    data: Any = {"tools": values} if fmt is ToolFormat.MCP else values
    return ExportResult(fmt, data, tuple(dropped))


def _export_one(
    tool: ToolDefinition, fmt: ToolFormat, location: str, dropped: list[Dropped]
) -> dict[str, Any]:
    parameters = copy.deepcopy(tool.parameters)
    match fmt:
        case ToolFormat.REALTIME:
            return tool.copy().to_realtime()
        case ToolFormat.CHAT_COMPLETIONS:
            return {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": parameters,
                },
            }
        case ToolFormat.MCP:
            return {"name": tool.name, "description": tool.description, "inputSchema": parameters}
        case ToolFormat.WEB_SDK:
            for key in parameters:
                if key not in {"type", "properties", "required"}:
                    dropped.append(
                        Dropped(
                            f"{location}.parameters.{key}",
                            "the web SDK forwards only properties and required",
                        )
                    )
            if parameters.get("type", "object") != "object":
                dropped.append(
                    Dropped(f"{location}.parameters.type", "the web SDK always sends type object")
                )
            return {
                "function_call_name": tool.name,
                "function_call_description": tool.description,
                "function_call_parameters": {
                    "properties": parameters.get("properties", {}),
                    "required": parameters.get("required", []),
                },
            }
        case ToolFormat.TOOLSET:  # pragma: no cover - handled by the caller
            raise AssertionError(fmt)
    raise AssertionError(fmt)  # pragma: no cover
