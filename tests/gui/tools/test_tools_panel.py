"""The Tools panel: form ⇄ JSON sync, lint navigation, import/export, undo, previews, test calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QListWidgetItem

from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import (
    ManualConfig,
    ResponderChain,
    ResponderStep,
    ScriptConfig,
    StaticConfig,
    TemplateConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.formats import ToolFormat
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet, entry_to_json
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.toolset_file import ScriptTrustFile, ToolSetFileStore
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.tools_panel import (
    TAB_DEFINITION,
    TAB_RESPONDERS,
    ToolsPanel,
    location_tokens,
)

# Generous: a wait only costs time when it fails, and the suite runs on loaded machines.
WAIT_MS = 20_000


def make_panel(qtbot: Any, editor: ToolSetEditor, **kwargs: Any) -> ToolsPanel:
    panel = ToolsPanel(editor, TaskRunner(), files=ToolSetFileStore(), **kwargs)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    with qtbot.waitExposed(panel, timeout=20_000):
        panel.show()
    return panel


@pytest.fixture
def editor(tmp_path: Path) -> ToolSetEditor:
    toolset = ToolSet(
        name="Test set", tools=(new_entry("weather"), new_entry("function_call_judge"))
    )
    return ToolSetEditor(toolset, store=ToolSetFileStore(), autosave_delay_s=None)


@pytest.fixture
def panel(qtbot: Any, editor: ToolSetEditor) -> ToolsPanel:
    return make_panel(qtbot, editor, runner=ChainRunner(ResponderFactory()))


def json_shown(panel: ToolsPanel) -> dict[str, Any]:
    return json.loads(panel.json_editor.text())


def test_editing_the_form_updates_the_json(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    panel.select_tool(0)
    panel.form.name_edit.selectAll()
    qtbot.keyClicks(panel.form.name_edit, "current_weather")
    assert editor.toolset.tools[0].name == "current_weather"
    assert json_shown(panel)["name"] == "current_weather"
    assert panel.tool_list.item(0).text() == "current_weather"

    # A new nested parameter: an object with a child property, typed and described.
    params = panel.form.parameters
    params.add_button.click()
    params.name_edit.selectAll()
    qtbot.keyClicks(params.name_edit, "location")
    params.name_edit.editingFinished.emit()
    params.type_combo.setCurrentIndex(params.type_combo.findText("object"))
    params.type_combo.activated.emit(params.type_combo.currentIndex())
    params.add_child_button.click()
    params.name_edit.selectAll()
    qtbot.keyClicks(params.name_edit, "country")
    params.name_edit.editingFinished.emit()
    qtbot.keyClicks(params.enum_edit, "CN, FR")
    params.enum_edit.editingFinished.emit()
    params.required_check.click()

    location = json_shown(panel)["parameters"]["properties"]["location"]
    assert location["type"] == "object"
    assert location["properties"]["country"]["enum"] == ["CN", "FR"]
    assert location["required"] == ["country"]
    assert params.selected_path() == ("properties", "location", "properties", "country")


def test_array_items_are_edited_as_a_child_row(qtbot: Any, panel: ToolsPanel) -> None:
    params = panel.form.parameters
    params.add_button.click()
    params.type_combo.setCurrentIndex(params.type_combo.findText("array"))
    params.type_combo.activated.emit(params.type_combo.currentIndex())
    name = params.selected_path()
    assert name is not None
    schema = json_shown(panel)["parameters"]["properties"][name[-1]]
    assert schema["items"] == {"type": "string"}
    # "Add child" on an array turns its items into an object and adds a property there.
    params.add_child_button.click()
    assert params.selected_path() == (*name, "items", "properties", "field1")
    schema = json_shown(panel)["parameters"]["properties"][name[-1]]
    assert schema["items"]["type"] == "object"
    assert "field1" in schema["items"]["properties"]
    qtbot.keyClicks(params.default_edit, "x")
    params.default_edit.editingFinished.emit()
    assert (
        json_shown(panel)["parameters"]["properties"][name[-1]]["items"]["properties"]["field1"][
            "default"
        ]
        == "x"
    )


def test_editing_the_json_updates_the_form(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(1)
    data = json_shown(panel)
    data["description"] = "Weather, from JSON"
    data["parameters"]["properties"]["days"] = {"type": "integer", "description": "Forecast days"}
    panel.json_editor.set_text(json.dumps(data, indent=4))
    qtbot.waitUntil(
        lambda: panel.form.description_edit.toPlainText() == "Weather, from JSON", timeout=WAIT_MS
    )
    assert editor.toolset.tools[0].tool.parameters["properties"]["days"]["type"] == "integer"
    assert panel.form.parameters.select_parameter("days")
    assert panel.form.parameters.description_edit.toPlainText() == "Forecast days"
    # The user's own formatting stays: the text already stands for the model.
    assert panel.json_editor.text() == json.dumps(data, indent=4)


def test_invalid_json_shows_an_error_and_keeps_the_model(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    before = editor.toolset
    panel.tabs.setCurrentIndex(1)
    panel.json_editor.set_text('{"name": "get_weather", "description": ')
    qtbot.waitUntil(panel.json_editor.error_label.isVisible, timeout=WAIT_MS)
    assert "Line 1" in panel.json_editor.error_text
    assert editor.toolset == before
    # Valid JSON that is not a valid tool entry: a located error, the model unchanged.
    panel.json_editor.set_text('{"name": 42}')
    qtbot.waitUntil(lambda: "tools[0].name" in panel.json_editor.error_text, timeout=WAIT_MS)
    assert editor.toolset == before
    assert panel.form.name_edit.text() == "get_weather"


def _lint_item(panel: ToolsPanel, location: str) -> QListWidgetItem | None:
    for row in range(panel.lint_list.count()):
        item = panel.lint_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == location:
            return item
    return None


def test_lint_message_appears_for_a_bad_name_and_leads_to_the_field(
    qtbot: Any, panel: ToolsPanel
) -> None:
    panel.select_tool(1)
    panel.form.name_edit.selectAll()
    qtbot.keyClicks(panel.form.name_edit, "judge me!")
    qtbot.waitUntil(lambda: _lint_item(panel, "tools[1].name") is not None, timeout=WAIT_MS)
    item = _lint_item(panel, "tools[1].name")
    assert item is not None
    assert "'!'" in item.text()
    assert "' '" in item.text()
    assert "error" in panel.lint_summary.text()
    assert panel.lint_report.blocks_sending

    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    rect = panel.lint_list.visualItemRect(item)
    qtbot.mouseClick(panel.lint_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current_index() == 1
    assert panel.tabs.currentIndex() == TAB_DEFINITION
    assert panel.form.name_edit.selectedText() == "judge me!"


def test_lint_location_in_a_parameter_selects_that_parameter(qtbot: Any, panel: ToolsPanel) -> None:
    data = json_shown(panel)
    data["parameters"]["properties"]["days"] = {
        "type": "integer",
        "description": "d",
        "enum": ["one"],
    }
    panel.json_editor.set_text(json.dumps(data))
    location = "tools[0].parameters.properties.days.enum[0]"
    qtbot.waitUntil(lambda: _lint_item(panel, location) is not None, timeout=WAIT_MS)
    panel.form.parameters.select_parameter("city")
    panel.go_to_location(location)
    assert panel.form.parameters.selected_path() == ("properties", "days")
    assert panel.form.parameters.enum_edit.text() == "one"
    assert location_tokens("tools[2].parameters.properties['a b'].items") == [
        "tools",
        2,
        "parameters",
        "properties",
        "a b",
        "items",
    ]


def test_export_then_import_round_trips(
    qtbot: Any,
    panel: ToolsPanel,
    editor: ToolSetEditor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "exported.json"
    monkeypatch.setattr(
        ToolsPanel,
        "choose_export_file",
        classmethod(lambda cls, parent, fmt, suggested, done: done(str(target))),
    )
    notes: list[tuple[str, str]] = []
    panel.notification_requested.connect(lambda message, level: notes.append((level, message)))
    menu = panel.export_button.menu()
    assert menu is not None
    action = next(
        a for a in menu.actions() if a.text().startswith(ToolFormat.CHAT_COMPLETIONS.label)
    )
    action.trigger()
    exported = json.loads(target.read_text())
    assert [item["function"]["name"] for item in exported] == ["get_weather", "function_call_judge"]
    # The chat format cannot carry responders: the user is told.
    assert notes
    assert notes[-1][0] == "warning"
    assert "responders" in notes[-1][1]

    fresh = ToolSetEditor(ToolSet(name="Empty"), autosave_delay_s=None)
    other = make_panel(qtbot, fresh)
    monkeypatch.setattr(
        ToolsPanel,
        "choose_import_files",
        classmethod(lambda cls, parent, done: done([str(target)])),
    )
    other.import_button.click()
    assert [entry.tool for entry in fresh.toolset] == [entry.tool for entry in editor.toolset]
    assert other.current_index() == 0
    assert other.form.name_edit.text() == "get_weather"
    # Importing is one undoable step.
    other.undo_button.click()
    assert len(fresh.toolset) == 0


def test_dropping_a_json_file_imports_it(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor, tmp_path: Path
) -> None:
    source = tmp_path / "realtime.json"
    source.write_text(json.dumps([new_entry("iot").tool.to_realtime()]))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(source))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, drop)
    assert [entry.name for entry in editor.toolset] == [
        "get_weather",
        "function_call_judge",
        "control_device",
    ]
    assert panel.current_index() == 2

    broken = tmp_path / "broken.json"
    broken.write_text("[{]")
    notes: list[tuple[str, str]] = []
    panel.notification_requested.connect(lambda message, level: notes.append((level, message)))
    assert panel.import_files([str(broken)]) == 0
    assert notes[-1][0] == "error"
    assert "broken.json" in notes[-1][1]
    assert len(editor.toolset) == 3


def test_undo_and_redo_restore_edits(qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor) -> None:
    original = editor.toolset.tools[0].tool.description
    panel.form.description_edit.selectAll()
    qtbot.keyClicks(panel.form.description_edit, "Changed")
    assert editor.toolset.tools[0].tool.description == "Changed"
    panel.add_template("crm")
    assert len(editor.toolset) == 3

    panel.undo_button.click()
    assert len(editor.toolset) == 2
    panel.select_tool(0)
    panel.tool_list.setFocus()
    qtbot.keyClick(panel.tool_list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toolset.tools[0].tool.description == original
    assert panel.form.description_edit.toPlainText() == original
    assert json_shown(panel)["description"] == original

    qtbot.keyClick(
        panel.tool_list,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert panel.form.description_edit.toPlainText() == "Changed"
    assert panel.redo_button.isEnabled()


def test_template_preview_follows_typing(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    chain = panel.chain_editor
    assert editor.toolset.tools[0].chain.steps[0].config.kind == "template"
    chain.select_step(0)
    page = chain.template_page
    assert "sample arguments" in page.preview_source.text()
    page.template_edit.selectAll()
    qtbot.keyClicks(page.template_edit, "Weather for {{ city }} in {{ unit }}")
    qtbot.waitUntil(
        lambda: page.preview.toPlainText() == "Weather for sample city in celsius", timeout=WAIT_MS
    )
    assert editor.toolset.tools[0].chain.steps[0].config == TemplateConfig(
        "Weather for {{ city }} in {{ unit }}"
    )
    qtbot.keyClicks(page.template_edit, " {{ nope }}")
    qtbot.waitUntil(page.preview_error.isVisible, timeout=WAIT_MS)
    assert "nope" in page.preview_error.text()


def test_responder_chain_editing_with_deadline_and_approve(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    panel.select_tool(1)
    chain = panel.chain_editor
    chain.approve_check.click()
    assert editor.toolset.tools[1].chain.approve
    chain.add_actions["rules"].trigger()
    assert [s.config.kind for s in editor.toolset.tools[1].chain.steps] == [
        "manual",
        "static",
        "rules",
    ]
    chain.move_step(-1)
    assert [s.config.kind for s in editor.toolset.tools[1].chain.steps] == [
        "manual",
        "rules",
        "static",
    ]
    chain.select_step(0)
    chain.deadline_spin.setValue(3.5)
    assert editor.toolset.tools[1].chain.steps[0].deadline_s == 3.5
    chain.deadline_check.click()
    assert editor.toolset.tools[1].chain.steps[0].deadline_s is None
    # The rules table: a rule on userInput with an injected error.
    chain.select_step(1)
    rules = chain.pages["rules"]
    rules.add_rule()
    rules.table.item(0, 1).setText("userInput")
    rules.table.item(0, 2).setText("refund")
    rules.table.item(0, 3).setText('{"status": "escalated"}')
    rules.table.item(0, 5).setText("backend down")
    rule = editor.toolset.tools[1].chain.steps[1].config.rules[0]
    assert (rule.path, rule.value, rule.output, rule.error) == (
        "userInput",
        "refund",
        {"status": "escalated"},
        "backend down",
    )
    # The wildcard fallback stays last.
    assert editor.toolset.tools[1].chain.steps[1].config.rules[-1].match == "any"


def test_fire_test_call_shows_output_responder_and_duration(
    qloop: Any, qtbot: Any, panel: ToolsPanel
) -> None:
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    panel.test_box.arguments.set_text('{"city": "Paris", "unit": "celsius"}')
    qtbot.mouseClick(panel.test_box.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.test_box.output.toPlainText() != "", timeout=WAIT_MS)
    assert panel.test_box.output.toPlainText().startswith("Paris: 22 degrees celsius")
    summary = panel.test_box.summary.text()
    assert "Answered" in summary
    assert "template" in summary
    assert " ms" in summary
    assert panel.test_box.fire_button.isEnabled()
    # Arguments that break the schema are reported next to the output.
    panel.test_box.arguments.set_text('{"unit": "kelvin"}')
    panel.test_box.fire_button.click()
    qtbot.waitUntil(lambda: "Argument problem" in panel.test_box.summary.text(), timeout=WAIT_MS)
    assert "city" in panel.test_box.summary.text()


def test_script_runs_only_after_explicit_trust(
    qloop: Any, qtbot: Any, editor: ToolSetEditor, tmp_path: Path
) -> None:
    script = tmp_path / "responder.py"
    script.write_text(
        "def respond(arguments, context):\n    return {'echo': arguments['userInput']}\n"
    )
    trust = ScriptTrustFile(tmp_path / "trusted.json")
    runner = ChainRunner(ResponderFactory(scripts=SubprocessScriptRunner(), trust=trust))
    panel = make_panel(qtbot, editor, runner=runner, script_trust=trust)
    entry = editor.toolset.tools[1]
    chain = ResponderChain(steps=(ResponderStep(ScriptConfig(path=str(script), timeout_s=20.0)),))
    editor.update_tool(1, entry.replace(chain=chain))
    panel.select_tool(1)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    panel.chain_editor.select_step(0)
    page = panel.chain_editor.script_page
    assert "Not trusted" in page.trust_label.text()
    assert panel.trust_button.isEnabled()

    panel.test_box.arguments.set_text('{"userInput": "hello"}')
    panel.test_box.fire_button.click()
    qtbot.waitUntil(lambda: "Error output" in panel.test_box.summary.text(), timeout=WAIT_MS)
    assert "not trusted" in panel.test_box.output.toPlainText()

    panel.trust_button.click()
    assert "Trusted" in page.trust_label.text()
    assert not panel.trust_button.isEnabled()
    panel.test_box.fire_button.click()
    qtbot.waitUntil(lambda: "echo" in panel.test_box.output.toPlainText(), timeout=20_000)
    assert json.loads(panel.test_box.output.toPlainText()) == {"echo": "hello"}
    assert "script" in panel.test_box.summary.text()


def test_templates_menu_duplicate_remove_and_save(
    qtbot: Any,
    panel: ToolsPanel,
    editor: ToolSetEditor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    titles = [action.text() for action in panel.templates_menu.actions() if action.data()]
    assert len(titles) == 6
    assert any("function_call_judge" in title for title in titles)
    database = next(a for a in panel.templates_menu.actions() if a.data() == "database")
    database.trigger()
    assert panel.current_entry() is not None
    assert panel.current_entry().name == editor.toolset.tools[-1].name
    panel.duplicate_button.click()
    assert editor.toolset.tools[-1].name.endswith("_copy")
    panel.remove_button.click()
    assert len(editor.toolset) == 3

    target = tmp_path / "saved.json"
    monkeypatch.setattr(
        ToolsPanel,
        "choose_save_file",
        classmethod(lambda cls, parent, suggested, done: done(str(target))),
    )
    panel.save_button.click()
    saved = json.loads(target.read_text())
    assert saved["format"] == "navtalk-desktop.toolset"
    assert [tool["name"] for tool in saved["tools"]] == [entry.name for entry in editor.toolset]
    assert "•" not in panel.title_label.text()


def test_disabled_tool_is_not_registered(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    seen: list[list[Any]] = []
    panel.tools_changed.connect(seen.append)
    panel.select_tool(1)
    panel.form.enabled_check.click()
    assert [tool.name for tool in seen[-1]] == ["get_weather"]
    assert "disabled" in panel.tool_list.item(1).text()
    assert entry_to_json(editor.toolset.tools[1])["enabled"] is False


def test_static_output_json_and_manual_steps(
    qtbot: Any, panel: ToolsPanel, editor: ToolSetEditor
) -> None:
    entry = editor.toolset.tools[1]
    editor.update_tool(
        1,
        entry.replace(
            chain=ResponderChain(
                steps=(ResponderStep(ManualConfig(), 8.0), ResponderStep(StaticConfig("x")))
            )
        ),
    )
    panel.select_tool(1)
    panel.chain_editor.select_step(1)
    static = panel.chain_editor.pages["static"]
    static.output_edit.selectAll()
    qtbot.keyClicks(static.output_edit, '{"answer": 42}')
    assert editor.toolset.tools[1].chain.steps[1].config == StaticConfig({"answer": 42})
    assert "· 8 s" in panel.chain_editor.steps_list.item(0).text()
