"""Lint and JSON errors are shown where the user types, and the lint status agrees with them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.tools_panel import TAB_JSON, ToolsPanel

WAIT_MS = 20_000


def top_in(panel: QWidget, widget: QWidget) -> int:
    return widget.mapTo(panel, QPoint(0, 0)).y()


def test_json_error_is_above_the_text_and_lint_does_not_say_no_problems(qtbot: Any) -> None:
    toolset = ToolSet(name="Set", tools=(new_entry("weather"),))
    editor = ToolSetEditor(toolset, store=ToolSetFileStore(), autosave_delay_s=None)
    panel = ToolsPanel(editor, TaskRunner(), files=ToolSetFileStore())
    qtbot.addWidget(panel)
    panel.resize(560, 420)  # a short dock: what is below the editor is out of sight
    with qtbot.waitExposed(panel, timeout=WAIT_MS):
        panel.show()
    qtbot.waitUntil(lambda: "no problems" in panel.lint_summary.text(), timeout=WAIT_MS)
    # The summary is at the top, above the editor tabs, in sight at any height.
    assert top_in(panel, panel.lint_summary) < top_in(panel, panel.tabs)
    assert panel.lint_summary.isVisible()
    panel.tabs.setCurrentIndex(TAB_JSON)
    json_editor = panel.json_editor
    json_editor.set_text('{"name": "get_weather", "description": ')
    qtbot.waitUntil(lambda: "Not applied" in panel.lint_summary.text(), timeout=WAIT_MS)
    assert "no problems" not in panel.lint_summary.text()
    assert "Line 1" in panel.lint_summary.text()
    # The parse error is right above the text being typed.
    assert json_editor.error_label.isVisible()
    assert top_in(panel, json_editor.error_label) < top_in(panel, json_editor.text_edit)
    # Fixed: the status is lint's again.
    json_editor.set_text('{"name": "get_weather", "description": "Weather"}')
    qtbot.waitUntil(lambda: "Not applied" not in panel.lint_summary.text(), timeout=WAIT_MS)
    assert "Lint:" in panel.lint_summary.text()
