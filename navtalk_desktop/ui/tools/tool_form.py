"""ToolForm: name, description, notes and parameters of one tool, as a form."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.ui.tools.parameter_editor import ParameterEditor


class ToolForm(QWidget):
    """Edits the definition part of a :class:`ToolEntry` (responders have their own editor).

    Each edit emits :attr:`entry_edited` with the new entry and a coalescing key (so that
    typing a name becomes one undo step, not one per character). :meth:`set_entry` shows an
    entry without emitting and without disturbing the field being typed in.

    Signals:
        entry_edited(object, str): the new :class:`ToolEntry` and the field that changed
            ("name", "description", "notes", "enabled", "parameters").
    """

    entry_edited = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry: ToolEntry | None = None
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("tool_name")
        self.name_edit.setAccessibleName("Tool name")
        self.name_edit.setPlaceholderText("function_name")
        self.name_edit.setToolTip(
            "Function name the model calls: letters, digits, '_' and '-' (1 to 64 characters)"
        )
        self.enabled_check = QCheckBox("Enabled", self)
        self.enabled_check.setObjectName("tool_enabled")
        self.enabled_check.setToolTip("Disabled tools stay in the file but are not registered")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("tool_description")
        self.description_edit.setPlaceholderText(
            "When should the model call this tool? The model decides from this text."
        )
        self.description_edit.setToolTip("Tells the model when to call the tool")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.notes_edit = QLineEdit(self)
        self.notes_edit.setObjectName("tool_notes")
        self.notes_edit.setPlaceholderText("Notes for your team (never sent)")
        self.notes_edit.setToolTip("Free text kept in the tool set file; never sent to the model")
        self.parameters = ParameterEditor(self)
        self.parameters.setObjectName("tool_parameters")

        name_row = QHBoxLayout()
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.enabled_check)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", name_row)
        form.addRow("Description", self.description_edit)
        form.addRow("Notes", self.notes_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.parameters, 1)
        self.setTabOrder(self.name_edit, self.enabled_check)
        self.setTabOrder(self.enabled_check, self.description_edit)
        self.setTabOrder(self.description_edit, self.notes_edit)
        self.setTabOrder(self.notes_edit, self.parameters.tree)

        self.name_edit.textEdited.connect(self._on_name_edited)
        self.enabled_check.toggled.connect(self._on_enabled_toggled)
        self.description_edit.textChanged.connect(self._on_description_edited)
        self.notes_edit.textEdited.connect(self._on_notes_edited)
        self.parameters.parameters_changed.connect(self._on_parameters_changed)
        self.setEnabled(False)

    @property
    def entry(self) -> ToolEntry | None:
        """The entry shown."""
        return self._entry

    def set_entry(self, entry: ToolEntry | None) -> None:
        """Show ``entry`` (``None`` clears and disables the form). Emits nothing."""
        self._entry = entry
        self.setEnabled(entry is not None)
        tool = entry.tool if entry is not None else ToolDefinition("")
        with QSignalBlocker(self.name_edit):
            if self.name_edit.text() != tool.name:
                self.name_edit.setText(tool.name)
        with QSignalBlocker(self.enabled_check):
            self.enabled_check.setChecked(entry.enabled if entry is not None else True)
        with QSignalBlocker(self.description_edit):
            if self.description_edit.toPlainText() != tool.description:
                self.description_edit.setPlainText(tool.description)
        with QSignalBlocker(self.notes_edit):
            notes = entry.notes if entry is not None else ""
            if self.notes_edit.text() != notes:
                self.notes_edit.setText(notes)
        self.parameters.set_parameters(tool.parameters)

    def _edit(self, field: str, **changes: Any) -> None:
        if self._entry is None:
            return
        entry_changes: dict[str, Any] = {}
        tool = self._entry.tool
        if {"name", "description", "parameters"} & changes.keys():
            tool = ToolDefinition(
                changes.get("name", tool.name),
                changes.get("description", tool.description),
                changes.get("parameters", tool.parameters),
            )
            entry_changes["tool"] = tool
        for key in ("enabled", "notes"):
            if key in changes:
                entry_changes[key] = changes[key]
        self._entry = self._entry.replace(**entry_changes)
        self.entry_edited.emit(self._entry, field)

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        self._edit("name", name=text)

    @Slot(bool)
    def _on_enabled_toggled(self, checked: bool) -> None:
        self._edit("enabled", enabled=checked)

    @Slot()
    def _on_description_edited(self) -> None:
        self._edit("description", description=self.description_edit.toPlainText())

    @Slot(str)
    def _on_notes_edited(self, text: str) -> None:
        self._edit("notes", notes=text)

    @Slot(object)
    def _on_parameters_changed(self, parameters: dict[str, Any]) -> None:
        self._edit("parameters", parameters=parameters)
