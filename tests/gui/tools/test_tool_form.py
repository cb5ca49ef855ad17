"""ToolForm on its own: name, enabled, description, notes and parameters of one tool."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.ui.tools.tool_form import ToolForm

WAIT_MS = 20_000


def test_each_field_edit_emits_the_new_entry_and_its_field(qtbot: Any) -> None:
    form = ToolForm()
    qtbot.addWidget(form)
    edits: list[tuple[ToolEntry, str]] = []
    form.entry_edited.connect(lambda entry, field: edits.append((entry, field)))
    assert not form.isEnabled()
    entry = new_entry("weather")
    form.set_entry(entry)
    with qtbot.waitExposed(form, timeout=WAIT_MS):
        form.show()
    assert form.isEnabled()
    assert edits == []  # showing an entry is not an edit
    assert form.name_edit.text() == entry.name

    form.name_edit.selectAll()
    qtbot.keyClicks(form.name_edit, "forecast")
    assert edits[-1][1] == "name"
    assert edits[-1][0].name == "forecast"
    qtbot.mouseClick(form.enabled_check, Qt.MouseButton.LeftButton)
    assert edits[-1][1] == "enabled"
    assert edits[-1][0].enabled is False
    qtbot.keyClicks(form.notes_edit, "for the demo")
    assert edits[-1] == (edits[-1][0], "notes")
    assert edits[-1][0].notes == "for the demo"
    form.description_edit.setPlainText("Tomorrow's weather")
    assert edits[-1][1] == "description"
    assert edits[-1][0].tool.description == "Tomorrow's weather"
    # Every edit builds on the previous one: nothing typed earlier is lost.
    assert (edits[-1][0].name, edits[-1][0].enabled) == ("forecast", False)

    with qtbot.waitSignal(form.entry_edited, timeout=WAIT_MS) as added:
        form.parameters.add_button.click()
    changed, field = added.args
    assert field == "parameters"
    assert (
        "param" + str(len(entry.tool.parameters["properties"]) + 1)
        in changed.tool.parameters["properties"]
    )
    assert changed.name == "forecast"

    form.set_entry(None)
    assert not form.isEnabled()
    assert form.name_edit.text() == ""
