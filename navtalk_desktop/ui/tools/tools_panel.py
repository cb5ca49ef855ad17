"""ToolsPanel: the tool set editor — tool list, form, raw JSON, responders, lint, import/export."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import ResponderChain
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.formats import ExportResult, ToolFormat
from navtalk_desktop.core.tools.lint import LintIssue, LintReport, lint_toolset
from navtalk_desktop.core.tools.locations import editor_target, location_tokens
from navtalk_desktop.core.tools.ports import ScriptTrustStore, ToolFileStore
from navtalk_desktop.core.tools.templates import empty_entry, new_entry
from navtalk_desktop.core.tools.toolset import ToolEntry, entry_from_json, entry_to_json
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.call_preview import CallPreview
from navtalk_desktop.ui.tools.lint_view import LintView
from navtalk_desktop.ui.tools.responders_tab import RespondersTab
from navtalk_desktop.ui.tools.tool_files import (
    MAX_IMPORT_BYTES,
    ToolFileDialogs,
    ToolFiles,
    json_paths,
)
from navtalk_desktop.ui.tools.tool_form import ToolForm
from navtalk_desktop.ui.tools.tool_list import ToolList
from navtalk_desktop.ui.tools.toolbar import ToolsToolbar
from navtalk_desktop.ui.widgets.accessible_names import name_form_fields
from navtalk_desktop.ui.widgets.json_editor import JsonEditor

TAB_DEFINITION, TAB_JSON, TAB_RESPONDERS = range(3)


class ToolsPanel(ToolFileDialogs, QWidget):
    """Edits a tool set through the core :class:`ToolSetEditor` (undo, redo and autosave there).

    Left: the tools, with a coloured dot for lint errors/warnings. Right: the selected tool
    as a form, as raw JSON (both kept in sync; invalid JSON shows an error and changes
    nothing), and its responder chain with a live template preview and "Fire test call".
    Bottom: every lint message; clicking one selects the offending field.

    Args:
        editor: the tool set editor model (owns undo history, dirty state and autosave).
        tasks: runs test calls in the background.
        files: reads imports and writes exports (atomic writes live in infra).
        runner: runs responder chains for test calls (built by app.py with the HTTP client,
            script runner and trust store). Without it, "Fire test call" is disabled.
        bridge: the session bridge; gives the provider for linting and the last real call's
            arguments for template previews.
        script_trust: lets the user trust a script file explicitly; without it, scripts show
            their trust state only.
        parent: optional parent widget.

    Signals:
        tools_changed(list): the enabled tool definitions changed (what to register).
        toolset_changed(object): the tool set changed in any way (definitions, responder
            chains, variables, quick replies); the argument is the new :class:`ToolSet`.
        lint_changed(object): a new :class:`LintReport` for the tool set.
        notification_requested(str, str): message and level ("info", "success", "warning",
            "error") for the window's notification centre.
        tools_imported(object, str): tools were imported (a :class:`ToolSet` of them, with
            the set's variables) from a file: they are data until the user agrees to their
            scripts and webhook hosts.
        trust_review_requested(): the user asked to review (and allow) what the tool set
            runs and which hosts it calls.
    """

    tools_changed = Signal(list)
    toolset_changed = Signal(object)
    lint_changed = Signal(object)
    notification_requested = Signal(str, str)
    tools_imported = Signal(object, str)
    document_opened = Signal(object, object, str)
    trust_review_requested = Signal()

    def __init__(
        self,
        editor: ToolSetEditor,
        tasks: TaskRunner,
        *,
        files: ToolFileStore,
        runner: ChainRunner | None = None,
        bridge: EngineAdapter | None = None,
        script_trust: ScriptTrustStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ToolsPanel")
        self.setAcceptDrops(True)
        self._editor = editor
        self._bridge = bridge
        self._current = -1
        self._shown = -2  # the tool whose arguments the test box holds
        self._lint = LintReport(())
        self._registered: list[ToolDefinition] | None = None

        self.files = ToolFiles(files, editor, self)
        self.files.notification_requested.connect(self.notification_requested)
        self.files.document_opened.connect(self.document_opened)
        self.files.tools_imported.connect(self.tools_imported)
        self.files.tools_added.connect(self._select_after_change)
        self.toolbar = ToolsToolbar(self, self)
        # The toolbar's widgets under the panel's own names (the app and tests use them).
        self.new_button = self.toolbar.new_button
        self.templates_menu = self.toolbar.templates_menu
        self.duplicate_button = self.toolbar.duplicate_button
        self.remove_button = self.toolbar.remove_button
        self.up_button = self.toolbar.up_button
        self.down_button = self.toolbar.down_button
        self.open_button = self.toolbar.open_button
        self.open_action = self.toolbar.open_action
        self.import_button = self.toolbar.import_button
        self.export_button = self.toolbar.export_button
        self.save_button = self.toolbar.save_button
        self.undo_button = self.toolbar.undo_button
        self.redo_button = self.toolbar.redo_button
        self.title_label = self.toolbar.title_label

        self.tool_list = ToolList(self)
        self.tool_list.currentRowChanged.connect(self._on_tool_selected)
        self.form = ToolForm(self)
        self.form.entry_edited.connect(self._on_form_edited)
        self.json_editor = JsonEditor(self)
        self.json_editor.setObjectName("tool_json")
        self.json_editor.text_edit.setAccessibleName("Tool as JSON")
        self.json_editor.value_changed.connect(self._on_json_edited)
        self.responders = RespondersTab(
            self._script_context, script_trust, can_fire=runner is not None, parent=self
        )
        self.responders.trust_review_requested.connect(self.trust_review_requested)
        self.responders.notification_requested.connect(self.notification_requested)
        self.chain_editor = self.responders.chain_editor
        self.chain_editor.chain_changed.connect(self._on_chain_edited)
        self.trust_button = self.responders.trust_button
        self.review_trust_button = self.responders.review_trust_button
        self.test_box = self.responders.test_box
        self.test_box.fire_requested.connect(self.fire_test_call)
        self.preview = CallPreview(
            self.responders,
            tasks,
            runner,
            bridge,
            self.current_entry,
            lambda: dict(self._editor.toolset.variables),
            self,
        )

        json_page = QWidget(self)
        json_layout = QVBoxLayout(json_page)
        json_layout.setContentsMargins(6, 6, 6, 6)
        json_hint = QLabel(
            "The tool as stored in the tool set file. Valid edits apply at once; "
            "invalid JSON is shown and changes nothing.",
            json_page,
        )
        json_hint.setWordWrap(True)
        json_hint.setStyleSheet(f"QLabel {{ color: {colors(self.palette()).muted_text}; }}")
        json_layout.addWidget(json_hint)
        json_layout.addWidget(self.json_editor, 1)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tool_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.form, "Definition")
        self.tabs.addTab(json_page, "JSON")
        self.tabs.addTab(self.responders, "Responders")
        self.tabs.setTabToolTip(TAB_DEFINITION, "Name, description and parameters as a form")
        self.tabs.setTabToolTip(TAB_JSON, "The same tool as raw JSON")
        self.tabs.setTabToolTip(TAB_RESPONDERS, "How calls of this tool are answered")

        self.lint_view = LintView(self.tool_list.icons, self)
        self.lint_view.location_activated.connect(self.go_to_location)
        self.lint_summary = self.lint_view.summary
        self.lint_list = self.lint_view.issues
        # JSON that cannot be applied is said at the top too, not "Lint: no problems".
        self.json_editor.error_changed.connect(self.lint_view.set_pending_error)

        horizontal = QSplitter(Qt.Orientation.Horizontal, self)
        horizontal.setChildrenCollapsible(False)
        horizontal.addWidget(self.tool_list)
        horizontal.addWidget(self.tabs)
        # The tabs give way first: tool names stay readable as long as the tabs fit.
        horizontal.setStretchFactor(0, 0)
        horizontal.setStretchFactor(1, 1)
        horizontal.setSizes([170, 620])
        vertical = QSplitter(Qt.Orientation.Vertical, self)
        vertical.setChildrenCollapsible(False)
        vertical.addWidget(horizontal)
        vertical.addWidget(self.lint_view)
        vertical.setStretchFactor(0, 5)
        vertical.setStretchFactor(1, 1)
        vertical.setSizes([560, 90])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self.toolbar.layout)
        # The summary sits above the editor, in sight at any dock height; the list of
        # issues (click one to go to its field) is below.
        layout.addWidget(self.lint_summary)
        layout.addWidget(vertical, 1)

        self.setTabOrder(self.tool_list, self.tabs)
        self.setTabOrder(self.tabs, self.lint_list)

        self._lint_timer = QTimer(self)
        self._lint_timer.setSingleShot(True)
        self._lint_timer.setInterval(150)
        self._lint_timer.timeout.connect(self.run_lint)
        # The core editor decides when an autosave is due; the UI only asks regularly.
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(500)
        self._autosave_timer.timeout.connect(self._autosave)
        self._autosave_timer.start()

        self._listener = self._on_editor_event
        editor.add_listener(self._listener)
        self.destroyed.connect(partial(_remove_listener, editor, self._listener))
        if bridge is not None:
            bridge.profile_changed.connect(self.run_lint)
        self._refresh(select=0 if len(editor.toolset) else -1)
        name_form_fields(self)
        # The first lint loads jsonschema (~50 ms): it runs on the lint timer, after the
        # window has been shown and painted, not while the app starts.
        self._lint_timer.start()

    # ------------------------------------------------------------------ public API
    @property
    def editor(self) -> ToolSetEditor:
        """The core editor model."""
        return self._editor

    def set_editor(self, editor: ToolSetEditor) -> None:
        """Edit another tool set document (with its own file, undo history and autosave)."""
        if editor is self._editor:
            return
        _remove_listener(self._editor, self._listener)
        self._editor = editor
        self.files.editor = editor
        editor.add_listener(self._listener)
        self.destroyed.connect(partial(_remove_listener, editor, self._listener))
        self._registered = None
        self._shown = -2
        self._refresh(select=0 if len(editor.toolset) else -1)
        self.run_lint()
        self.toolset_changed.emit(editor.toolset)

    def set_example_actions(self, actions: list[QAction]) -> None:
        """Offer ``actions`` (open a bundled example tool set) in the New menu."""
        self.toolbar.add_example_actions(actions)

    @property
    def lint_report(self) -> LintReport:
        """The latest lint report (errors in definitions block registration)."""
        return self._lint

    def current_index(self) -> int:
        """Index of the selected tool, or -1."""
        return self._current

    def current_entry(self) -> ToolEntry | None:
        """The selected tool."""
        tools = self._editor.toolset.tools
        return tools[self._current] if 0 <= self._current < len(tools) else None

    def select_tool(self, index: int) -> None:
        """Select the tool at ``index``."""
        self.tool_list.setCurrentRow(index)

    @Slot()
    def add_empty_tool(self) -> None:
        """Add a new tool without parameters and select it."""
        entry = empty_entry(entry.name for entry in self._editor.toolset)
        index = self._editor.add_tool(entry)
        self._select_after_change(index)
        self.tabs.setCurrentIndex(TAB_DEFINITION)
        self.form.name_edit.setFocus()
        self.form.name_edit.selectAll()

    def add_template(self, key: str) -> None:
        """Add a copy of the template tool ``key`` (see ``core.tool_templates``)."""
        index = self._editor.add_tool(new_entry(key))
        self._select_after_change(index)

    @Slot()
    def duplicate_tool(self) -> None:
        """Copy the selected tool."""
        if self.current_entry() is not None:
            self._select_after_change(self._editor.duplicate_tool(self._current))

    @Slot()
    def remove_tool(self) -> None:
        """Remove the selected tool (undoable)."""
        if self.current_entry() is None:
            return
        index = self._current
        entry = self._editor.remove_tool(index)
        self._select_after_change(min(index, len(self._editor.toolset) - 1))
        self.notification_requested.emit(
            f"Removed {entry.name or 'tool'} (Ctrl+Z brings it back)", "info"
        )

    def move_tool(self, offset: int) -> None:
        """Move the selected tool up (-1) or down (+1)."""
        target = self._current + offset
        if self.current_entry() is None or not 0 <= target < len(self._editor.toolset):
            return
        self._editor.move_tool(self._current, target)
        self._select_after_change(target)

    @Slot()
    def undo(self) -> None:
        """Undo the last edit of the tool set."""
        self._editor.undo()

    @Slot()
    def redo(self) -> None:
        """Redo the last undone edit."""
        self._editor.redo()

    @Slot()
    def save(self) -> None:
        """Save the tool set (asks for a file name the first time)."""
        if self._editor.path is None:
            self.choose_save_file(self, "tools.json", self.save_as)
            return
        self._save_to(None)

    def save_as(self, path: str) -> None:
        """Save the tool set to ``path`` (it becomes the file of this set)."""
        if path:
            self._save_to(Path(path))

    @Slot()
    def open_dialog(self) -> None:
        """Ask for a tool file and open it in place of the current set."""
        self.choose_open_file(self, self.open_file)

    def open_file(self, text: str) -> bool:
        """Open ``text`` in place of the current set, in any format ``respond`` accepts.

        A tools array from another tool is imported (every tool answered by hand) and has
        no file yet, so Save asks for a name: the foreign file is never overwritten. Emits
        ``document_opened(toolset, path or None, source path)``; the app swaps the editor
        and asks for consent to what the set runs. Returns False when it cannot be opened
        (the reason is shown, nothing changes).
        """
        return self.files.open_file(text)

    @Slot()
    def import_dialog(self) -> None:
        """Ask for files and import their tools."""
        self.choose_import_files(self, self.import_files)

    def export_dialog(self, fmt: ToolFormat) -> None:
        """Ask for a file name and export every tool in ``fmt``."""
        self.choose_export_file(
            self, fmt, self.files.export_name(fmt), partial(self.export_to, fmt=fmt)
        )

    def import_files(self, paths: list[str]) -> int:
        """Import the tools of every file in ``paths`` (one undo step per file).

        Returns the number of tools added. Problems are reported as notifications and in
        the returned count; nothing already in the set is changed by a failed import.
        """
        return self.files.import_files(paths)

    def export_to(self, path: str, fmt: ToolFormat) -> ExportResult | None:
        """Write every tool to ``path`` in ``fmt``; returns the result (None on failure)."""
        return self.files.export_to(path, fmt)

    def go_to_location(self, location: str) -> None:
        """Select the tool and field a lint location points at."""
        target = editor_target(location)
        if target is None:
            return
        self.select_tool(target.tool)
        if target.section == "responders":
            self.tabs.setCurrentIndex(TAB_RESPONDERS)
            if target.step is not None:
                self.chain_editor.select_step(target.step)
            self.chain_editor.steps_list.setFocus()
            return
        self.tabs.setCurrentIndex(TAB_DEFINITION)
        if target.section == "description":
            self.form.description_edit.setFocus()
        elif target.section == "notes":
            self.form.notes_edit.setFocus()
        elif target.section == "parameters":
            self._go_to_parameter(target.parameter, target.field)
        else:
            self.form.name_edit.setFocus()
            self.form.name_edit.selectAll()

    def fire_test_call(self, arguments_text: str | None = None) -> None:
        """Run a synthetic call of the selected tool through its chain (in the background)."""
        entry = self.current_entry()
        if entry is None:
            return
        text = self.test_box.arguments_text() if arguments_text is None else arguments_text
        self.preview.fire(entry, text)

    @Slot()
    def trust_selected_script(self) -> None:
        """Trust the script of the selected step (explicit user action)."""
        self.responders.trust_selected_script()

    # ------------------------------------------------------------------ Qt overrides
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if json_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = json_paths(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_files(paths)

    # ------------------------------------------------------------------ editor → view
    @Slot()
    def _autosave(self) -> None:
        self._editor.autosave_if_due()

    def _on_editor_event(self, event: EditorEvent) -> None:
        if event.kind is EditorEventKind.CHANGED:
            self._refresh(select=self._current)
            self.toolset_changed.emit(self._editor.toolset)
        elif event.kind is EditorEventKind.SAVE_FAILED:
            self.notification_requested.emit(event.message, "error")
        elif event.kind is EditorEventKind.SAVED and not event.autosave:
            self.notification_requested.emit(f"Saved {Path(event.message).name}", "success")
        self._update_title()

    def _refresh(self, select: int) -> None:
        toolset = self._editor.toolset
        count = len(toolset)
        select = max(-1, min(select, count - 1)) if count else -1
        self.tool_list.show_tools(toolset, self._lint, select)
        self._current = select
        self._show_current()
        self._update_buttons()
        self._update_title()
        self._lint_timer.start()
        definitions = toolset.definitions()
        if definitions != self._registered:
            self._registered = definitions
            self.tools_changed.emit(definitions)

    def _show_current(self) -> None:
        entry = self.current_entry()
        switched = self._current != self._shown
        self._shown = self._current
        self.form.set_entry(entry)
        self.tabs.setEnabled(entry is not None)
        if entry is None:
            self.json_editor.set_value({})
            self.chain_editor.set_chain(ResponderChain.manual_only())
            return
        self.json_editor.set_value(entry_to_json(entry))
        self.chain_editor.set_chain(entry.chain)
        self.preview.update(entry, reset_test_arguments=switched)
        self.responders.update_script_trust()

    def _update_buttons(self) -> None:
        self.toolbar.update(self._editor, self._current)

    def _update_title(self) -> None:
        self.toolbar.update_title(self._editor)

    def _select_after_change(self, index: int) -> None:
        self.tool_list.setCurrentRow(index)

    # ------------------------------------------------------------------ view → editor
    @Slot(int)
    def _on_tool_selected(self, row: int) -> None:
        self._current = row
        self._show_current()
        self._update_buttons()

    def _on_form_edited(self, entry: ToolEntry, field: str) -> None:
        if self.current_entry() is None:
            return
        self._editor.update_tool(
            self._current,
            entry,
            label=f"Edit {field} of {entry.name or 'tool'}",
            coalesce_key=f"tools[{self._current}].{field}",
        )

    def _on_json_edited(self, value: Any) -> None:
        if self.current_entry() is None:
            return
        try:
            entry = entry_from_json(value, f"tools[{self._current}]")
        except ConfigError as error:
            self.json_editor.show_error(str(error))
            return
        self._editor.update_tool(
            self._current,
            entry,
            label=f"Edit JSON of {entry.name or 'tool'}",
            coalesce_key=f"tools[{self._current}].json",
        )

    def _on_chain_edited(self, chain: ResponderChain) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        self._editor.update_tool(
            self._current,
            entry.replace(chain=chain),
            label=f"Edit responders of {entry.name or 'tool'}",
            coalesce_key=f"tools[{self._current}].responders",
        )
        self.responders.update_script_trust()

    # ------------------------------------------------------------------ lint
    @Slot()
    def run_lint(self) -> None:
        """Lint the tool set now (also runs 150 ms after every change)."""
        self._lint_timer.stop()
        provider = self._bridge.profile.provider if self._bridge is not None else None
        report = lint_toolset(self._editor.toolset, provider)
        self._lint = report
        self.tool_list.restyle(self._editor.toolset, report)
        self.lint_view.show_report(report, self._editor.toolset.tools)
        self.lint_changed.emit(report)

    def lint_issues_for_current(self) -> list[LintIssue]:
        """Lint issues of the selected tool."""
        return self._lint.for_tool(self._current) if self._current >= 0 else []

    def _go_to_parameter(self, path: tuple[str, ...], field: str | None) -> None:
        editor = self.form.parameters
        if path:
            editor.select_path(path)
        else:
            editor.tree.setFocus()
            return
        target = {
            "enum": editor.enum_edit,
            "default": editor.default_edit,
            "description": editor.description_edit,
            "type": editor.type_combo,
            "required": editor.required_check,
        }.get(field or "", editor.name_edit)
        target.setFocus()

    # ------------------------------------------------------------------ helpers
    def _script_context(self) -> tuple[ToolEntry | None, Path | None]:
        path = self._editor.path
        return self.current_entry(), path.parent if path is not None else None

    # ------------------------------------------------------------------ saving
    def _save_to(self, path: Path | None) -> None:
        self.files.save_to(path)
        self._update_title()


def _remove_listener(
    editor: ToolSetEditor, listener: Callable[[EditorEvent], None], *args: Any
) -> None:
    del args
    with contextlib.suppress(ValueError):  # already removed
        editor.remove_listener(listener)


__all__ = [
    "MAX_IMPORT_BYTES",
    "TAB_DEFINITION",
    "TAB_JSON",
    "TAB_RESPONDERS",
    "ScriptTrustStore",
    "ToolFileStore",
    "ToolsPanel",
    "location_tokens",
]
