"""Toasts never cover an input, errors clear once resolved, the history stays reachable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.app import Workbench
from navtalk_desktop.ui.shell.main_window import CONNECTION_KEY
from navtalk_desktop.ui.shell.notification_history import NotificationHistoryButton
from navtalk_desktop.ui.shell.notifications import NotificationCenter, Toast
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest


def rect_in(host: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(host, QPoint(0, 0)), widget.size())


def covering(host: QWidget, toasts: list[Toast], *widgets: QWidget) -> list[str]:
    return [
        f"{toast.note.message} over {widget.objectName()}"
        for toast in toasts
        for widget in widgets
        if toast.geometry().intersects(rect_in(host, widget))
    ]


def test_toasts_leave_the_message_box_and_send_free(qtbot: Any) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    central = QWidget()
    column = QVBoxLayout(central)
    column.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    message = QPlainTextEdit()
    message.setObjectName("message")
    send = QPushButton("Send")
    send.setObjectName("send")
    row.addWidget(message)
    row.addWidget(send)
    column.addLayout(row)
    host.setCentralWidget(central)
    host.resize(900, 600)
    with qtbot.waitExposed(host, timeout=20_000):
        host.show()
    center = NotificationCenter(host)
    for n in range(3):
        center.notify(f"problem {n}", "error")
    qtbot.waitUntil(lambda: len(center.visible_toasts) == 3, timeout=20_000)
    assert covering(host, center.visible_toasts, message, send) == []
    # A click meant for the message box reaches it, and typing lands there.
    qtbot.mouseClick(message.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(message.hasFocus, timeout=20_000)
    qtbot.keyClicks(message, "hello")
    assert message.toPlainText() == "hello"
    # A host that is inputs everywhere shows no card at all, but keeps every message.
    row.insertWidget(0, QPlainTextEdit(objectName="wide"), 10)
    column.insertWidget(0, QPlainTextEdit(objectName="top"), 10)
    host.resize(901, 600)
    qtbot.waitUntil(
        lambda: covering(host, center.visible_toasts, *central.findChildren(QWidget)) == [],
        timeout=20_000,
    )
    assert [note.message for note in center.history] == [f"problem {n}" for n in range(3)]


def test_a_resolved_problem_clears_its_toast_and_stays_in_the_history(qtbot: Any) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    host.resize(800, 600)
    host.show()
    center = NotificationCenter(host)
    bell = NotificationHistoryButton(center, host)
    center.notify("Connect failed: refused", "error", key="connection")
    center.notify("Connect failed: timed out", "error", key="connection")
    center.notify("Tool set saved", "success")
    # The newer card of a topic replaces the older one.
    assert [t.note.message for t in center.active_toasts] == [
        "Connect failed: timed out",
        "Tool set saved",
    ]
    assert bell.text() == "Notices (2)"
    assert center.resolve("connection") == 2
    qtbot.waitUntil(lambda: [t.note.key for t in center.active_toasts] == [""], timeout=20_000)
    assert bell.text() == "Notices"
    entries = bell.entries()
    assert entries[0].endswith("success: Tool set saved")
    assert entries[1].endswith("error: Connect failed: timed out (resolved)")


def test_a_successful_connect_clears_the_connect_error(
    qtbot: Any, workbench_factory: Callable[..., Workbench]
) -> None:
    workbench = workbench_factory()
    window = workbench.window
    # What the bridge reports when a connect attempt fails.
    workbench.bridge.error_reported.emit("Connect failed: connection refused")
    center = window.notifications
    assert [t.note.key for t in center.active_toasts] == [CONNECTION_KEY]
    conversation = workbench.panels["conversation"]
    assert covering(window, center.visible_toasts, conversation.input) == []
    workbench.bridge.connect_session()
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    qtbot.waitUntil(lambda: center.active_toasts == [], timeout=20_000)
    assert center.history[-1].resolved
    assert window.notification_button is not None
    assert any("(resolved)" in entry for entry in window.notification_button.entries())


def test_toasts_move_away_from_a_field_that_gets_the_focus(qtbot: Any) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    # Read-only at first (a log a card may cover), editable later (e.g. a draft opened).
    view = QPlainTextEdit(objectName="view")
    view.setReadOnly(True)
    host.setCentralWidget(view)
    host.resize(900, 600)
    with qtbot.waitExposed(host, timeout=20_000):
        host.show()
    center = NotificationCenter(host)
    center.notify("problem", "error")
    qtbot.waitUntil(lambda: len(center.visible_toasts) == 1, timeout=20_000)
    assert covering(host, center.visible_toasts, view) != []
    view.setReadOnly(False)
    view.setFocus()
    qtbot.waitUntil(lambda: covering(host, center.visible_toasts, view) == [], timeout=20_000)
    assert center.history[-1].message == "problem"
