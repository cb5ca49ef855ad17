"""Tool sets: the tools of one project, each with its responder chain, plus variables and metadata.

A tool set is an immutable value; the editor (:mod:`.toolset_editor`) produces new ones.
Its file form is readable JSON with a format marker and a schema version::

    {"format": "navtalk-desktop.toolset", "schema_version": 1, "name": "…",
     "variables": {"weather_url": "http://127.0.0.1:8080"},
     "tools": [{"name": "…", "description": "…", "parameters": {…},
                "responders": {"steps": [{"kind": "static", "output": "…"}]}}]}
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.json_reader import ConfigError, JsonReader, json_type
from navtalk_desktop.core.responders.config import (
    ResponderChain,
    chain_from_json,
    chain_to_json,
)
from navtalk_desktop.core.tools.definition import ToolDefinition

FORMAT_MARKER = "navtalk-desktop.toolset"
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """One tool of a set: its definition, how calls are answered, and notes.

    Attributes:
        tool: what the model sees.
        chain: responders tried in order for each call.
        enabled: disabled tools are kept in the file but not registered.
        notes: free text for the team (never sent).
    """

    tool: ToolDefinition
    chain: ResponderChain = field(default_factory=ResponderChain.manual_only)
    enabled: bool = True
    notes: str = ""

    @property
    def name(self) -> str:
        """The tool's function name."""
        return self.tool.name

    def replace(self, **changes: Any) -> ToolEntry:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ToolSet:
    """An ordered collection of tools with their responders.

    Attributes:
        name: shown in the UI and in file pickers.
        description: what the set is for.
        tools: the entries, in registration order.
        variables: values templates can use as ``vars.NAME`` (service URLs, paths…).
        metadata: free JSON kept as is (author, created…).
        tests: test suite files (``*.navtests.json``) for this set, relative to its file;
            written only when there are some, so older files read and write unchanged.
    """

    name: str = "Untitled tool set"
    description: str = ""
    tools: tuple[ToolEntry, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    tests: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[ToolEntry]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def definitions(self) -> list[ToolDefinition]:
        """The enabled tools, as registered with the server."""
        return [entry.tool for entry in self.tools if entry.enabled]

    def find(self, name: str) -> ToolEntry | None:
        """The first entry named ``name`` (enabled or not), or ``None``."""
        for entry in self.tools:
            if entry.name == name:
                return entry
        return None

    def index_of(self, name: str) -> int:
        """Position of the first entry named ``name``, or -1."""
        for index, entry in enumerate(self.tools):
            if entry.name == name:
                return index
        return -1

    def chains(self) -> dict[str, ResponderChain]:
        """Responder chain per enabled tool name (first entry wins on duplicates)."""
        chains: dict[str, ResponderChain] = {}
        for entry in self.tools:
            if entry.enabled:
                chains.setdefault(entry.name, entry.chain)
        return chains

    def replace(self, **changes: Any) -> ToolSet:
        """A copy with some fields replaced (``tools`` may be any sequence)."""
        if "tools" in changes:
            changes["tools"] = tuple(changes["tools"])
        return dataclasses.replace(self, **changes)

    def with_variables(self, **values: str) -> ToolSet:
        """A copy with some variables set (e.g. the ports example services started on)."""
        return self.replace(variables={**self.variables, **values})


# ------------------------------------------------------------------ file form


def toolset_to_json(toolset: ToolSet) -> dict[str, Any]:
    """The JSON document stored in a tool set file."""
    data: dict[str, Any] = {
        "format": FORMAT_MARKER,
        "schema_version": SCHEMA_VERSION,
        "name": toolset.name,
        "description": toolset.description,
        "variables": dict(toolset.variables),
        "metadata": copy.deepcopy(dict(toolset.metadata)),
        "tools": [entry_to_json(entry) for entry in toolset.tools],
    }
    if toolset.tests:
        data["tests"] = list(toolset.tests)
    return data


def entry_to_json(entry: ToolEntry) -> dict[str, Any]:
    """One tool's file form: the Realtime fields plus responders, flags and notes."""
    data: dict[str, Any] = {
        "name": entry.tool.name,
        "description": entry.tool.description,
        "parameters": copy.deepcopy(entry.tool.parameters),
        "responders": chain_to_json(entry.chain),
    }
    if not entry.enabled:
        data["enabled"] = False
    if entry.notes:
        data["notes"] = entry.notes
    return data


def looks_like_toolset(data: object) -> bool:
    """Whether ``data`` is a tool set document (as opposed to a bare tools array)."""
    return isinstance(data, dict) and data.get("format") == FORMAT_MARKER


def toolset_from_json(data: object) -> ToolSet:
    """Parse a tool set document.

    The tool parameters are taken as they are (linting judges them); everything the
    app itself needs to work (names, responder settings) is checked here.

    Raises:
        ConfigError: a malformed document, with the location of the first problem and
            a hint when the file is a different format (a bare tools array, a newer version).
    """
    if isinstance(data, list):
        raise ConfigError(
            "",
            "this is a bare tools array, not a tool set file; use Import to read it "
            "(formats: Realtime, Chat Completions, MCP, NavTalk web SDK)",
        )
    reader = JsonReader(data, "")
    marker = reader.data.get("format")
    if marker != FORMAT_MARKER:
        raise ConfigError(
            "format",
            f"expected {FORMAT_MARKER!r}, got {marker!r}; "
            "if this is a tools array from another tool, use Import",
        )
    version = reader.data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError("schema_version", f"expected an integer, got {json_type(version)}")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            "schema_version",
            f"this file was written by a newer NavTalk Desktop (schema {version}; this "
            f"version reads up to {SCHEMA_VERSION}); update the app to open it",
        )
    if version < 1:
        raise ConfigError("schema_version", f"unknown schema version {version}")
    metadata = reader.data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ConfigError("metadata", f"expected an object, got {json_type(metadata)}")
    entries = tuple(
        entry_from_json(item, f"tools[{index}]") for index, item in enumerate(reader.list("tools"))
    )
    tests = reader.list("tests")
    for index, item in enumerate(tests):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"tests[{index}]", "expected the path of a test suite file")
    return ToolSet(
        name=reader.string("name", "Untitled tool set"),
        description=reader.string("description", ""),
        tools=entries,
        variables=reader.string_map("variables"),
        metadata=copy.deepcopy(metadata),
        tests=tuple(tests),
    )


def entry_from_json(data: object, location: str) -> ToolEntry:
    """Parse one tool entry of a tool set document."""
    reader = JsonReader(data, location)
    parameters = reader.data.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict):
        raise ConfigError(
            reader.at("parameters"), f"expected an object, got {json_type(parameters)}"
        )
    responders = reader.data.get("responders")
    chain = (
        ResponderChain.manual_only()
        if responders is None
        else chain_from_json(responders, reader.at("responders"))
    )
    return ToolEntry(
        tool=ToolDefinition(
            name=reader.string("name"),
            description=reader.string("description", ""),
            parameters=copy.deepcopy(parameters),
        ),
        chain=chain,
        enabled=reader.boolean("enabled", True),
        notes=reader.string("notes", ""),
    )
