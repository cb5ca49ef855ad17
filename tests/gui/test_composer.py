"""The Frame Composer widget: checks as you type, asks before odd frames, snippets, history.

The composer hands frames to an injected send callable here; tests/gui/test_composer_app.py
sends them through the app's engine to the real simulator.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox

from navtalk_desktop.core.composer.snippets import SnippetBook
from navtalk_desktop.ui.composer.composer_widget import (
    EMPTY_HISTORY,
    NOT_LIVE,
    SEND_ANYWAY,
    FrameComposer,
)
from tests.unit.test_composer import MemoryPreferences

# Generous: a wait only costs time when it fails, and the suite runs on loaded machines.
WAIT_MS = 20_000


class Sent(list[str]):
    """The injected send callable: remembers what it was given."""

    def __call__(self, text: str) -> None:
        self.append(text)


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
def composer(qtbot: Any, sent: Sent) -> FrameComposer:
    widget = FrameComposer(sent, SnippetBook(MemoryPreferences()), "Local simulator")
    qtbot.addWidget(widget)
    widget.resize(520, 520)
    widget.show()
    widget.set_live(True)
    return widget


def _type(qtbot: Any, composer: FrameComposer, text: str) -> None:
    composer.editor.clear()
    qtbot.keyClicks(composer.editor, text)


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_known_snippet_is_checked_and_sent_and_listed(
    qtbot: Any, composer: FrameComposer, sent: Sent
) -> None:
    assert composer.history_empty.isVisible()
    assert composer.history_empty.text() == EMPTY_HISTORY
    composer.choose_snippet("conversation.item.create")
    assert composer.status_label.text().startswith("✓ conversation.item.create")
    _click(qtbot, composer.send_button)
    assert len(sent) == 1
    assert json.loads(sent[0])["item"]["content"][0]["text"] == "What's the weather in Beijing?"
    qtbot.waitUntil(lambda: composer.history_list.isVisible(), timeout=WAIT_MS)
    assert not composer.history_empty.isVisible()
    assert "conversation.item.create  — sent" in composer.history_list.item(0).text()


def test_text_that_is_not_json_cannot_be_sent(
    qtbot: Any, composer: FrameComposer, sent: Sent
) -> None:
    _type(qtbot, composer, '{"type": "response.create"')
    assert not composer.send_button.isEnabled()
    assert composer.status_label.text().startswith("✗ Not JSON (line 1, column 27)")
    composer.send()  # even when asked directly
    assert sent == []


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ('{"type": "realtime.input_text", "data": {"text": "hi"}}', "does not document"),
        ('{"type": "realtime.function_call_output", "data": {"output": "x"}}', "shape"),
    ],
)
def test_an_unknown_or_invalid_frame_is_sent_only_after_agreeing(
    qtbot: Any, composer: FrameComposer, sent: Sent, text: str, title: str
) -> None:
    _type(qtbot, composer, text)
    assert composer.status_label.text().startswith("⚠")
    _click(qtbot, composer.send_button)
    qtbot.waitUntil(lambda: composer.confirmation is not None, timeout=WAIT_MS)
    box = composer.confirmation
    assert box is not None
    assert title in box.windowTitle() or title in box.text()
    assert sent == []  # nothing went out before the answer
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: composer.confirmation is None, timeout=WAIT_MS)
    assert sent == []
    _click(qtbot, composer.send_button)
    qtbot.waitUntil(lambda: composer.confirmation is not None, timeout=WAIT_MS)
    box = composer.confirmation
    assert box is not None
    anyway = next(b for b in box.buttons() if b.text() == SEND_ANYWAY)
    anyway.click()
    qtbot.waitUntil(lambda: len(sent) == 1, timeout=WAIT_MS)
    assert json.loads(sent[0]) == json.loads(text)
    assert "sent after you agreed" in composer.history_list.item(0).text()


def test_nothing_is_sent_while_not_connected(
    qtbot: Any, composer: FrameComposer, sent: Sent
) -> None:
    composer.set_live(False)
    composer.choose_snippet("response.create")
    assert not composer.send_button.isEnabled()
    assert NOT_LIVE in composer.status_label.text()
    composer.send()
    assert sent == []


def test_ctrl_enter_in_the_editor_sends_the_frame_not_the_window_shortcut(
    qtbot: Any, sent: Sent
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    composer = FrameComposer(sent, SnippetBook(), "p")
    window.setCentralWidget(composer)
    other: list[bool] = []
    message = QAction("Send Message", window)
    message.setShortcut(QKeySequence("Ctrl+Return"))
    message.triggered.connect(lambda: other.append(True))
    window.addAction(message)
    with qtbot.waitExposed(window, timeout=WAIT_MS):
        window.show()
    composer.set_live(True)
    composer.choose_snippet("response.create")
    composer.editor.setFocus()
    qtbot.waitUntil(composer.editor.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert sent == ['{"type":"response.create"}']
    assert other == []


def test_snippets_are_saved_per_profile_and_come_back(qtbot: Any, sent: Sent) -> None:
    store = MemoryPreferences()
    composer = FrameComposer(sent, SnippetBook(store), "Local simulator")
    qtbot.addWidget(composer)
    composer.show()
    _type(qtbot, composer, '{"type": "response.create", "note": "mine"}')
    _click(qtbot, composer.save_button)
    qtbot.waitUntil(
        lambda: composer.findChild(QInputDialog, "composer_snippet_name") is not None,
        timeout=WAIT_MS,
    )
    dialog = composer.findChild(QInputDialog, "composer_snippet_name")
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue("greet first")
    dialog.accept()
    qtbot.waitUntil(lambda: composer.snippet_combo.findData("greet first") >= 0, timeout=WAIT_MS)
    assert composer.snippet_combo.currentData() == "greet first"
    assert composer.delete_button.isEnabled()
    composer.set_profile("NavTalk v2")
    assert composer.snippet_combo.findData("greet first") < 0
    # A new composer (next run) reads them back from the settings.
    again = FrameComposer(sent, SnippetBook(MemoryPreferences(store.values)), "Local simulator")
    qtbot.addWidget(again)
    again.choose_snippet("greet first")
    assert json.loads(again.editor.toPlainText())["note"] == "mine"
    again.delete_current_snippet()
    assert again.snippet_combo.findData("greet first") < 0


def test_a_sent_frame_loads_again_from_the_history(
    qtbot: Any, composer: FrameComposer, sent: Sent
) -> None:
    composer.choose_snippet("response.create")
    _click(qtbot, composer.send_button)
    composer.editor.clear()
    item = composer.history_list.item(0)
    composer.history_list.itemActivated.emit(item)
    assert json.loads(composer.editor.toPlainText()) == {"type": "response.create"}


def test_a_send_that_fails_at_once_is_said_and_listed(qtbot: Any) -> None:
    def refuse(_text: str) -> None:
        raise RuntimeError("cannot send: not connected")

    composer = FrameComposer(refuse, SnippetBook(), "p")
    qtbot.addWidget(composer)
    notes: list[tuple[str, str]] = []
    composer.notification_requested.connect(lambda level, text: notes.append((level, text)))
    composer.set_live(True)
    composer.choose_snippet("response.create")
    composer.send()
    assert notes == [("error", "The frame was not sent: cannot send: not connected")]
    assert "not sent: cannot send: not connected" in composer.history_list.item(0).text()
