"""ParameterEditor on its own: the tree and form edit a JSON-Schema parameters object."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from PySide6.QtCore import Qt

from navtalk_desktop.ui.tools.parameter_editor import ParameterEditor

WAIT_MS = 20_000
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "Where", "format": "x-city"},
        "days": {"type": "integer", "enum": [1, 3, 7], "default": 3},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["city"],
}


@pytest.fixture
def editor(qtbot: Any) -> ParameterEditor:
    widget = ParameterEditor()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.set_parameters(copy.deepcopy(SCHEMA))
    with qtbot.waitExposed(widget, timeout=WAIT_MS):
        widget.show()
    return widget


def _rows(editor: ParameterEditor) -> list[tuple[str, str, str]]:
    tree = editor.tree
    return [
        (item.text(0), item.text(1), item.text(2))
        for item in (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
        if item is not None
    ]


def _commit(qtbot: Any, line: Any, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def test_rows_and_form_show_the_schema_without_emitting(
    qtbot: Any, editor: ParameterEditor
) -> None:
    seen: list[dict[str, Any]] = []
    editor.parameters_changed.connect(seen.append)
    editor.set_parameters(copy.deepcopy(SCHEMA))
    assert seen == []
    assert _rows(editor) == [
        ("city", "string", "✓"),
        ("days", "integer", ""),
        ("tags", "array of string", ""),
    ]
    assert editor.select_parameter("days")
    assert editor.enum_edit.text() == "1, 3, 7"
    assert editor.default_edit.text() == "3"
    assert not editor.required_check.isChecked()
    assert editor.select_parameter("tags[]")
    assert editor.selected_path() == ("properties", "tags", "items")
    assert editor.name_edit.text() == "[items]"
    assert not editor.name_edit.isEnabled()
    assert not editor.remove_button.isEnabled()


def test_renaming_retyping_and_requiring_emit_the_new_schema(
    qtbot: Any, editor: ParameterEditor
) -> None:
    editor.select_parameter("days")
    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as renamed:
        _commit(qtbot, editor.name_edit, "nights")
    assert list(renamed.args[0]["properties"]) == ["city", "nights", "tags"]
    assert editor.selected_path() == ("properties", "nights")

    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as required:
        editor.required_check.click()
    assert required.args[0]["required"] == ["city", "nights"]
    assert _rows(editor)[1] == ("nights", "integer", "✓")

    # Choosing "string" drops the integer enum and default that no longer fit.
    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as retyped:
        editor.type_combo.activated.emit(editor.type_combo.findText("string"))
    assert retyped.args[0]["properties"]["nights"] == {"type": "string"}
    # Keys the form does not show are kept.
    assert editor.parameters()["properties"]["city"]["format"] == "x-city"


def test_bad_field_input_is_explained_and_changes_nothing(
    qtbot: Any, editor: ParameterEditor
) -> None:
    seen: list[dict[str, Any]] = []
    editor.parameters_changed.connect(seen.append)
    editor.select_parameter("days")
    _commit(qtbot, editor.enum_edit, "1, two")
    qtbot.waitUntil(editor.field_error.isVisible, timeout=WAIT_MS)
    assert "'two' is not an integer" in editor.field_error.text()
    _commit(qtbot, editor.name_edit, "city")
    qtbot.waitUntil(
        lambda: "already a parameter named 'city'" in editor.field_error.text(), timeout=WAIT_MS
    )
    assert editor.name_edit.text() == "days"
    assert seen == []
    assert editor.parameters() == SCHEMA

    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as enum:
        _commit(qtbot, editor.enum_edit, "2, 4")
    assert enum.args[0]["properties"]["days"]["enum"] == [2, 4]
    assert not editor.field_error.isVisible()


def test_adding_children_moving_and_removing(qtbot: Any, editor: ParameterEditor) -> None:
    editor.select_parameter("tags")
    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as child:
        editor.add_child_button.click()
    tags = child.args[0]["properties"]["tags"]
    assert tags["items"] == {
        "type": "object",
        "properties": {"field1": {"type": "string", "description": ""}},
    }
    assert editor.selected_path() == ("properties", "tags", "items", "properties", "field1")
    assert editor.name_edit.hasFocus()

    editor.select_parameter("city")
    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as moved:
        editor.down_button.click()
    assert [row[0] for row in _rows(editor)] == ["days", "city", "tags"]
    # The emitted schema keeps the order too (what the tool stores and the model sees).
    assert list(moved.args[0]["properties"]) == ["days", "city", "tags"]
    assert editor.selected_path() == ("properties", "city")

    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as removed:
        editor.remove_button.click()
    assert list(removed.args[0]["properties"]) == ["days", "tags"]
    assert removed.args[0]["required"] == []
    assert editor.selected_path() == ("properties", "tags")

    with qtbot.waitSignal(editor.parameters_changed, timeout=WAIT_MS) as added:
        editor.add_button.click()
    assert list(added.args[0]["properties"]) == ["days", "tags", "param3"]
