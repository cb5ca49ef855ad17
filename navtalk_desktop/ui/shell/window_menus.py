"""WindowMenus: the main window's actions (one per shortcut) and its menu bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow

from navtalk_desktop.ui.shell.shortcuts import SHORTCUTS, quick_reply_sequence

# Shortcut key -> answer mode it switches to.
MODE_ACTIONS = {"mode_manual": "manual", "mode_auto": "auto", "mode_approve": "approve"}
THEMES = (("system", "Follow &System"), ("light", "&Light"), ("dark", "&Dark"))


class WindowMenus:
    """Creates every action of ``window`` and fills its menu bar; wires none of them.

    The actions come from :data:`~navtalk_desktop.ui.shell.shortcuts.SHORTCUTS` (each
    with its key sequence and tooltip), plus quick replies 1 to 9, layout, theme and help
    entries. The window connects them to what they do.
    """

    def __init__(self, window: QMainWindow) -> None:
        self._window = window
        self.actions_by_key: dict[str, QAction] = {}
        for spec in SHORTCUTS:
            action = QAction(spec.text, window)
            action.setObjectName(f"action_{spec.key}")
            action.setShortcut(spec.key_sequence())
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{spec.description} ({spec.native_text()})")
            action.setStatusTip(spec.description)
            window.addAction(action)
            self.actions_by_key[spec.key] = action
        self.actions_by_key["quit"].setMenuRole(QAction.MenuRole.QuitRole)
        self.mode_group = QActionGroup(window)
        self.mode_group.setExclusive(True)
        for key in MODE_ACTIONS:
            action = self.actions_by_key[key]
            action.setCheckable(True)
            self.mode_group.addAction(action)
        self.actions_by_key["mode_manual"].setChecked(True)
        self.quick_reply_actions: list[QAction] = []
        for n in range(1, 10):
            action = QAction(f"Answer Next Call with Quick Reply {n}", window)
            action.setObjectName(f"action_quick_reply_{n}")
            action.setShortcut(quick_reply_sequence(n))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)
            self.quick_reply_actions.append(action)
        self.reset_layout_action = QAction("&Reset Layout", window)
        self.reset_layout_action.setObjectName("action_reset_layout")
        self.reset_layout_action.setStatusTip("Put every panel back where it was at first start")
        self.tools_beside_action = QAction("Tools &Beside Timeline", window)
        self.tools_beside_action.setObjectName("action_tools_beside_timeline")
        self.tools_beside_action.setStatusTip(
            "Show the tool editor next to the timeline instead of in a tab behind it"
        )
        self.about_action = QAction("&About NavTalk Desktop", window)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.licenses_action = QAction("&Licenses…", window)
        self.licenses_action.setObjectName("action_licenses")
        # Wired by the app (it owns the replay service): serves a recording to a client.
        self.replay_action = QAction("&Replay Recording as Server…", window)
        self.theme_group = QActionGroup(window)
        for value, label in THEMES:
            action = QAction(label, window)
            action.setCheckable(True)
            action.setData(value)
            action.setObjectName(f"action_theme_{value}")
            self.theme_group.addAction(action)
        self.example_actions: list[QAction] = []
        self._build_menus()

    def _build_menus(self) -> None:
        bar = self._window.menuBar()
        a = self.actions_by_key
        file_menu = self.file_menu = bar.addMenu("&File")
        file_menu.addAction(a["import_jsonl"])
        file_menu.addAction(a["export_jsonl"])
        file_menu.addAction(a["export_markdown"])
        file_menu.addAction(self.replay_action)
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        session_menu = bar.addMenu("&Session")
        session_menu.addAction(a["connect"])
        session_menu.addSeparator()
        session_menu.addAction(a["focus_message"])
        session_menu.addAction(a["send_text"])
        session_menu.addSeparator()
        session_menu.addAction(a["next_call"])
        quick = session_menu.addMenu("Answer Next Call with &Quick Reply")
        for action in self.quick_reply_actions:
            quick.addAction(action)
        session_menu.addSeparator()
        for key in MODE_ACTIONS:
            session_menu.addAction(a[key])
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(a["focus_search"])
        self.view_menu.addAction(a["clear_timeline"])
        self.view_menu.addSeparator()
        self.panels_menu = self.view_menu.addMenu("&Panels")
        self.theme_menu = self.view_menu.addMenu("&Theme")
        for action in self.theme_group.actions():
            self.theme_menu.addAction(action)
        self.view_menu.addAction(self.tools_beside_action)
        self.view_menu.addAction(self.reset_layout_action)
        # Filled by set_examples(); hidden while the app offers none.
        self.examples_menu = bar.addMenu("&Examples")
        self.examples_menu.setObjectName("examples_menu")
        self.examples_menu.setToolTipsVisible(True)
        self.examples_menu.menuAction().setVisible(False)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a["shortcuts_help"])
        help_menu.addAction(self.about_action)
        help_menu.addAction(self.licenses_action)

    def set_examples(
        self, examples: list[tuple[str, str, str]], on_chosen: Callable[[str], object]
    ) -> list[QAction]:
        """Fill the Examples menu with ``(key, title, description)`` entries.

        Choosing one calls ``on_chosen(key)``. Returns the new actions; the menu is hidden
        while there are none.
        """
        self.examples_menu.clear()
        self.example_actions = []
        for key, title, description in examples:
            action = QAction(title, self._window)
            action.setObjectName(f"action_example_{key}")
            action.setToolTip(description)
            action.setStatusTip(description)
            action.triggered.connect(lambda _c=False, k=key: on_chosen(k))
            self.examples_menu.addAction(action)
            self.example_actions.append(action)
        self.examples_menu.menuAction().setVisible(bool(examples))
        return self.example_actions


__all__ = ["MODE_ACTIONS", "WindowMenus"]
