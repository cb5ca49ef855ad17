"""Non-modal notifications: toasts stacked over a window's corner, and inline banners.

Errors must never block the user (no modal boxes while a session is streaming) and
must never open a nested event loop inside a coroutine (architecture reference P2).
Toasts are children of the host window, so they move with it and cannot leak as
top-level windows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.ui.shell.theme import ThemeColors, colors

log = logging.getLogger(__name__)

LEVELS = ("info", "success", "warning", "error")
# Long enough to read two lines; errors stay until dismissed or replaced.
DEFAULT_TIMEOUT_MS = {"info": 4000, "success": 4000, "warning": 8000, "error": 0}
MAX_VISIBLE = 4
HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Notification:
    """One message shown to the user (kept in the centre's history)."""

    level: str
    message: str
    detail: str = ""
    time: datetime = field(default_factory=datetime.now)


def _level_color(theme: ThemeColors, level: str) -> str:
    return {
        "info": theme.accent,
        "success": theme.success,
        "warning": theme.warning,
        "error": theme.error,
    }.get(level, theme.accent)


class Toast(QFrame):
    """One dismissable message card.

    Signals:
        dismissed(): the card was closed by the user or its timer.
    """

    dismissed = Signal()

    def __init__(self, note: Notification, timeout_ms: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.note = note
        self.setObjectName("toast")
        self._dark = False
        self.setProperty("level", note.level)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        layout.setSpacing(8)
        self.label = QLabel(note.message)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if note.detail:
            self.label.setToolTip(note.detail)
        layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss notification")
        close.clicked.connect(self.dismiss)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setFixedWidth(380)
        self._apply_theme()
        if timeout_ms > 0:
            QTimer.singleShot(timeout_ms, self, self.dismiss)

    def _apply_theme(self) -> None:
        theme = colors(self.palette())
        self._dark = theme.dark
        accent = _level_color(theme, self.note.level)
        self.setStyleSheet(
            f"QFrame#toast {{ background: {theme.toast_background};"
            f" border: 1px solid {theme.toast_border}; border-left: 4px solid {accent};"
            f" border-radius: 6px; }}"
            f"QFrame#toast QLabel {{ color: {theme.text}; }}"
        )

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        # Our own style sheet raises PaletteChange too: react only to a light/dark switch.
        if event.type() == QEvent.Type.PaletteChange and colors(self.palette()).dark != self._dark:
            self._apply_theme()
        super().changeEvent(event)

    def dismiss(self) -> None:
        """Hide and delete the card."""
        if not self.isVisible() and self.parent() is None:
            return
        self.hide()
        self.dismissed.emit()
        self.deleteLater()


class NotificationCenter(QObject):
    """Shows toasts in the bottom-right corner of ``host`` and keeps a history.

    Signals:
        notified(str, str): a notification was posted; arguments are level and message.
    """

    notified = Signal(str, str)

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self._host = host
        self._toasts: list[Toast] = []
        self.history: list[Notification] = []
        # The filter (for the host's resizes) is installed only while toasts show: the
        # host is the main window, and a Python filter on it is entered for every event
        # it gets, dozens per second while a session streams.
        self._filtering = False

    @property
    def visible_toasts(self) -> list[Toast]:
        """Cards currently on screen, oldest first."""
        return [toast for toast in self._toasts if toast.isVisible()]

    def notify(
        self, message: str, level: str = "info", *, detail: str = "", timeout_ms: int | None = None
    ) -> Notification:
        """Post a message; it never blocks and never steals focus."""
        if level not in LEVELS:
            level = "info"
        note = Notification(level, message, detail)
        self.history.append(note)
        del self.history[:-HISTORY_LIMIT]
        log.log(logging.ERROR if level == "error" else logging.INFO, "notification: %s", message)
        # The same error repeated (e.g. reconnect attempts) replaces the old card.
        for toast in self.visible_toasts:
            if toast.note.message == message:
                toast.dismiss()
        toast = Toast(
            note, DEFAULT_TIMEOUT_MS[level] if timeout_ms is None else timeout_ms, self._host
        )
        toast.dismissed.connect(lambda t=toast: self._forget(t))
        self._toasts.append(toast)
        while len(self.visible_toasts) >= MAX_VISIBLE:
            self.visible_toasts[0].dismiss()
        toast.show()
        toast.raise_()
        self._layout()
        self.notified.emit(level, message)
        return note

    def info(self, message: str, **kwargs: object) -> Notification:
        """Shorthand for ``notify(message, "info")``."""
        return self.notify(message, "info", **kwargs)  # type: ignore[arg-type]

    def error(self, message: str, **kwargs: object) -> Notification:
        """Shorthand for ``notify(message, "error")``."""
        return self.notify(message, "error", **kwargs)  # type: ignore[arg-type]

    def dismiss_all(self) -> None:
        """Close every visible card."""
        for toast in list(self.visible_toasts):
            toast.dismiss()

    def _forget(self, toast: Toast) -> None:
        if toast in self._toasts:
            self._toasts.remove(toast)
        self._layout()

    def _layout(self) -> None:
        visible = self.visible_toasts
        if bool(visible) != self._filtering:
            self._filtering = bool(visible)
            if visible:
                self._host.installEventFilter(self)
            else:
                self._host.removeEventFilter(self)
        margin = 16
        bottom = self._host.height() - margin
        status = getattr(self._host, "statusBar", None)
        if callable(status):
            bottom -= status().height()
        for toast in reversed(visible):
            toast.adjustSize()
            height = toast.sizeHint().height()
            toast.setGeometry(
                self._host.width() - toast.width() - margin, bottom - height, toast.width(), height
            )
            bottom -= height + 8

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self._host and event.type() == QEvent.Type.Resize:
            self._layout()
        return False


class Banner(QFrame):
    """An inline, persistent message strip with optional action buttons (e.g. no keychain).

    Signals:
        action_triggered(str): one of the banner's buttons was clicked (its key).
    """

    action_triggered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._dark = False
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._level = "info"
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.label)
        self._buttons_row = QHBoxLayout()
        self._buttons_row.addStretch(1)
        outer.addLayout(self._buttons_row)
        self._buttons: dict[str, QToolButton] = {}
        self.hide()

    def show_message(
        self, message: str, level: str = "info", actions: list[tuple[str, str]] | None = None
    ) -> None:
        """Show ``message``; ``actions`` are ``(key, label)`` buttons emitting ``action_triggered``."""
        self._level = level
        self.label.setText(message)
        for button in self._buttons.values():
            self._buttons_row.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        for key, text in actions or []:
            button = QToolButton()
            button.setText(text)
            button.setObjectName(f"banner_{key}")
            button.clicked.connect(lambda _checked=False, k=key: self.action_triggered.emit(k))
            self._buttons_row.addWidget(button)
            self._buttons[key] = button
        self._apply_theme()
        self.show()

    def button(self, key: str) -> QToolButton:
        """The action button for ``key`` (tests click it)."""
        return self._buttons[key]

    def clear(self) -> None:
        """Hide the banner."""
        self.hide()

    def _apply_theme(self) -> None:
        theme = colors(self.palette())
        self._dark = theme.dark
        accent = _level_color(theme, self._level)
        self.setStyleSheet(
            f"QFrame#banner {{ background: {theme.alternate_base}; border: 1px solid"
            f" {theme.toast_border}; border-left: 4px solid {accent}; border-radius: 4px; }}"
        )

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        # Our own style sheet raises PaletteChange too: react only to a light/dark switch.
        if event.type() == QEvent.Type.PaletteChange and colors(self.palette()).dark != self._dark:
            self._apply_theme()
        super().changeEvent(event)
