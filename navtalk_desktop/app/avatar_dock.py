"""The Avatar dock: built when first shown (View ▸ Avatar, Ctrl+Shift+V), its choices saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from navtalk_desktop.infra.media_peers import webrtc_missing
from navtalk_desktop.ui.avatar.avatar_panel import PREFERENCES_KEY, AvatarPanel

if TYPE_CHECKING:
    from navtalk_desktop.app.workbench import Workbench

SHORTCUT = "Ctrl+Shift+V"


def add_avatar_dock(workbench: Workbench) -> None:
    """Add the Avatar dock (tabbed behind the Conversation panel when there is one)."""
    window = workbench.window
    dock = window.add_deferred_panel(
        "avatar",
        "Avatar",
        lambda: build_avatar_panel(workbench),
        Qt.DockWidgetArea.RightDockWidgetArea,
    )
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QKeySequence(SHORTCUT))
    toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    toggle.setToolTip(f"Show the avatar's video and voice ({SHORTCUT})")
    window.addAction(toggle)
    dock.setProperty("onDemand", True)  # Reset Layout leaves it closed
    dock.hide()  # shown on demand; a saved layout that shows it builds it at start


def build_avatar_panel(workbench: Workbench) -> AvatarPanel:
    """The Avatar panel on the workbench's engine adapter, with the saved choices."""
    saved = workbench.settings.preferences.get(PREFERENCES_KEY)
    panel = AvatarPanel(
        workbench.bridge,
        preferences=saved if isinstance(saved, dict) else None,
        webrtc_missing=webrtc_missing(),
    )

    def remember(choices: Any) -> None:
        workbench.settings.preferences[PREFERENCES_KEY] = dict(choices)
        workbench.save_preferences()

    panel.preferences_changed.connect(remember)
    panel.view.snapshot_saved.connect(
        lambda path: window_notify(workbench, f"Snapshot saved: {path}", "info")
    )
    panel.view.snapshot_failed.connect(
        lambda why: window_notify(workbench, f"Snapshot not saved: {why}", "error")
    )
    return panel


def window_notify(workbench: Workbench, text: str, level: str) -> None:
    """A notification in the main window."""
    workbench.window.notifications.notify(text, level)
