"""ToolsToolbar: the Tools panel's buttons (new, arrange, files, undo) and the set's title."""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.formats import ToolFormat
from navtalk_desktop.core.tools.templates import TEMPLATES
from navtalk_desktop.ui.widgets.flow_layout import FlowLayout


class ToolActions(Protocol):
    """What the toolbar's buttons do (the Tools panel)."""

    def add_empty_tool(self) -> None: ...
    def add_template(self, key: str) -> None: ...
    def duplicate_tool(self) -> None: ...
    def remove_tool(self) -> None: ...
    def move_tool(self, offset: int) -> None: ...
    def open_dialog(self) -> None: ...
    def import_dialog(self) -> None: ...
    def export_dialog(self, fmt: ToolFormat) -> None: ...
    def save(self) -> None: ...
    def undo(self) -> None: ...
    def redo(self) -> None: ...


class ToolsToolbar:
    """Creates the buttons (children of ``parent``) and lays them out in :attr:`layout`.

    Three groups wrap onto further rows when the dock is narrow: the panel's minimum
    width is then that of its widest group, not of every button together.
    """

    def __init__(self, parent: QWidget, actions: ToolActions) -> None:
        def button(text: str, tip: str, slot: Callable[[], Any], name: str) -> QToolButton:
            widget = QToolButton(parent)
            widget.setText(text)
            widget.setToolTip(tip)
            widget.setObjectName(name)
            widget.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            widget.clicked.connect(slot)
            return widget

        self.new_button = QToolButton(parent)
        self.new_button.setObjectName("new_tool")
        self.new_button.setText("New ▾")
        self.new_button.setToolTip("Add an empty tool or one from a template")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.templates_menu = QMenu(self.new_button)
        self.templates_menu.setToolTipsVisible(True)
        empty = self.templates_menu.addAction("Empty tool")
        empty.triggered.connect(actions.add_empty_tool)
        self.templates_menu.addSeparator()
        for item in TEMPLATES:
            action = self.templates_menu.addAction(item.title)
            action.setToolTip(f"Example: “{item.use_case}”")
            action.setData(item.key)
            action.triggered.connect(partial(actions.add_template, item.key))
        self.new_button.setMenu(self.templates_menu)

        self.duplicate_button = button(
            "Duplicate", "Copy the selected tool", actions.duplicate_tool, "duplicate_tool"
        )
        self.remove_button = button(
            "Remove", "Remove the selected tool", actions.remove_tool, "remove_tool"
        )
        self.up_button = button(
            "▲", "Move the selected tool up", partial(actions.move_tool, -1), "tool_up"
        )
        self.down_button = button(
            "▼", "Move the selected tool down", partial(actions.move_tool, 1), "tool_down"
        )
        self.open_button = button(
            "Open…",
            "Open a tool set file in place of this one. Tools arrays in any format\n"
            "Import reads are opened too: Save then asks for a new name.",
            actions.open_dialog,
            "open_toolset",
        )
        # The same action in the File menu (the app puts it there).
        self.open_action = QAction("Open Tool Set…", parent)
        self.open_action.setObjectName("action_open_toolset")
        self.open_action.triggered.connect(actions.open_dialog)
        self.import_button = button(
            "Import…",
            "Add tools from a file: Realtime, Chat Completions, MCP, web SDK or a tool set\n"
            "(you can also drop .json files on this panel)",
            actions.import_dialog,
            "import_tools",
        )
        self.export_button = QToolButton(parent)
        self.export_button.setObjectName("export_tools")
        self.export_button.setText("Export ▾")
        self.export_button.setToolTip("Write the tools in another format")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        for fmt in ToolFormat:
            action = export_menu.addAction(fmt.label + "…")
            action.triggered.connect(partial(actions.export_dialog, fmt))
        self.export_button.setMenu(export_menu)
        self.save_button = button(
            "Save", "Save the tool set file (Ctrl+S)", actions.save, "save_toolset"
        )
        self.undo_button = button("Undo", "Undo (Ctrl+Z)", actions.undo, "undo")
        self.redo_button = button("Redo", "Redo (Ctrl+Shift+Z)", actions.redo, "redo")
        self.title_label = QLabel(parent)
        self.title_label.setObjectName("toolset_title")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Long set names and paths wrap instead of widening the panel.
        self.title_label.setWordWrap(True)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        groups: list[tuple[QWidget, ...]] = [
            (
                self.new_button,
                self.duplicate_button,
                self.remove_button,
                self.up_button,
                self.down_button,
            ),
            (self.open_button, self.import_button, self.export_button, self.save_button),
            (self.undo_button, self.redo_button),
        ]
        self.layout = FlowLayout(spacing=10)
        for group in groups:
            box = QWidget(parent)
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            for widget in group:
                row.addWidget(widget)
            self.layout.addWidget(box)
        self.layout.addWidget(self.title_label)

        # The buttons' keys work anywhere in the panel (not only on the buttons).
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, parent)
        self.undo_shortcut.setContext(context)
        self.undo_shortcut.activated.connect(actions.undo)
        self.redo_shortcut = QShortcut(parent)
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]
        redo_keys += [
            k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo) if k not in redo_keys
        ]
        self.redo_shortcut.setKeys(redo_keys)
        self.redo_shortcut.setContext(context)
        self.redo_shortcut.activated.connect(actions.redo)
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, parent)
        self.save_shortcut.setContext(context)
        self.save_shortcut.activated.connect(actions.save)

    def add_example_actions(self, actions: list[QAction]) -> None:
        """Offer ``actions`` (open a bundled example tool set) in the New menu."""
        if not actions:
            return
        self.templates_menu.addSeparator()
        examples = self.templates_menu.addMenu("Open Example Tool Set")
        examples.setObjectName("examples_submenu")
        examples.setToolTipsVisible(True)
        for action in actions:
            examples.addAction(action)

    def update(self, editor: ToolSetEditor, current: int) -> None:
        """Enable what applies to the selected tool (``current``) and to ``editor``'s history."""
        has = 0 <= current < len(editor.toolset)
        count = len(editor.toolset)
        self.duplicate_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and current > 0)
        self.down_button.setEnabled(has and current < count - 1)
        self.export_button.setEnabled(count > 0)
        self.undo_button.setEnabled(editor.can_undo)
        self.redo_button.setEnabled(editor.can_redo)
        self.undo_button.setToolTip(
            f"Undo {editor.undo_label} (Ctrl+Z)" if editor.can_undo else "Nothing to undo"
        )
        self.redo_button.setToolTip(
            f"Redo {editor.redo_label} (Ctrl+Shift+Z)" if editor.can_redo else "Nothing to redo"
        )

    def update_title(self, editor: ToolSetEditor) -> None:
        """The set's name, a dot while it has unsaved edits, and its file name."""
        path: Path | None = editor.path
        where = path.name if path is not None else "not saved yet"
        dirty = " •" if editor.dirty else ""
        name = html.escape(editor.toolset.name, quote=False)
        self.title_label.setText(
            f"<b>{name}</b>{dirty}  <span>— {html.escape(where, quote=False)}</span>"
        )
        self.title_label.setToolTip(
            str(path) if path is not None else "This tool set has no file yet"
        )


__all__ = ["ToolActions", "ToolsToolbar"]
