"""``navtalk-desktop --tools FILE --connect``: every format ``respond`` reads, and never other tools."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from navtalk_desktop import app as app_module
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]

# The seed's own tool file: a bare NavTalk / OpenAI Realtime tools array.
BARE_ARRAY = [
    {
        "type": "function",
        "name": "lookup_order",
        "description": "Find an order by its number.",
        "parameters": {
            "type": "object",
            "properties": {"order": {"type": "string"}},
            "required": ["order"],
        },
    },
    {
        "type": "function",
        "name": "cancel_order",
        "description": "Cancel an order.",
        "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
    },
]


def _registered(workbench: app_module.Workbench) -> list[list[str]]:
    """Tool names the simulator registered, per registration it logged."""
    simulator = workbench.simulator
    if simulator is None:
        return []
    return [
        list(entry.frame["tools"])
        for entry in simulator.session_log.entries
        if entry.direction == "note" and entry.type == "tools.registered"
    ]


def _messages(workbench: app_module.Workbench) -> list[tuple[str, str]]:
    return [(n.level, n.message) for n in workbench.window.notifications.history]


def test_a_bare_tools_array_opens_and_connect_registers_exactly_those_tools(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = tmp_path / "seed_tools.json"
    tools.write_text(json.dumps(BARE_ARRAY), encoding="utf-8")
    workbench = workbench_factory("--tools", str(tools), "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=15_000)
    qtbot.waitUntil(lambda: bool(_registered(workbench)), timeout=10_000)

    # What the server received is the file's tools, nothing else.
    assert _registered(workbench)[-1] == ["lookup_order", "cancel_order"]
    assert [t.name for t in workbench.editor.toolset.tools] == ["lookup_order", "cancel_order"]
    notes = _messages(workbench)
    assert any(
        level == "info"
        and "Imported 2 tools from seed_tools.json" in text
        and "Realtime tools array" in text
        for level, text in notes
    ), notes
    assert not any(level == "error" for level, _ in notes), notes
    # Saving asks for a new name: the array file is never overwritten with a tool set.
    assert workbench.editor.path is None
    assert json.loads(tools.read_text(encoding="utf-8")) == BARE_ARRAY


def test_a_tool_file_that_cannot_be_opened_does_not_connect_and_says_why(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path, caplog: Any
) -> None:
    broken = tmp_path / "broken_tools.json"
    broken.write_text('[{"type": "function", "name": ', encoding="utf-8")
    workbench = workbench_factory("--tools", str(broken), "--connect")
    # The app is up, its simulator too; the start-up notices are out.
    qtbot.waitUntil(lambda: workbench.simulator is not None, timeout=15_000)
    qtbot.waitUntil(
        lambda: any("Not connecting" in text for _, text in _messages(workbench)), timeout=10_000
    )

    assert workbench.bridge.state == "idle"
    assert not workbench.bridge.is_active
    assert _registered(workbench) == []
    errors = [text for level, text in _messages(workbench) if level == "error"]
    assert any("Could not open the tool set" in t and "broken_tools.json" in t for t in errors)
    assert any(
        r.levelname == "ERROR" and "Not connecting at start-up" in r.getMessage()
        for r in caplog.records
    )
