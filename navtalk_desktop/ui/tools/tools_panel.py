"""ToolsPanel: the tool set editor — tool list, form, raw JSON, responders, lint, import/export."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.responders.chain import ChainRunner, fire_test_call
from navtalk_desktop.core.responders.config import ResponderChain, ResponderKind, ScriptConfig
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.formats import ExportResult, ImportResult, ToolFormat
from navtalk_desktop.core.tools.lint import LintIssue, LintReport, Severity, lint_toolset
from navtalk_desktop.core.tools.schema_sample import sample_arguments
from navtalk_desktop.core.tools.templates import TEMPLATES, new_entry
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet, entry_from_json, entry_to_json
from navtalk_desktop.ui.shell.session_bridge import SessionBridge
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.responder_editor import ResponderChainEditor
from navtalk_desktop.ui.tools.tool_form import ToolForm
from navtalk_desktop.ui.tools.try_call_box import TestCallBox
from navtalk_desktop.ui.widgets.flow_layout import FlowLayout
from navtalk_desktop.ui.widgets.json_editor import JsonEditor
from navtalk_desktop.ui.widgets.throttle import Throttle

TAB_DEFINITION, TAB_JSON, TAB_RESPONDERS = range(3)
MAX_IMPORT_BYTES = 5_000_000
# One token of a lint location: ".name", "[3]" or "['odd key']".
_LOCATION_TOKEN = re.compile(
    r"\.?(?P<name>[A-Za-z_$][A-Za-z0-9_$\-]*)|\[(?P<index>-?\d+)\]|\[(?P<quoted>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]"
)
_FIELD_AFTER_PARAMETER = {"enum", "default", "description", "type", "required"}


class OpenedTools(Protocol):
    """A tool file as opened by :meth:`ToolFileStore.open_file`."""

    @property
    def toolset(self) -> ToolSet:
        """The tools (a tool set, or imported tools with manual responders)."""
        ...

    @property
    def format(self) -> ToolFormat:
        """The format the file was in."""
        ...

    @property
    def imported(self) -> bool:
        """Whether the file was another format than a tool set."""
        ...


class ToolFileStore(Protocol):
    """Reads and writes tool files (``infra.toolset_file.ToolSetFileStore``)."""

    def open_file(self, path: Path) -> OpenedTools:
        """Open a tool set or a tools array in any format ``respond --tools`` accepts.

        Raises OSError or ConfigError.
        """
        ...

    def import_file(self, path: Path, fmt: ToolFormat | None = None) -> ImportResult:
        """Read tools from ``path`` (format detected). Raises OSError or ConfigError."""
        ...

    def export_file(self, path: Path, tools: ToolSet, fmt: ToolFormat) -> ExportResult:
        """Write ``tools`` to ``path`` atomically in ``fmt``. Raises OSError."""
        ...


class ScriptTrustStore(Protocol):
    """Which script files may run (``infra.toolset_file.ScriptTrustFile``)."""

    def is_trusted(self, path: Path) -> bool:
        """Whether the file, at its real path, with its current content, was trusted."""
        ...

    def trust(self, path: Path) -> str:
        """Trust the file's current content at its real path; returns its hash. Raises OSError."""
        ...


def location_tokens(location: str) -> list[str | int]:
    """Split a lint location (``tools[0].parameters.properties.city.enum[1]``) into keys."""
    tokens: list[str | int] = []
    position = 0
    while position < len(location):
        match = _LOCATION_TOKEN.match(location, position)
        if match is None or match.end() == position:
            break
        if match.group("name") is not None:
            tokens.append(match.group("name"))
        elif match.group("index") is not None:
            tokens.append(int(match.group("index")))
        else:
            tokens.append(match.group("quoted")[1:-1])
        position = match.end()
    return tokens


