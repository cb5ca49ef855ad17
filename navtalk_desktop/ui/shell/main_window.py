"""MainWindow: the dockable shell that hosts every panel, its menus, shortcuts and status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.engine.events import CallSnapshot
from navtalk_desktop.core.licenses import NoticeLoader
from navtalk_desktop.ui.shell.dock_layout import DefaultDockLayout
from navtalk_desktop.ui.shell.help_windows import HelpWindows
from navtalk_desktop.ui.shell.notification_history import NotificationHistoryButton
from navtalk_desktop.ui.shell.notifications import LEVELS, NotificationCenter
from navtalk_desktop.ui.shell.status_bar import SessionStatusBar, describe_state
from navtalk_desktop.ui.shell.window_menus import MODE_ACTIONS, WindowMenus

# Annotations only: the window itself needs neither asyncio (tasks) nor the session stack.
if TYPE_CHECKING:
    from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
    from navtalk_desktop.ui.shell.tasks import TaskRunner
    from navtalk_desktop.ui.shell.theme import ThemeManager

log = logging.getLogger(__name__)

# Bump when the dock set changes so an old saved layout is not forced onto new docks.
LAYOUT_VERSION = 3
# Notifications about connecting carry this key; a successful connect resolves them.
CONNECTION_KEY = "connection"
CONNECTED_STATES = ("connected", "ready")


class MainWindow(QMainWindow):
    """Top-level window: panels as dock widgets, layout remembered between runs.

    Build it, then :meth:`attach` the session bridge and the panels; every action and
    shortcut comes from :class:`~navtalk_desktop.ui.shell.window_menus.WindowMenus` and is
    wired here; the help windows live in :class:`~navtalk_desktop.ui.shell.help_windows.HelpWindows`.

    A panel that is hidden at first (the Tools tab behind the Timeline) can be attached as
    a builder: its dock and tab exist at once, the panel itself is built when its dock is
    first shown or when :meth:`ensure_panel` asks for it, so it costs no start-up time.

    Signals:
        quit_requested(): the user closed the window or chose Quit; the app shuts down.
        example_requested(str): the user chose a bundled example tool set (its key) in
            the Examples menu; the app starts its services and opens it.
        first_painted(): the window has been painted for the first time (emitted once,
            just after that paint): work the first screen does not need can start now
            without delaying it.
    """

    quit_requested = Signal()
    example_requested = Signal(str)
    first_painted = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setObjectName("MainWindow")
        self.setWindowTitle("NavTalk Desktop")
        self.resize(1440, 880)
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.docks: dict[str, QDockWidget] = {}
        self.dock_layout = DefaultDockLayout(self, self.docks)
        self.panels: dict[str, QWidget] = {}
        # key -> builder of a panel whose dock holds a placeholder until it is needed.
        self._deferred: dict[str, Callable[[], QWidget]] = {}
        self.bridge: EngineAdapter | None = None
        self.theme_manager: ThemeManager | None = None
        self.notifications = NotificationCenter(self)
        self.status: SessionStatusBar | None = None
        self.notification_button: NotificationHistoryButton | None = None
        self._needs_sizing = False
        self._layout_pending = True
        self._restored = False
        self._painted = False
        # Watches for the first paint only; removed once it was seen.
        self.installEventFilter(self)
        self.menus = WindowMenus(self)
        # The window's own names for what the menus hold (the app and panels use them).
        self.actions_by_key: dict[str, QAction] = self.menus.actions_by_key
        self.quick_reply_actions = self.menus.quick_reply_actions
        self.reset_layout_action = self.menus.reset_layout_action
        self.about_action = self.menus.about_action
        self.licenses_action = self.menus.licenses_action
        self.replay_action = self.menus.replay_action
        self.file_menu = self.menus.file_menu
        self.view_menu = self.menus.view_menu
        self.panels_menu = self.menus.panels_menu
        self.theme_menu = self.menus.theme_menu
        self.examples_menu = self.menus.examples_menu
        self._theme_group = self.menus.theme_group
        self.example_actions: list[QAction] = []
        self.help_windows = HelpWindows(self, tasks, self.notifications, self.licenses_action)
        self._connect_actions()
        tasks.task_failed.connect(self._on_tasks_task_failed)
        self.statusBar().showMessage("Ready")

    # ------------------------------------------------------------------ actions & menus
    def _connect_actions(self) -> None:
        a = self.actions_by_key
        a["quit"].triggered.connect(self.quit_requested)
        a["shortcuts_help"].triggered.connect(self.show_shortcuts)
        for n, action in enumerate(self.quick_reply_actions, start=1):
            action.triggered.connect(
                lambda _checked=False, n=n: self.answer_next_with_quick_reply(n)
            )
        self.reset_layout_action.triggered.connect(self.reset_layout)
        self.menus.tools_beside_action.triggered.connect(self.show_tools_beside_timeline)
        self.about_action.triggered.connect(self.show_about)
        self.licenses_action.triggered.connect(self.show_licenses)
        for action in self._theme_group.actions():
            action.triggered.connect(partial(self._on_theme_chosen, str(action.data())))

    def set_examples(self, examples: list[tuple[str, str, str]]) -> None:
        """Offer bundled example tool sets: ``(key, title, description)`` each.

        Choosing one emits :attr:`example_requested`; the same actions are in
        :attr:`example_actions` for other menus (the Tools panel's).
        """
        self.example_actions = self.menus.set_examples(examples, self.example_requested.emit)

    # ------------------------------------------------------------------ panels
    def add_panel(
        self,
        key: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        scrollable: bool = False,
    ) -> QDockWidget:
        """Wrap ``widget`` in a dock named ``key`` (stable, so layouts can be restored).

        ``scrollable`` puts the panel in a scroll area, so a wide editor scrolls inside a
        narrow dock instead of forcing the whole window wider than the screen.
        """
        dock = self._add_dock(key, title, widget, area, scrollable=scrollable)
        self.panels[key] = widget
        return dock

    def add_deferred_panel(
        self,
        key: str,
        title: str,
        build: Callable[[], QWidget],
        area: Qt.DockWidgetArea,
        *,
        scrollable: bool = False,
    ) -> QDockWidget:
        """Like :meth:`add_panel`, but ``build()`` makes the panel only when it is needed.

        The dock (with its tab, menu entry and place in saved layouts) exists at once and
        holds an empty placeholder. The panel is built the first time the dock becomes
        visible (so a layout that shows it at start-up gets it before the first paint)
        or when :meth:`ensure_panel` asks for it, whichever comes first.
        """
        placeholder = QWidget()
        placeholder.setObjectName(f"placeholder_{key}")
        dock = self._add_dock(key, title, placeholder, area, scrollable=scrollable)
        self._deferred[key] = build
        dock.visibilityChanged.connect(partial(self._on_deferred_dock_visible, key))
        return dock

    def _on_deferred_dock_visible(self, key: str, visible: bool) -> None:
        if visible:
            self.ensure_panel(key)

    def ensure_panel(self, key: str) -> QWidget | None:
        """The panel ``key``, building a deferred one now; None if there is no such panel."""
        panel = self.panels.get(key)
        if panel is not None:
            return panel
        build = self._deferred.pop(key, None)
        if build is None:
            return None
        try:
            panel = build()
        except BaseException:
            self._deferred[key] = build  # the next request tries again
            raise
        dock = self.docks[key]
        scroll = dock.widget()
        if isinstance(scroll, QScrollArea):
            scroll.setWidget(panel)  # deletes the placeholder
        else:
            if scroll is not None:
                scroll.deleteLater()
            dock.setWidget(panel)
        self.panels[key] = panel
        signal = getattr(panel, "notification_requested", None)
        if signal is not None:
            signal.connect(self._on_panel_notification_requested)
        return panel

    def _add_dock(
        self,
        key: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        scrollable: bool,
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        if scrollable:
            scroll = QScrollArea()
            scroll.setAccessibleName(title)
            scroll.setObjectName(f"scroll_{key}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            dock.setWidget(scroll)
        else:
            dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        self.panels_menu.addAction(toggle)
        return dock

    def attach(
        self,
        bridge: EngineAdapter,
        *,
        connection: Any = None,
        timeline: Any = None,
        call_desk: Any = None,
        conversation: Any = None,
        tools: Any = None,
        build_tools: Callable[[], QWidget] | None = None,
    ) -> None:
        """Place the panels in their default layout and wire actions, status and notices.

        ``build_tools`` attaches the tool editor deferred (see :meth:`add_deferred_panel`)
        in place of a built ``tools`` panel: in the default layout its tab is behind the
        Timeline's, so it need not be built before the window is first shown.
        """
        self.bridge = bridge
        right = Qt.DockWidgetArea.RightDockWidgetArea
        if connection is not None:
            self.add_panel("connection", "Connection", connection, right)
        if timeline is not None:
            self.add_panel("timeline", "Timeline", timeline, right)
        if call_desk is not None:
            self.add_panel("call_desk", "Call Desk", call_desk, right)
        if conversation is not None:
            self.add_panel("conversation", "Conversation", conversation, right)
        if tools is not None:
            self.add_panel("tools", "Tools", tools, right, scrollable=True)
        elif build_tools is not None:
            self.add_deferred_panel("tools", "Tools", build_tools, right, scrollable=True)
        if "tools" in self.docks:
            # The tool editor needs room like the timeline does: a tab behind it by
            # default, beside it on View → Tools Beside Timeline.
            self.tab_by_default("timeline", "tools")
        self.place_default()
        self._needs_sizing = True

        status = SessionStatusBar(lambda: len(bridge.timeline), self)
        self.setStatusBar(status)
        self.status = status
        self.notification_button = NotificationHistoryButton(self.notifications, status)
        status.addPermanentWidget(self.notification_button)
        bridge.state_changed.connect(self._on_bridge_state_changed)
        bridge.call_updated.connect(self._on_bridge_call_updated)
        bridge.call_overdue.connect(self._on_bridge_call_overdue)
        bridge.error_reported.connect(self._on_bridge_error_reported)
        bridge.warning_reported.connect(lambda text: self.notifications.notify(text, "warning"))
        bridge.answer_mode_changed.connect(self._on_bridge_answer_mode_changed)
        bridge.profile_changed.connect(self._update_title)
        for panel in (connection, timeline, call_desk, conversation, tools):
            signal = getattr(panel, "notification_requested", None)
            if signal is not None:
                signal.connect(self._on_panel_notification_requested)
        self._wire_actions(bridge, connection, timeline, call_desk, conversation)
        self._on_bridge_answer_mode_changed(bridge.answer_mode)
        self._on_bridge_state_changed(bridge.state, "")

    def tab_by_default(self, anchor: str, key: str) -> None:
        """Put dock ``key`` in a tab behind dock ``anchor`` in the default layout."""
        self.dock_layout.tab_by_default(anchor, key)

    def place_default(self) -> None:
        """Put every dock where the default layout has it (see :class:`DefaultDockLayout`)."""
        self.dock_layout.place_default()

    def _size_docks(self) -> None:
        self.dock_layout.size_docks()

    @Slot()
    def show_tools_beside_timeline(self) -> None:
        """Split the Tools dock off the Timeline's tabs and put it to the Timeline's right."""
        self.dock_layout.show_tools_beside_timeline()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        if self._needs_sizing:
            self._needs_sizing = False
            # After the first layout pass: resizeDocks before it is settled is ignored.
            QTimer.singleShot(0, self._first_layout)

    @property
    def painted(self) -> bool:
        """Whether the window has been painted (``first_painted`` was emitted or is due)."""
        return self._painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self.removeEventFilter(self)
            # After this paint has finished, not inside it.
            QTimer.singleShot(0, self, self.first_painted.emit)
        return super().eventFilter(watched, event)

    @Slot()
    def _first_layout(self) -> None:
        if not self._restored:
            self._size_docks()
        # resizeDocks takes effect with the next layout pass, which is already posted.
        QTimer.singleShot(0, self, self._on_layout_settled)

    @Slot()
    def _on_layout_settled(self) -> None:
        self._layout_pending = False

    @property
    def layout_pending(self) -> bool:
        """Whether the default dock sizes are still to be applied (first show, reset)."""
        return self._layout_pending

    def _wire_actions(
        self,
        bridge: EngineAdapter,
        connection: Any,
        timeline: Any,
        call_desk: Any,
        conversation: Any,
    ) -> None:
        a = self.actions_by_key
        if connection is not None:
            a["connect"].triggered.connect(connection.toggle_connection)
        else:
            a["connect"].triggered.connect(
                lambda: (
                    bridge.disconnect_session() if bridge.is_active else bridge.connect_session()
                )
            )
        if timeline is not None:
            a["focus_search"].triggered.connect(
                lambda: self._focus_panel("timeline", timeline.focus_search)
            )
            a["clear_timeline"].triggered.connect(timeline.clear)
            a["export_jsonl"].triggered.connect(timeline.ask_export_jsonl)
            a["export_markdown"].triggered.connect(timeline.ask_export_markdown)
            a["import_jsonl"].triggered.connect(timeline.ask_import_jsonl)
        if conversation is not None:
            a["send_text"].triggered.connect(conversation.send_current_text)
            a["focus_message"].triggered.connect(
                lambda: self._focus_panel("conversation", conversation.setFocus)
            )
        for key, mode in MODE_ACTIONS.items():
            a[key].triggered.connect(lambda _c=False, m=mode: bridge.set_answer_mode(m))
        a["next_call"].triggered.connect(self.focus_next_call)

    def _focus_panel(self, key: str, then: Any) -> None:
        dock = self.docks.get(key)
        if dock is not None:
            dock.show()
            dock.raise_()
        then()

    # ------------------------------------------------------------------ call desk helpers
    def answer_next_with_quick_reply(self, n: int) -> None:
        """Ctrl+n: answer the oldest pending call with quick reply ``n`` (call desk)."""
        desk = self.panels.get("call_desk")
        answer = getattr(desk, "answer_next_with_quick_reply", None)
        if answer is None:
            self.notifications.notify("The call desk is not available.", "warning")
            return
        answer(n)  # the desk explains itself when nothing was sent

    @Slot()
    def focus_next_call(self) -> None:
        """Ctrl+J: show the call desk with the oldest unanswered call."""
        desk = self.panels.get("call_desk")
        self._focus_panel("call_desk", lambda: None)
        for name in ("focus_next_call", "focus_next_pending"):
            method = getattr(desk, name, None)
            if method is not None:
                method()
                return
        if desk is not None:
            desk.setFocus()

    # ------------------------------------------------------------------ bridge slots
    @Slot(str)
    def _on_bridge_error_reported(self, text: str) -> None:
        # Errors while not connected are about the connection: a successful connect
        # resolves them (a stale "Connect failed" must not outlive the problem).
        state = self.bridge.state if self.bridge is not None else ""
        connected = state in CONNECTED_STATES
        key = CONNECTION_KEY if not connected or text.startswith("Connect failed") else ""
        self.notifications.notify(text, "error", key=key)

    @Slot(str, str)
    def _on_bridge_state_changed(self, state: str, message: str) -> None:
        if state in CONNECTED_STATES:
            self.notifications.resolve(CONNECTION_KEY)
        if self.status is not None:
            self.status.set_state(state, message)
        self._update_title()
        action = self.actions_by_key["connect"]
        active = self.bridge is not None and self.bridge.is_active
        action.setText("&Disconnect" if active else "&Connect")

    @Slot()
    def _update_title(self) -> None:
        if self.bridge is None:
            return
        label, _ = describe_state(self.bridge.state)
        self.setWindowTitle(f"NavTalk Desktop — {self.bridge.profile.name} ({label})")

    @Slot(object)
    def _on_bridge_call_updated(self, call: CallSnapshot) -> None:
        if self.bridge is None or self.status is None:
            return
        if call.state not in (CallState.ANSWERED, CallState.FAILED):
            return
        self.status.set_last_answer(call.answer_latency_s, call.model_resume_latency_s)

    @Slot(object)
    def _on_bridge_call_overdue(self, call: CallSnapshot) -> None:
        name = call.name or call.key
        self.notifications.notify(f"Call {name} is overdue: the answer deadline passed.", "warning")

    @Slot(object)
    def _on_bridge_answer_mode_changed(self, mode: str) -> None:
        for key, value in MODE_ACTIONS.items():
            if value == mode:
                self.actions_by_key[key].setChecked(True)

    @Slot(str, str)
    def _on_panel_notification_requested(self, first: str, second: str) -> None:
        # Panels emit (level, text) or (text, level); a level is one of a few known words.
        level, text = (
            (first, second) if first in LEVELS and second not in LEVELS else (second, first)
        )
        self.notifications.notify(text, level)

    @Slot(str, str)
    def _on_tasks_task_failed(self, name: str, error: str) -> None:
        self.notifications.notify(f"{name} failed: {error}", "error")

    # ------------------------------------------------------------------ theme
    def set_theme_manager(self, manager: ThemeManager) -> None:
        """Let View ▸ Theme switch between system, light and dark."""
        self.theme_manager = manager
        for action in self._theme_group.actions():
            action.setChecked(action.data() == manager.preference)

    def _on_theme_chosen(self, preference: str, _checked: bool = False) -> None:
        self.set_theme_preference(preference)

    def set_theme_preference(self, preference: str) -> None:
        """Apply and remember a theme preference."""
        if self.theme_manager is not None:
            self.theme_manager.set_preference(preference)
        for action in self._theme_group.actions():
            action.setChecked(action.data() == preference)

    # ------------------------------------------------------------------ help
    @Slot()
    def show_shortcuts(self) -> None:
        """Show the keyboard shortcut overview (non-modal)."""
        self.help_windows.show_shortcuts()

    @Slot()
    def show_about(self) -> None:
        """A short non-modal note about the app."""
        self.help_windows.show_about()

    def set_license_loader(self, loader: NoticeLoader) -> None:
        """Where Help → Licenses gets its notices (the app reads them off the GUI thread)."""
        self.help_windows.license_loader = loader

    @Slot()
    def show_licenses(self) -> None:
        """Show the license notices (non-modal), reading them the first time."""
        self.help_windows.show_licenses()

    # ------------------------------------------------------------------ layout
    def restore_layout(self, settings: QSettings) -> None:
        """Restore geometry and dock layout saved by :meth:`save_layout`."""
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            if self.restoreState(state, LAYOUT_VERSION):
                self._restored = True
            else:
                log.info("saved window layout is from another version; using the default")
        theme = settings.value("window/theme")
        if isinstance(theme, str) and self.theme_manager is not None:
            self.set_theme_preference(theme)

    def save_layout(self, settings: QSettings) -> None:
        """Remember geometry, dock layout and the theme preference."""
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        if self.theme_manager is not None:
            settings.setValue("window/theme", self.theme_manager.preference)

    @Slot()
    def reset_layout(self) -> None:
        """Put every panel back where the default layout has it, in its default size."""
        size = self.size()
        self.place_default()
        self.resize(size)
        self._restored = False
        self._layout_pending = True
        # resizeDocks is ignored until the new arrangement has been laid out once.
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self._first_layout()

    def shutdown(self) -> None:
        """Close helper windows (the app calls this before deleting the window)."""
        self.help_windows.close()
        self.notifications.dismiss_all()
        # Floating docks are top-level windows of their own; hiding the window leaves them.
        for dock in self.docks.values():
            if dock.isFloating():
                dock.hide()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        # The loop must outlive the window so async clean-up can run (P10): ignore the
        # close here and let the app shut down in order, then hide the window itself.
        event.ignore()
        self.quit_requested.emit()


__all__ = ["LAYOUT_VERSION", "MainWindow"]
