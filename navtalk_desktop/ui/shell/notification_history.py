"""NotificationHistoryButton: the status bar's bell, with every notification in its menu."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from navtalk_desktop.ui.shell.notifications import NotificationCenter

# The menu lists the newest ones; the centre keeps more.
MENU_ENTRIES = 30


class NotificationHistoryButton(QToolButton):
    """Shows how many problems are open and, on click, the latest notifications.

    Toasts come and go (and may wait while they would cover an input); this button keeps
    every message reachable: newest first, with its time, and "resolved" once the
    problem it reported is gone.
    """

    def __init__(self, center: NotificationCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notification_history")
        self.setAutoRaise(True)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAccessibleName("Notifications")
        self._center = center
        # The status bar squeezes its widgets: keep room for the count ("Notices (99)").
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("Notices (99)") + 24)
        self.history_menu = QMenu(self)
        self.history_menu.setObjectName("notification_history_menu")
        self.history_menu.aboutToShow.connect(self.fill_menu)
        self.setMenu(self.history_menu)
        center.history_changed.connect(self._update)
        self._update()

    def open_problems(self) -> int:
        """Errors and warnings in the history that were not resolved."""
        return sum(
            1
            for note in self._center.history
            if note.level in ("error", "warning") and note.key and not note.resolved
        )

    @Slot()
    def _update(self) -> None:
        count = len(self._center.history)
        problems = self.open_problems()
        self.setText(f"Notices ({problems})" if problems else "Notices")
        tip = f"{count} notification{'s' if count != 1 else ''} in this session"
        if problems:
            tip += f"; {problems} problem{'s' if problems != 1 else ''} not resolved"
        self.setToolTip(tip + ". Click to see them.")
        self.setAccessibleDescription(tip)

    @Slot()
    def fill_menu(self) -> None:
        """Fill the menu with the newest notifications (also called when it opens)."""
        menu = self.history_menu
        menu.clear()
        notes = list(reversed(self._center.history))[:MENU_ENTRIES]
        if not notes:
            empty = QAction("No notifications yet", menu)
            empty.setEnabled(False)
            menu.addAction(empty)
            return
        for note in notes:
            state = " (resolved)" if note.resolved else ""
            text = f"{note.time:%H:%M:%S}  {note.level}: {note.message}{state}"
            action = QAction(text.replace("&", "&&"), menu)
            action.setToolTip(note.detail or note.message)
            menu.addAction(action)

    def entries(self) -> list[str]:
        """The menu's entries as shown (tests read them)."""
        self.fill_menu()
        return [action.text() for action in self.history_menu.actions()]


__all__ = ["NotificationHistoryButton"]
