"""The Frame Composer's dock: a tab next to the Conversation, built when first shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

COMPOSER_KEY = "composer"
COMPOSER_TITLE = "Frame Composer"
COMPOSER_SHORTCUT = "Ctrl+Shift+F"

AddDeferredPanel = Callable[[str, str, Callable[[], QWidget], Qt.DockWidgetArea], QDockWidget]


def add_composer_dock(
    window: QMainWindow,
    add_deferred_panel: AddDeferredPanel,
    build: Callable[[], QWidget],
    beside: QDockWidget | None,
    menu: QMenu | None,
) -> QAction:
    """Add the composer's dock (tabbed behind ``beside``) and an action that shows it.

    Args:
        window: the main window.
        add_deferred_panel: the window's ``add_deferred_panel`` (the panel is built
            the first time its tab is shown).
        build: makes the :class:`~navtalk_desktop.ui.composer.composer_widget.FrameComposer`.
        beside: the dock whose tab group it joins (the Conversation's), if any.
        menu: where the action is listed (the View menu), if anywhere.

    Returns:
        The "Frame Composer" action (``Ctrl+Shift+F``): shows and raises the dock.
    """
    dock = add_deferred_panel(
        COMPOSER_KEY, COMPOSER_TITLE, build, Qt.DockWidgetArea.RightDockWidgetArea
    )
    if beside is not None:
        window.tabifyDockWidget(beside, dock)
        beside.raise_()
    action = QAction(f"{COMPOSER_TITLE}…", window)
    action.setObjectName("action_frame_composer")
    action.setShortcut(QKeySequence(COMPOSER_SHORTCUT))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip("Send any raw JSON frame on the live session")
    action.setToolTip(f"Send any raw JSON frame ({COMPOSER_SHORTCUT})")

    def show() -> None:
        dock.show()
        dock.raise_()
        panel = dock.widget()
        if panel is not None:
            panel.setFocus()

    action.triggered.connect(show)
    window.addAction(action)
    if menu is not None:
        menu.addAction(action)
    return action
