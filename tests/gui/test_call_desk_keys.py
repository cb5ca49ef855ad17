"""Keyboard on the call desk: shortcuts follow focus (issue 16, defect 7)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from tests.gui.test_call_desk import WAIT_MS, Live, live, wait_answered

__all__ = ["live"]  # the fixture, shared with the desk's other tests


def test_ctrl_enter_in_the_answer_sends_the_answer_not_the_message(qtbot: Any, live: Live) -> None:
    # The window's "Send Message" (Ctrl+Return) as the main window has it.
    window = QMainWindow()
    send_message = QAction("Send Message", window)
    send_message.setShortcut(QKeySequence("Ctrl+Return"))
    send_message.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.addAction(send_message)
    fired: list[bool] = []
    send_message.triggered.connect(lambda: fired.append(True))
    window.setCentralWidget(live.desk)
    try:
        _send_with_ctrl_enter(qtbot, live, window, fired)
    finally:
        # The fixture closes the desk: give it back before the window goes.
        window.takeCentralWidget().setParent(None)  # type: ignore[call-overload]
        window.close()


def _send_with_ctrl_enter(qtbot: Any, live: Live, window: QMainWindow, fired: list[bool]) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)

    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    card.answer.raw_edit.setFocus()
    qtbot.waitUntil(card.answer.raw_edit.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(card.answer.raw_edit, "Sunny")
    qtbot.keyClick(card.answer.raw_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_answered(qtbot, live, call)
    assert call.output == "Sunny"
    assert fired == []
    # Elsewhere the window's shortcut still works.
    live.desk.history.setFocus()
    qtbot.waitUntil(live.desk.history.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(live.desk.history, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert fired == [True]