def _dot_icon(colour: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(colour)))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class ToolsPanel(QWidget):
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
        bridge: SessionBridge | None = None,
        script_trust: ScriptTrustStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ToolsPanel")
        self.setAcceptDrops(True)
        self._editor = editor
        self._tasks = tasks
        self._files = files
        self._runner = runner
        self._bridge = bridge
        self._script_trust = script_trust
        self._current = -1
        self._shown = -2  # the tool whose arguments the test box holds
        self._lint = LintReport(())
        self._registered: list[ToolDefinition] | None = None
        self._icons: dict[str, QIcon] = {}

        self._build_toolbar()
        self.tool_list = QListWidget(self)
        self.tool_list.setObjectName("tool_list")
        self.tool_list.setToolTip("Tools of this set. Drop .json files here to import them.")
        self.tool_list.setMinimumWidth(110)
        self.tool_list.setIconSize(QSize(10, 10))
        self.tool_list.currentRowChanged.connect(self._on_tool_selected)

        self.form = ToolForm(self)
        self.form.entry_edited.connect(self._on_form_edited)
        self.json_editor = JsonEditor(self)
        self.json_editor.setObjectName("tool_json")
        self.json_editor.value_changed.connect(self._on_json_edited)
        self.chain_editor = ResponderChainEditor(self)
        self.chain_editor.setObjectName("chain_editor")
        self.chain_editor.chain_changed.connect(self._on_chain_edited)
        self.chain_editor.steps_list.currentRowChanged.connect(self._update_script_trust)
        self.trust_button = QToolButton(self)
        self.trust_button.setObjectName("trust_script")
        self.trust_button.setText("Trust this script")
        self.trust_button.setToolTip(
            "Allow this exact file content to run from this folder. Editing the file (or a "
            "copy elsewhere) makes it untrusted again."
        )
        self.trust_button.clicked.connect(self.trust_selected_script)
        script_layout = self.chain_editor.script_page.layout()
        assert script_layout is not None
        script_layout.addWidget(self.trust_button)
        # Webhooks send call data: a host gets it only once allowed (see consent_dialog).
        self.review_trust_button = QToolButton(self)
        self.review_trust_button.setObjectName("review_trust")
        self.review_trust_button.setText("Review trust…")
        self.review_trust_button.setToolTip(
            "Show the scripts this tool set runs and the hosts its webhooks call, and allow "
            "them. Loopback hosts (this computer) need no consent."
        )
        self.review_trust_button.clicked.connect(self.trust_review_requested)
        webhook_layout = self.chain_editor.pages[ResponderKind.WEBHOOK].layout()
        assert webhook_layout is not None
        webhook_layout.addWidget(self.review_trust_button)
        self.test_box = TestCallBox(self)
        self.test_box.fire_requested.connect(self.fire_test_call)
        self.test_box.reset_requested.connect(self._reset_test_arguments)
        self.test_box.fire_button.setEnabled(runner is not None)
        if runner is None:
            self.test_box.fire_button.setToolTip("No responder runner is configured")

        responders = QWidget(self)
        responders_layout = QVBoxLayout(responders)
        responders_layout.setContentsMargins(6, 6, 6, 6)
        responders_splitter = QSplitter(Qt.Orientation.Vertical, responders)
        responders_splitter.setChildrenCollapsible(False)
        responders_splitter.addWidget(self.chain_editor)
        responders_splitter.addWidget(self.test_box)
        responders_splitter.setStretchFactor(0, 3)
        responders_splitter.setStretchFactor(1, 2)
        responders_layout.addWidget(responders_splitter)

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
        self.tabs.addTab(responders, "Responders")
        self.tabs.setTabToolTip(TAB_DEFINITION, "Name, description and parameters as a form")
        self.tabs.setTabToolTip(TAB_JSON, "The same tool as raw JSON")
        self.tabs.setTabToolTip(TAB_RESPONDERS, "How calls of this tool are answered")

        self.lint_summary = QLabel(self)
        self.lint_summary.setObjectName("lint_summary")
        self.lint_summary.setWordWrap(True)
        self.lint_list = QListWidget(self)
        self.lint_list.setObjectName("lint_list")
        self.lint_list.setToolTip("Problems in the tool set; click one to go to the field")
        self.lint_list.setIconSize(QSize(10, 10))
        self.lint_list.setWordWrap(True)
        self.lint_list.itemClicked.connect(self._on_lint_clicked)
        self.lint_list.itemActivated.connect(self._on_lint_clicked)

        lint_box = QWidget(self)
        lint_layout = QVBoxLayout(lint_box)
        lint_layout.setContentsMargins(0, 0, 0, 0)
        lint_layout.setSpacing(2)
        lint_layout.addWidget(self.lint_summary)
        lint_layout.addWidget(self.lint_list, 1)

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
        vertical.addWidget(lint_box)
        vertical.setStretchFactor(0, 5)
        vertical.setStretchFactor(1, 1)
        vertical.setSizes([560, 90])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._toolbar)
        layout.addWidget(vertical, 1)

        self.setTabOrder(self.tool_list, self.tabs)
        self.setTabOrder(self.tabs, self.lint_list)

        self._undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self)
        self._undo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._undo_shortcut.activated.connect(self.undo)
        self._redo_shortcut = QShortcut(self)
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]
        redo_keys += [
            k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo) if k not in redo_keys
        ]
        self._redo_shortcut.setKeys(redo_keys)
        self._redo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._redo_shortcut.activated.connect(self.redo)
        self._save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self._save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._save_shortcut.activated.connect(self.save)

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
        self._preview_throttle = Throttle(self._preview_last_call, parent=self)
        if bridge is not None:
            bridge.call_received.connect(self._on_bridge_call_received)
            bridge.profile_changed.connect(self.run_lint)
        self._refresh(select=0 if len(editor.toolset) else -1)
        # The first lint loads jsonschema (~50 ms): it runs on the lint timer, after the
        # window has been shown and painted, not while the app starts.
        self._lint_timer.start()

    # ------------------------------------------------------------------ toolbar
    def _build_toolbar(self) -> None:
        def button(text: str, tip: str, slot: Callable[[], Any], name: str) -> QToolButton:
            widget = QToolButton(self)
            widget.setText(text)
            widget.setToolTip(tip)
            widget.setObjectName(name)
            widget.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            widget.clicked.connect(slot)
            return widget

        self.new_button = QToolButton(self)
        self.new_button.setObjectName("new_tool")
        self.new_button.setText("New ▾")
        self.new_button.setToolTip("Add an empty tool or one from a template")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.templates_menu = QMenu(self.new_button)
        self.templates_menu.setToolTipsVisible(True)
        empty = self.templates_menu.addAction("Empty tool")
        empty.triggered.connect(self.add_empty_tool)
        self.templates_menu.addSeparator()
        for item in TEMPLATES:
            action = self.templates_menu.addAction(item.title)
            action.setToolTip(f"Example: “{item.use_case}”")
            action.setData(item.key)
            action.triggered.connect(partial(self.add_template, item.key))
        self.new_button.setMenu(self.templates_menu)

        self.duplicate_button = button(
            "Duplicate", "Copy the selected tool", self.duplicate_tool, "duplicate_tool"
        )
        self.remove_button = button(
            "Remove", "Remove the selected tool", self.remove_tool, "remove_tool"
        )
        self.up_button = button(
            "▲", "Move the selected tool up", partial(self.move_tool, -1), "tool_up"
        )
        self.down_button = button(
            "▼", "Move the selected tool down", partial(self.move_tool, 1), "tool_down"
        )
        self.open_button = button(
            "Open…",
            "Open a tool set file in place of this one. Tools arrays in any format\n"
            "Import reads are opened too: Save then asks for a new name.",
            self.open_dialog,
            "open_toolset",
        )
        # The same action in the File menu (the app puts it there).
        self.open_action = QAction("Open Tool Set…", self)
        self.open_action.setObjectName("action_open_toolset")
        self.open_action.triggered.connect(self.open_dialog)
        self.import_button = button(
            "Import…",
            "Add tools from a file: Realtime, Chat Completions, MCP, web SDK or a tool set\n"
            "(you can also drop .json files on this panel)",
            self.import_dialog,
            "import_tools",
        )
        self.export_button = QToolButton(self)
        self.export_button.setObjectName("export_tools")
        self.export_button.setText("Export ▾")
        self.export_button.setToolTip("Write the tools in another format")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        for fmt in ToolFormat:
            action = export_menu.addAction(fmt.label + "…")
            action.triggered.connect(partial(self.export_dialog, fmt))
        self.export_button.setMenu(export_menu)
        self.save_button = button(
            "Save", "Save the tool set file (Ctrl+S)", self.save, "save_toolset"
        )
        self.undo_button = button("Undo", "Undo (Ctrl+Z)", self.undo, "undo")
        self.redo_button = button("Redo", "Redo (Ctrl+Shift+Z)", self.redo, "redo")
        self.title_label = QLabel(self)
        self.title_label.setObjectName("toolset_title")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Long set names and paths wrap instead of widening the panel.
        self.title_label.setWordWrap(True)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        # Three groups that wrap onto further rows when the dock is narrow: the panel's
        # minimum width is then that of its widest group, not of every button together.
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
        bar = FlowLayout(spacing=10)
        for group in groups:
            box = QWidget(self)
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            for widget in group:
                row.addWidget(widget)
            bar.addWidget(box)
        bar.addWidget(self.title_label)
        self._toolbar = bar

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
        editor.add_listener(self._listener)
        self.destroyed.connect(partial(_remove_listener, editor, self._listener))
        self._registered = None
        self._shown = -2
        self._refresh(select=0 if len(editor.toolset) else -1)
        self.run_lint()
        self.toolset_changed.emit(editor.toolset)

    def set_example_actions(self, actions: list[QAction]) -> None:
        """Offer ``actions`` (open a bundled example tool set) in the New menu."""
        if not actions:
            return
        self.templates_menu.addSeparator()
        examples = self.templates_menu.addMenu("Open Example Tool Set")
        examples.setObjectName("examples_submenu")
        examples.setToolTipsVisible(True)
        for action in actions:
            examples.addAction(action)

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
        """Add a new tool with one string parameter and select it."""
        names = {entry.name for entry in self._editor.toolset}
        name, counter = "new_tool", 2
        while name in names:
            name, counter = f"new_tool_{counter}", counter + 1
        tool = ToolDefinition(
            name,
            "",
            {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What the user asked for"}
                },
                "required": ["query"],
            },
        )
        index = self._editor.add_tool(ToolEntry(tool=tool))
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
        if not text:
            return False
        path = Path(text)
        try:
            size = path.stat().st_size
            if size > MAX_IMPORT_BYTES:
                self.notification_requested.emit(
                    f"Cannot open {path.name}: {size / 1e6:.0f} MB is far too large for a "
                    f"tool file (limit {MAX_IMPORT_BYTES // 1_000_000} MB)",
                    "error",
                )
                return False
            opened = self._files.open_file(path)
        except ConfigError as error:
            self.notification_requested.emit(f"Cannot open {path.name}: {error}", "error")
            return False
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot read {path.name}: {reason}", "error")
            return False
        self.document_opened.emit(opened.toolset, None if opened.imported else path, str(path))
        if opened.imported:
            count = len(opened.toolset.tools)
            self.notification_requested.emit(
                f"Imported {count} tool{'s' * (count != 1)} from {path.name} "
                f"({opened.format.label}); every call is answered by hand until you add "
                "responders. Save stores them as a tool set under a new name; the file itself "
                "is not changed.",
                "info",
            )
        return True

    @Slot()
    def import_dialog(self) -> None:
        """Ask for files and import their tools."""
        self.choose_import_files(self, self.import_files)

    def export_dialog(self, fmt: ToolFormat) -> None:
        """Ask for a file name and export every tool in ``fmt``."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", self._editor.toolset.name).strip("-") or "tools"
        self.choose_export_file(
            self, fmt, f"{stem}.{fmt.value}.json", partial(self.export_to, fmt=fmt)
        )

    def import_files(self, paths: list[str]) -> int:
        """Import the tools of every file in ``paths`` (one undo step per file).

        Returns the number of tools added. Problems are reported as notifications and in
        the returned count; nothing already in the set is changed by a failed import.
        """
        added = 0
        for text in paths:
            path = Path(text)
            try:
                # Reading happens on the GUI thread: fine for tool files (kilobytes), so
                # anything far larger is refused instead of freezing the window.
                size = path.stat().st_size
                if size > MAX_IMPORT_BYTES:
                    self.notification_requested.emit(
                        f"Cannot import {path.name}: {size / 1e6:.0f} MB is far too large for "
                        f"a tool file (limit {MAX_IMPORT_BYTES // 1_000_000} MB)",
                        "error",
                    )
                    continue
                result = self._files.import_file(path)
            except ConfigError as error:
                self.notification_requested.emit(f"Cannot import {path.name}: {error}", "error")
                continue
            except OSError as error:
                reason = error.strerror or str(error)
                self.notification_requested.emit(f"Cannot read {path.name}: {reason}", "error")
                continue
            if not result.entries:
                self.notification_requested.emit(f"{path.name} contains no tools", "warning")
                continue
            toolset = self._editor.toolset
            variables = dict(toolset.variables)
            if result.toolset is not None:
                # Keep the current values; bring in the variables the new tools need.
                variables = {**dict(result.toolset.variables), **variables}
            first = len(toolset)
            self._editor.apply(
                f"Import {path.name}",
                toolset.replace(tools=[*toolset.tools, *result.entries], variables=variables),
            )
            added += len(result.entries)
            self._select_after_change(first)
            # The imported tools are data until the user agrees to what they run.
            self.tools_imported.emit(
                ToolSet(name=path.name, tools=tuple(result.entries), variables=variables),
                str(path),
            )
            count = len(result.entries)
            message = f"Imported {count} tool{'s' * (count != 1)} from {path.name} ({result.format.label})"
            if result.dropped:
                details = "; ".join(str(item) for item in result.dropped[:5])
                more = f" (+{len(result.dropped) - 5} more)" if len(result.dropped) > 5 else ""
                self.notification_requested.emit(
                    f"{message}. Not carried over: {details}{more}", "warning"
                )
            else:
                self.notification_requested.emit(message, "success")
        return added

    def export_to(self, path: str, fmt: ToolFormat) -> ExportResult | None:
        """Write every tool to ``path`` in ``fmt``; returns the result (None on failure)."""
        if not path:
            return None
        target = Path(path)
        try:
            result = self._files.export_file(target, self._editor.toolset, fmt)
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot write {target.name}: {reason}", "error")
            return None
        if result.dropped:
            details = "; ".join(str(item) for item in result.dropped[:5])
            self.notification_requested.emit(
                f"Exported to {target.name} ({fmt.label}); not part of this format: {details}",
                "warning",
            )
        else:
            self.notification_requested.emit(f"Exported to {target.name} ({fmt.label})", "success")
        return result

    def go_to_location(self, location: str) -> None:
        """Select the tool and field a lint location points at."""
        tokens = location_tokens(location)
        if len(tokens) < 2 or tokens[0] != "tools" or not isinstance(tokens[1], int):
            return
        self.select_tool(tokens[1])
        rest = tokens[2:]
        head = rest[0] if rest else "name"
        if head == "responders":
            self.tabs.setCurrentIndex(TAB_RESPONDERS)
            if len(rest) >= 3 and rest[1] == "steps" and isinstance(rest[2], int):
                self.chain_editor.select_step(rest[2])
            self.chain_editor.steps_list.setFocus()
            return
        self.tabs.setCurrentIndex(TAB_DEFINITION)
        if head == "name" or head not in ("description", "notes", "parameters"):
            self.form.name_edit.setFocus()
            self.form.name_edit.selectAll()
        elif head == "description":
            self.form.description_edit.setFocus()
        elif head == "notes":
            self.form.notes_edit.setFocus()
        else:
            self._go_to_parameter(rest[1:])

    def fire_test_call(self, arguments_text: str | None = None) -> None:
        """Run a synthetic call of the selected tool through its chain (in the background)."""
        entry = self.current_entry()
        if entry is None or self._runner is None:
            return
        text = self.test_box.arguments_text() if arguments_text is None else arguments_text
        self.test_box.set_running(True)
        self._tasks.start(self._run_test_call(entry, text), name=f"test-call-{entry.name}")

    @Slot()
    def trust_selected_script(self) -> None:
        """Trust the script of the selected step (explicit user action)."""
        path = self._selected_script_path()
        if path is None or self._script_trust is None:
            return
        try:
            self._script_trust.trust(path)
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot trust {path.name}: {reason}", "error")
        else:
            self.notification_requested.emit(f"{path.name} may now run as a responder", "success")
        self._update_script_trust()

    # ------------------------------------------------------------------ dialogs
    @classmethod
    def choose_open_file(cls, parent: QWidget, on_chosen: Callable[[str], object]) -> None:
        """Non-modal open dialog for a tool file (tests replace this classmethod)."""
        dialog = QFileDialog(parent, "Open tool set", "", "JSON (*.json);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_import_files(cls, parent: QWidget, on_chosen: Callable[[list[str]], object]) -> None:
        """Non-modal open dialog (tests replace this classmethod)."""
        dialog = QFileDialog(parent, "Import tools", "", "JSON (*.json);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_export_file(
        cls, parent: QWidget, fmt: ToolFormat, suggested: str, on_chosen: Callable[[str], object]
    ) -> None:
        """Non-modal save dialog for an export (tests replace this classmethod)."""
        dialog = QFileDialog(parent, f"Export as {fmt.label}", suggested, "JSON (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_save_file(
        cls, parent: QWidget, suggested: str, on_chosen: Callable[[str], None]
    ) -> None:
        """Non-modal save dialog for the tool set file (tests replace this classmethod)."""
        dialog = QFileDialog(parent, "Save tool set", suggested, "Tool set (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    # ------------------------------------------------------------------ Qt overrides
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if _json_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = _json_paths(event.mimeData().urls())
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
        self.tool_list.blockSignals(True)
        try:
            while self.tool_list.count() > count:
                self.tool_list.takeItem(self.tool_list.count() - 1)
            while self.tool_list.count() < count:
                self.tool_list.addItem(QListWidgetItem())
            for index, entry in enumerate(toolset.tools):
                self._style_item(self.tool_list.item(index), index, entry)
            self.tool_list.setCurrentRow(select)
        finally:
            self.tool_list.blockSignals(False)
        self._current = select
        self._show_current()
        self._update_buttons()
        self._update_title()
        self._lint_timer.start()
        definitions = toolset.definitions()
        if definitions != self._registered:
            self._registered = definitions
            self.tools_changed.emit(definitions)

    def _style_item(self, item: QListWidgetItem, index: int, entry: ToolEntry) -> None:
        text = entry.name or "(unnamed)"
        if not entry.enabled:
            text += "  (disabled)"
        item.setText(text)
        font = item.font()
        font.setItalic(not entry.enabled)
        item.setFont(font)
        theme = colors(self.palette())
        item.setForeground(QColor(theme.muted_text if not entry.enabled else theme.text))
        issues = self._lint.for_tool(index)
        errors = sum(1 for issue in issues if issue.severity is Severity.ERROR)
        warnings = len(issues) - errors
        if errors:
            item.setIcon(self._icon(theme.error))
        elif warnings:
            item.setIcon(self._icon(theme.warning))
        else:
            item.setIcon(self._icon(theme.success))
        tip = entry.tool.description.strip() or "No description"
        if issues:
            tip += f"\n\n{errors} error(s), {warnings} warning(s)"
        item.setToolTip(tip)

    def _icon(self, colour: str) -> QIcon:
        icon = self._icons.get(colour)
        if icon is None:
            icon = self._icons[colour] = _dot_icon(colour)
        return icon

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
        self._update_preview(entry, reset_test_arguments=switched)
        self._update_script_trust()

    def _update_buttons(self) -> None:
        has = self.current_entry() is not None
        count = len(self._editor.toolset)
        self.duplicate_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and self._current > 0)
        self.down_button.setEnabled(has and self._current < count - 1)
        self.export_button.setEnabled(count > 0)
        self.undo_button.setEnabled(self._editor.can_undo)
        self.redo_button.setEnabled(self._editor.can_redo)
        self.undo_button.setToolTip(
            f"Undo {self._editor.undo_label} (Ctrl+Z)"
            if self._editor.can_undo
            else "Nothing to undo"
        )
        self.redo_button.setToolTip(
            f"Redo {self._editor.redo_label} (Ctrl+Shift+Z)"
            if self._editor.can_redo
            else "Nothing to redo"
        )

    def _update_title(self) -> None:
        toolset = self._editor.toolset
        path = self._editor.path
        where = path.name if path is not None else "not saved yet"
        dirty = " •" if self._editor.dirty else ""
        self.title_label.setText(
            f"<b>{_escape(toolset.name)}</b>{dirty}  <span>— {_escape(where)}</span>"
        )
        self.title_label.setToolTip(
            str(path) if path is not None else "This tool set has no file yet"
        )

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
        self._update_script_trust()

    # ------------------------------------------------------------------ lint
    @Slot()
    def run_lint(self) -> None:
        """Lint the tool set now (also runs 150 ms after every change)."""
        self._lint_timer.stop()
        provider = self._bridge.profile.provider if self._bridge is not None else None
        report = lint_toolset(self._editor.toolset, provider)
        self._lint = report
        for index, entry in enumerate(self._editor.toolset.tools):
            item = self.tool_list.item(index)
            if item is not None:
                self._style_item(item, index, entry)
        self._show_lint(report)
        self.lint_changed.emit(report)

    def _show_lint(self, report: LintReport) -> None:
        theme = colors(self.palette())
        self.lint_list.clear()
        tools = self._editor.toolset.tools
        for issue in report.issues:
            index = issue.tool_index
            name = tools[index].name if index is not None and index < len(tools) else ""
            where = re.sub(r"^tools\[\d+\]\.?", "", issue.location) or "tool"
            prefix = f"{name or '(unnamed)'} / {where}" if index is not None else issue.location
            item = QListWidgetItem(f"{prefix}: {issue.message}")
            colour = theme.error if issue.severity is Severity.ERROR else theme.warning
            item.setIcon(self._icon(colour))
            item.setToolTip(f"{issue.severity} at {issue.location} ({issue.code})\n{issue.message}")
            item.setData(Qt.ItemDataRole.UserRole, issue.location)
            self.lint_list.addItem(item)
        summary = report.summary()
        if report.blocks_sending:
            self.lint_summary.setText(
                f"<b style='color:{theme.error}'>Lint: {summary}</b> — errors block registering the tools"
            )
        elif report.issues:
            self.lint_summary.setText(f"<b style='color:{theme.warning}'>Lint: {summary}</b>")
        else:
            self.lint_summary.setText(
                f"<span style='color:{theme.success}'>Lint: no problems</span>"
            )

    @Slot(QListWidgetItem)
    def _on_lint_clicked(self, item: QListWidgetItem) -> None:
        location = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(location, str):
            self.go_to_location(location)

    def lint_issues_for_current(self) -> list[LintIssue]:
        """Lint issues of the selected tool."""
        return self._lint.for_tool(self._current) if self._current >= 0 else []

    def _go_to_parameter(self, tokens: list[str | int]) -> None:
        path: list[str] = []
        field: str | None = None
        position = 0
        while position < len(tokens):
            token = tokens[position]
            if (
                token == "properties"
                and position + 1 < len(tokens)
                and isinstance(tokens[position + 1], str)
            ):
                path.extend(["properties", str(tokens[position + 1])])
                position += 2
            elif token == "items":
                path.append("items")
                position += 1
            else:
                field = token if isinstance(token, str) else None
                break
        editor = self.form.parameters
        if path:
            editor.select_path(tuple(path))
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

    # ------------------------------------------------------------------ previews and test calls
    def _preview_source(self, entry: ToolEntry) -> tuple[dict[str, Any], str]:
        if self._bridge is not None:
            for call in reversed(list(self._bridge.calls)):
                if call.name == entry.name and call.arguments is not None:
                    return dict(call.arguments), f"the last call ({call.call_id or call.key})"
        return sample_arguments(entry.tool.parameters), "sample arguments from the schema"

    def _update_preview(self, entry: ToolEntry, reset_test_arguments: bool) -> None:
        arguments, source = self._preview_source(entry)
        self.chain_editor.template_page.set_preview_context(
            arguments, source, entry.name, dict(self._editor.toolset.variables)
        )
        if reset_test_arguments:
            self.test_box.set_arguments(arguments, source)

    @Slot()
    def _reset_test_arguments(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            arguments, source = self._preview_source(entry)
            self.test_box.set_arguments(arguments, source)

    @Slot(str)
    def _on_bridge_call_received(self, call_id: str) -> None:
        entry = self.current_entry()
        if entry is None or self._bridge is None:
            return
        call = self._bridge.calls.get(call_id)
        if call is not None and call.name == entry.name:
            # Under load calls arrive hundreds of times a second, and each new preview
            # context scans the call book: the preview follows a few times a second.
            self._preview_throttle.request()

    def _preview_last_call(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self._update_preview(entry, reset_test_arguments=False)

    async def _run_test_call(self, entry: ToolEntry, text: str) -> None:
        assert self._runner is not None
        try:
            outcome = await fire_test_call(
                self._runner, entry, text, variables=dict(self._editor.toolset.variables)
            )
        except Exception as error:  # noqa: BLE001  (shown in the box; the chain itself never raises)
            self.test_box.show_failure(f"Test call failed: {type(error).__name__}: {error}")
        else:
            self.test_box.show_result(outcome)
        finally:
            self.test_box.set_running(False)

    # ------------------------------------------------------------------ scripts
    def _selected_script_path(self) -> Path | None:
        entry = self.current_entry()
        row = self.chain_editor.steps_list.currentRow()
        if entry is None or not 0 <= row < len(entry.chain.steps):
            return None
        config = entry.chain.steps[row].config
        if not isinstance(config, ScriptConfig) or not config.path:
            return None
        path = Path(config.path).expanduser()
        if not path.is_absolute():
            base = self._editor.path.parent if self._editor.path is not None else Path.cwd()
            path = base / path
        return path

    @Slot()
    def _update_script_trust(self, *args: Any) -> None:
        del args
        entry = self.current_entry()
        row = self.chain_editor.steps_list.currentRow()
        is_script = (
            entry is not None
            and 0 <= row < len(entry.chain.steps)
            and entry.chain.steps[row].config.kind is ResponderKind.SCRIPT
        )
        page = self.chain_editor.script_page
        if not is_script:
            return
        path = self._selected_script_path()
        if path is None:
            page.show_trust(False, "Choose the script file.")
            self.trust_button.setEnabled(False)
            return
        if not path.is_file():
            page.show_trust(False, f"{path} does not exist (yet).")
            self.trust_button.setEnabled(False)
            return
        trusted = self._script_trust is not None and self._script_trust.is_trusted(path)
        if trusted:
            page.show_trust(
                True, f"Trusted: {path.name} may run (this exact content, in this folder)."
            )
        else:
            page.show_trust(
                False,
                f"Not trusted: {path.name} will not run until you trust it. Read it first — "
                "a script runs with your user's rights.",
            )
        self.trust_button.setEnabled(self._script_trust is not None and not trusted)

    # ------------------------------------------------------------------ saving
    def _save_to(self, path: Path | None) -> None:
        try:
            self._editor.save(path)
        except ValueError as error:
            self.notification_requested.emit(f"Cannot save: {error}", "error")
        self._update_title()


def _remove_listener(
    editor: ToolSetEditor, listener: Callable[[EditorEvent], None], *args: Any
) -> None:
    del args
    with contextlib.suppress(ValueError):  # already removed
        editor.remove_listener(listener)


def _json_paths(urls: list[Any]) -> list[str]:
    return [
        url.toLocalFile()
        for url in urls
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".json")
    ]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
