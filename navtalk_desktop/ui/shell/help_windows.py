"""HelpWindows: the non-modal help windows of the main window (shortcuts, about, licenses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from navtalk_desktop.core.licenses import NoticeLoader
from navtalk_desktop.ui.shell.notifications import NotificationCenter
from navtalk_desktop.ui.shell.shortcuts import overview_html

if TYPE_CHECKING:
    from navtalk_desktop.ui.shell.tasks import TaskRunner


class HelpWindows:
    """Opens the shortcut overview and the license notices, each once, then shows it again.

    Args:
        parent: the window the dialogs belong to.
        tasks: reads the license notices off the GUI thread.
        notifications: where problems and the About note are shown.
        licenses_action: disabled while the notices are being read (one read at a time).
    """

    def __init__(
        self,
        parent: QWidget,
        tasks: TaskRunner,
        notifications: NotificationCenter,
        licenses_action: QAction,
    ) -> None:
        self._parent = parent
        self._tasks = tasks
        self._notifications = notifications
        self._licenses_action = licenses_action
        self.shortcuts: QDialog | None = None
        self.licenses: QDialog | None = None
        self.license_loader: NoticeLoader | None = None

    def show_shortcuts(self) -> None:
        """Show the keyboard shortcut overview (non-modal)."""
        if self.shortcuts is None:
            dialog = QDialog(self._parent)
            dialog.setObjectName("shortcuts_dialog")
            dialog.setWindowTitle("Keyboard shortcuts")
            layout = QVBoxLayout(dialog)
            label = QLabel(overview_html())
            label.setTextFormat(Qt.TextFormat.RichText)
            layout.addWidget(label)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(dialog.close)
            layout.addWidget(buttons)
            self.shortcuts = dialog
        self.shortcuts.show()
        self.shortcuts.raise_()

    def show_about(self) -> None:
        """A short non-modal note about the app."""
        from navtalk_desktop import __version__

        self._notifications.notify(
            f"NavTalk Desktop {__version__} — define, watch and answer NavTalk function calls.",
            "info",
        )

    def show_licenses(self) -> None:
        """Show the license notices (non-modal), reading them the first time."""
        if self.licenses is not None:
            self.licenses.show()
            self.licenses.raise_()
            return
        if self.license_loader is None:
            self._notifications.notify("No license information is available.", "warning")
            return
        self._licenses_action.setEnabled(False)  # one read at a time
        self._tasks.start(self._open_licenses(self.license_loader), "licenses")

    async def _open_licenses(self, loader: NoticeLoader) -> None:
        from navtalk_desktop.ui.shell.licenses_dialog import LicensesDialog

        try:
            notices = await loader()
        except (OSError, ValueError) as error:
            self._notifications.notify(f"Cannot read the license notices: {error}", "error")
            return
        finally:
            self._licenses_action.setEnabled(True)
        self.licenses = LicensesDialog(notices, self._parent)
        self.licenses.show()

    def close(self) -> None:
        """Close whichever help windows are open."""
        if self.shortcuts is not None:
            self.shortcuts.close()
        if self.licenses is not None:
            self.licenses.close()


__all__ = ["HelpWindows"]
