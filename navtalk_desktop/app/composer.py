"""The Frame Composer in the app: its dock, its snippets in the settings file, its sends.

Snippets persist through the app's settings (one preference, written by the settings
writer off the GUI thread); frames go out through the engine (the adapter's
``send_frame``, a ``SendFrame`` command).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QWidget

from navtalk_desktop.core.composer.snippets import SnippetBook
from navtalk_desktop.ui.composer.composer_dock import COMPOSER_KEY, add_composer_dock
from navtalk_desktop.ui.composer.composer_widget import FrameComposer

if TYPE_CHECKING:
    from navtalk_desktop.app.workbench import Workbench


class WorkbenchPreferences:
    """The :class:`~navtalk_desktop.core.composer.snippets.PreferenceStore` of a workbench."""

    def __init__(self, workbench: Workbench) -> None:
        self._workbench = workbench

    def preference(self, key: str) -> Any:
        """The stored value (None when there is none)."""
        return self._workbench.settings.preferences.get(key)

    def set_preference(self, key: str, value: Any) -> None:
        """Store ``value`` and save the settings in the background."""
        self._workbench.set_preference(key, value)


def install_composer(workbench: Workbench) -> QAction:
    """Add the Frame Composer dock (behind the Conversation) and its View menu action."""
    window = workbench.window
    book = SnippetBook(WorkbenchPreferences(workbench))

    def build() -> FrameComposer:
        bridge = workbench.bridge
        for problem in book.load_problems:  # a hand-edited settings file: said, not fatal
            window.notifications.notify(f"Frame Composer: {problem}", "warning")
        composer = FrameComposer(bridge.send_frame, book, bridge.profile.name)
        composer.follow(lambda: bridge.is_live, lambda: bridge.profile.name)
        bridge.state_changed.connect(composer.refresh)
        bridge.profile_changed.connect(composer.refresh)
        return composer

    def add_panel(
        key: str, title: str, make: Callable[[], QWidget], area: Qt.DockWidgetArea
    ) -> QDockWidget:
        # Scrollable: its buttons never widen the Conversation's column (Reset Layout
        # shows every dock, which builds the composer behind its tab).
        return window.add_deferred_panel(key, title, make, area, scrollable=True)

    action = add_composer_dock(window, add_panel, build, None, window.view_menu)
    # A tab behind the Conversation, also after View ▸ Reset Layout.
    window.tab_by_default("conversation", COMPOSER_KEY)
    return action
