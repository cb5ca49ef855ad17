"""Non-modal notifications: toasts stacked in a free corner of a window, and inline banners.

Errors must never block the user (no modal boxes while a session is streaming) and
must never open a nested event loop inside a coroutine (architecture reference P2).
Toasts are children of the host window, so they move with it and cannot leak as
top-level windows. They never cover an input (a text field, spin box or push button):
the stack goes to the first corner where it covers none, shows fewer cards if it must,
and none at all if no corner is free; the history keeps every message either way.
A notification may carry a *key* (a topic such as ``"connection"``): a newer one with
the same key replaces it, and :meth:`NotificationCenter.resolve` clears it once the
problem is gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTextEdit,
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
TOAST_WIDTH = 340
TOAST_SPACING = 8
# Distance from the window's edges, and the grid the free-spot search steps along.
PLACEMENT_MARGIN = 12
PLACEMENT_STEP = 24
HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Notification:
    """One message shown to the user (kept in the centre's history)."""

    level: str
    message: str
    detail: str = ""
    time: datetime = field(default_factory=datetime.now)
    key: str = ""
    resolved: bool = False


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
        self.setFixedWidth(TOAST_WIDTH)
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


def _free_spot(
    host_width: int, top: int, bottom: int, width: int, height: int, inputs: list[QRect]
) -> tuple[int, int] | None:
    """Top-left corner for a ``width`` x ``height`` stack that meets none of ``inputs``."""
    right = host_width - width - PLACEMENT_MARGIN
    if right < PLACEMENT_MARGIN or bottom - height < top:
        return None
    xs = [*range(right, PLACEMENT_MARGIN, -PLACEMENT_STEP), PLACEMENT_MARGIN]
    ys = [*range(bottom - height, top, -PLACEMENT_STEP), top]
    for y in ys:
        for x in xs:
            area = QRect(x, y, width, height)
            if not any(area.intersects(rect) for rect in inputs):
                return x, y
    return None


def is_input(widget: QWidget) -> bool:
    """Whether ``widget`` takes the user's typing or clicks that a toast must not cover."""
    if isinstance(widget, QLineEdit | QAbstractSpinBox | QAbstractButton | QComboBox):
        return True
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    return False


def _in_toast(widget: QWidget) -> bool:
    parent: QWidget | None = widget
    while parent is not None:
        if isinstance(parent, Toast):
            return True
        parent = parent.parentWidget()
    return False


class NotificationCenter(QObject):
    """Shows toasts in a corner of ``host`` that covers no input, and keeps a history.

    Signals:
        notified(str, str): a notification was posted; arguments are level and message.
        history_changed(): the history got an entry or one was resolved.
    """

    notified = Signal(str, str)
    history_changed = Signal()

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self._host = host
        self._toasts: list[Toast] = []
        self.history: list[Notification] = []
        # The filter (for the host's resizes) is installed only while toasts show: the
        # host is the main window, and a Python filter on it is entered for every event
        # it gets, dozens per second while a session streams.
        self._filtering = False
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._layout)

    @property
    def visible_toasts(self) -> list[Toast]:
        """Cards currently on screen, oldest first."""
        return [toast for toast in self._toasts if toast.isVisible()]

    def notify(
        self,
        message: str,
        level: str = "info",
        *,
        detail: str = "",
        timeout_ms: int | None = None,
        key: str = "",
    ) -> Notification:
        """Post a message; it never blocks and never steals focus.

        Args:
            message: what to say.
            level: one of :data:`LEVELS`.
            detail: shown as the card's tooltip.
            timeout_ms: how long the card stays (default by level; 0: until dismissed).
            key: the topic (e.g. ``"connection"``): replaces an earlier card with the same
                key, and :meth:`resolve` with it clears the card when the problem is gone.
        """
        if level not in LEVELS:
            level = "info"
        note = Notification(level, message, detail, key=key)
        self.history.append(note)
        del self.history[:-HISTORY_LIMIT]
        log.log(logging.ERROR if level == "error" else logging.INFO, "notification: %s", message)
        # The same error repeated (e.g. reconnect attempts) replaces the old card.
        for toast in list(self._toasts):
            if toast.note.message == message or (key and toast.note.key == key):
                toast.dismiss()
        toast = Toast(
            note, DEFAULT_TIMEOUT_MS[level] if timeout_ms is None else timeout_ms, self._host
        )
        toast.dismissed.connect(lambda t=toast: self._forget(t))
        self._toasts.append(toast)
        while len(self._toasts) > MAX_VISIBLE:
            self._toasts[0].dismiss()
        self._layout()
        self.notified.emit(level, message)
        self.history_changed.emit()
        return note

    def resolve(self, key: str) -> int:
        """The problem ``key`` is gone: close its cards and mark it resolved in the history.

        Returns how many notifications were resolved.
        """
        count = 0
        for index, note in enumerate(self.history):
            if note.key == key and not note.resolved:
                self.history[index] = replace(note, resolved=True)
                count += 1
        for toast in list(self._toasts):
            if toast.note.key == key:
                toast.dismiss()
        if count:
            self.history_changed.emit()
        return count

    def info(self, message: str, **kwargs: object) -> Notification:
        """Shorthand for ``notify(message, "info")``."""
        return self.notify(message, "info", **kwargs)  # type: ignore[arg-type]

    def error(self, message: str, **kwargs: object) -> Notification:
        """Shorthand for ``notify(message, "error")``."""
        return self.notify(message, "error", **kwargs)  # type: ignore[arg-type]

    def dismiss_all(self) -> None:
        """Close every card."""
        for toast in list(self._toasts):
            toast.dismiss()

    def _forget(self, toast: Toast) -> None:
        if toast in self._toasts:
            self._toasts.remove(toast)
        self._layout()

    @property
    def active_toasts(self) -> list[Toast]:
        """Cards not yet dismissed, oldest first (some may wait, hidden, for room)."""
        return list(self._toasts)

    def _layout(self) -> None:
        active = list(self._toasts)
        if bool(active) != self._filtering:
            self._filtering = bool(active)
            app = QApplication.instance()
            if active:
                self._host.installEventFilter(self)
                if isinstance(app, QApplication):
                    app.focusChanged.connect(self._on_focus_changed)
            else:
                self._host.removeEventFilter(self)
                if isinstance(app, QApplication):
                    app.focusChanged.disconnect(self._on_focus_changed)
        self._place(active)

    def _inputs(self) -> list[QRect]:
        host = self._host
        rects: list[QRect] = []
        for widget in host.findChildren(QWidget):
            if not is_input(widget) or not widget.isVisible() or _in_toast(widget):
                continue
            if widget.window() is not host or widget.visibleRegion().isEmpty():
                continue
            rects.append(QRect(widget.mapTo(host, QPoint(0, 0)), widget.size()))
        return rects

    def _place(self, toasts: list[Toast]) -> None:
        """Stack ``toasts`` (newest at the bottom) where the stack covers no input.

        Tries the bottom-right corner first, then positions further left and up on a
        coarse grid; keeps fewer (the newest) cards if the whole stack fits nowhere.
        """
        host = self._host
        top = PLACEMENT_MARGIN
        bottom = host.height() - PLACEMENT_MARGIN
        menu = getattr(host, "menuWidget", None)
        if callable(menu) and menu() is not None:
            top += menu().height()
        status = getattr(host, "statusBar", None)
        if callable(status):
            bottom -= status().height()
        inputs = self._inputs()
        for toast in toasts:
            toast.adjustSize()
        for count in range(len(toasts), 0, -1):
            shown = toasts[-count:]
            heights = [t.sizeHint().height() for t in shown]
            total = sum(heights) + TOAST_SPACING * (len(shown) - 1)
            width = max(t.width() for t in shown)
            spot = _free_spot(host.width(), top, bottom, width, total, inputs)
            if spot is None:
                continue
            for toast in toasts[: len(toasts) - count]:
                toast.setVisible(False)  # waits for room (kept in the history)
            x, y = spot
            for toast, height in zip(shown, heights, strict=True):
                toast.setGeometry(x, y, toast.width(), height)
                toast.setVisible(True)
                toast.raise_()
                y += height + TOAST_SPACING
            return
        for toast in toasts:
            toast.setVisible(False)

    @Slot(QWidget, QWidget)
    def _on_focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        # A field that a card covers got the focus (a tab switched, a panel shown):
        # the cards move out of its way.
        if now is None or now.window() is not self._host:
            return
        rect = QRect(now.mapTo(self._host, QPoint(0, 0)), now.size())
        if any(t.geometry().intersects(rect) for t in self.visible_toasts):
            self._relayout.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self._host and event.type() in (
            QEvent.Type.Resize,
            QEvent.Type.LayoutRequest,
        ):
            # Once the host's layouts have placed its children anew: only then do the
            # inputs' rectangles say where the cards may go.
            self._relayout.start()
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
