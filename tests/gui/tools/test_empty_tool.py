"""New ▾ → Empty tool adds a tool without parameters (issue 16 #12)."""

from __future__ import annotations

from typing import Any

from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from tests.gui.tools.test_tools_panel import json_shown, make_panel

WAIT_MS = 20_000  # generous: a wait only costs time when it fails


def test_the_empty_tool_has_no_parameters(qtbot: Any) -> None:
    editor = ToolSetEditor(
        ToolSet(name="Set", tools=(new_entry("weather"),)),
        store=ToolSetFileStore(),
        autosave_delay_s=None,
    )
    panel = make_panel(qtbot, editor, runner=ChainRunner(ResponderFactory()))
    empty = next(a for a in panel.templates_menu.actions() if a.text() == "Empty tool")
    empty.trigger()
    qtbot.waitUntil(lambda: len(editor.toolset.tools) == 2, timeout=WAIT_MS)
    tool = editor.toolset.tools[1].tool
    assert tool.name == "new_tool"
    assert tool.parameters["properties"] == {}
    assert panel.form.parameters.tree.topLevelItemCount() == 0
    assert json_shown(panel)["parameters"]["properties"] == {}


def test_an_empty_tool_list_says_what_to_do_next(qtbot: Any) -> None:
    editor = ToolSetEditor(ToolSet(name="Set"), store=ToolSetFileStore(), autosave_delay_s=None)
    panel = make_panel(qtbot, editor, runner=ChainRunner(ResponderFactory()))
    hint = panel.tool_list.empty_label
    qtbot.waitUntil(hint.isVisible, timeout=WAIT_MS)
    assert hint.text().startswith("No tools yet.")
    assert "New ▾" in hint.text()
    next(a for a in panel.templates_menu.actions() if a.text() == "Empty tool").trigger()
    qtbot.waitUntil(lambda: not hint.isVisible(), timeout=WAIT_MS)
    panel.remove_tool()
    qtbot.waitUntil(hint.isVisible, timeout=WAIT_MS)
