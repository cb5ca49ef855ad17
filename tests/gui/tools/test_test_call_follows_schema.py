"""Responders → Test call: the arguments follow the tool's parameters live, as a form or JSON."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import empty_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.tools_panel import TAB_RESPONDERS, ToolsPanel

WAIT_MS = 20_000
QUERY_ONLY = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
RENAMED = {
    "type": "object",
    "properties": {
        "question": {"type": "string"},
        "days": {"type": "integer", "default": 3},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "urgent": {"type": "boolean"},
    },
    "required": ["question"],
}


def make_panel(qtbot: Any) -> tuple[ToolsPanel, ToolSetEditor]:
    # The empty tool has no parameters any more; give it the one the old template had.
    entry = empty_entry(())
    entry = entry.replace(tool=entry.tool.with_parameters(QUERY_ONLY))
    toolset = ToolSet(name="Set", tools=(entry,))
    editor = ToolSetEditor(toolset, store=ToolSetFileStore(), autosave_delay_s=None)
    panel = ToolsPanel(
        editor, TaskRunner(), files=ToolSetFileStore(), runner=ChainRunner(ResponderFactory())
    )
    qtbot.addWidget(panel)
    panel.resize(900, 800)
    with qtbot.waitExposed(panel, timeout=WAIT_MS):
        panel.show()
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    return panel, editor


def rename_parameters(editor: ToolSetEditor, schema: dict[str, Any]) -> None:
    entry = editor.toolset.tools[0]
    editor.update_tool(0, entry.replace(tool=entry.tool.with_parameters(schema)), label="edit")


def arguments(panel: ToolsPanel) -> Any:
    return json.loads(panel.test_box.arguments_text())


def test_untouched_arguments_follow_a_renamed_parameter(qtbot: Any) -> None:
    panel, editor = make_panel(qtbot)
    box = panel.test_box
    assert set(arguments(panel)) == {"query"}
    rename_parameters(editor, RENAMED)
    qtbot.waitUntil(lambda: set(arguments(panel)) == set(RENAMED["properties"]), timeout=WAIT_MS)
    assert arguments(panel)["days"] == 3
    assert "follows the parameters" in box.source_label.text()
    # The form has one field of the right kind per parameter.
    fields = box.form.fields
    assert isinstance(fields["question"], QLineEdit)
    assert isinstance(fields["days"], QSpinBox)
    assert isinstance(fields["unit"], QComboBox)
    assert isinstance(fields["urgent"], QCheckBox)
    assert fields["days"].value() == 3


def test_typed_arguments_are_kept_and_the_change_is_shown(qtbot: Any) -> None:
    panel, editor = make_panel(qtbot)
    box = panel.test_box
    rename_parameters(editor, {**RENAMED, "properties": {"question": {"type": "string"}}})
    qtbot.waitUntil(lambda: set(arguments(panel)) == {"question"}, timeout=WAIT_MS)
    # Typed in the form: the JSON follows.
    field = box.form.fields["question"]
    assert isinstance(field, QLineEdit)
    field.clear()
    qtbot.keyClicks(field, "Will it rain?")
    qtbot.waitUntil(lambda: arguments(panel) == {"question": "Will it rain?"}, timeout=WAIT_MS)
    assert box.hand_edited
    # Another parameter added, and query-like extra removed: the typed value stays.
    rename_parameters(editor, RENAMED)
    qtbot.waitUntil(lambda: set(arguments(panel)) == set(RENAMED["properties"]), timeout=WAIT_MS)
    assert arguments(panel)["question"] == "Will it rain?"
    assert "added days, unit, urgent" in box.source_label.text()
    # JSON edits show in the form.
    box.views.setCurrentIndex(1)
    box.arguments.set_text(json.dumps({**arguments(panel), "days": 5}))
    qtbot.waitUntil(lambda: box.form.fields["days"].value() == 5, timeout=WAIT_MS)  # type: ignore[attr-defined]
    # Reset puts the fresh sample back.
    box.reset_button.click()
    qtbot.waitUntil(lambda: arguments(panel)["question"] != "Will it rain?", timeout=WAIT_MS)
    assert not box.hand_edited
