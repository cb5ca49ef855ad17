"""Keyboard-first use: shortcuts for the frequent actions, tooltips, tab order, help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from navtalk_desktop import app as app_module
from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.quick_replies import with_quick_reply
from navtalk_desktop.ui.shell.shortcuts import SHORTCUTS, overview_html, shortcut
from tests.gui.ui_support import QUESTION, LatestCall, workbench_factory

__all__ = ["workbench_factory"]

Factory = Callable[..., app_module.Workbench]
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _active(qtbot: Any, workbench: app_module.Workbench) -> Any:
    window = workbench.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=20_000)
    return window


def test_every_shortcut_is_unique_and_bound_to_an_action(workbench_factory: Factory) -> None:
    window = workbench_factory().window
    sequences = [spec.sequence for spec in SHORTCUTS] + [f"Ctrl+{n}" for n in range(1, 10)]
    assert len(sequences) == len(set(sequences))
    for spec in SHORTCUTS:
        action = window.actions_by_key[spec.key]
        assert action.shortcut().toString() == spec.key_sequence().toString()
        assert spec.native_text() in action.toolTip()
    html = overview_html()
    assert "Ctrl+K" in html or "⌘K" in html
    assert "quick reply 1 to 9" in html


def test_ctrl_k_connects_and_disconnects(qtbot: Any, workbench_factory: Factory) -> None:
    workbench = workbench_factory()
    window = _active(qtbot, workbench)
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    assert window.actions_by_key["connect"].text() == "&Disconnect"
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    qtbot.waitUntil(lambda: workbench.bridge.state == "closed", timeout=20_000)


def test_type_send_and_answer_next_call_with_quick_reply(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory("--connect")
    editor = workbench.editor
    editor.apply(
        "Add quick reply", with_quick_reply(editor.toolset, "function_call_judge", "It is sunny.")
    )
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    window = _active(qtbot, workbench)
    conversation = workbench.panels["conversation"]

    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)  # focus the message box
    qtbot.waitUntil(lambda: conversation.input.hasFocus(), timeout=20_000)
    qtbot.keyClicks(conversation.input, QUESTION)
    qtbot.keyClick(conversation.input, Qt.Key.Key_Return, CTRL)  # send
    qtbot.waitUntil(lambda: len(workbench.bridge.calls) == 1, timeout=20_000)
    call = LatestCall(workbench.bridge, next(iter(workbench.bridge.calls)).key)
    desk = workbench.panels["call_desk"]
    qtbot.waitUntil(lambda: desk.card(call.key) is not None, timeout=20_000)

    qtbot.keyClick(window, Qt.Key.Key_1, CTRL)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
    assert call.output == "It is sunny."
    # The call's state lives on the engine thread; the desk drops the card when the
    # update reaches the GUI thread. Only then is nothing pending on screen.
    qtbot.waitUntil(lambda: desk.card(call.key) is None, timeout=20_000)
    # With nothing pending, Ctrl+2 explains instead of failing silently. Other actions
    # (the quick reply's autosave) may notify too: look at what came after the key press.
    history = workbench.window.notifications.history
    before = len(history)
    qtbot.keyClick(window, Qt.Key.Key_2, CTRL)
    qtbot.waitUntil(
        lambda: any("No call is waiting" in n.message for n in history[before:]), timeout=20_000
    )


def test_find_mode_switches_and_help(qtbot: Any, workbench_factory: Factory) -> None:
    workbench = workbench_factory()
    window = _active(qtbot, workbench)
    timeline = workbench.panels["timeline"]
    workbench.window.docks["tools"].raise_()  # the search shortcut brings the timeline back
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(timeline.search_edit.hasFocus, timeout=20_000)
    assert not workbench.window.docks["timeline"].visibleRegion().isEmpty()

    qtbot.keyClick(window, Qt.Key.Key_A, CTRL | SHIFT)
    assert workbench.bridge.answer_mode == "auto"
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL | SHIFT)
    assert workbench.bridge.answer_mode == "approve"
    qtbot.keyClick(window, Qt.Key.Key_M, CTRL | SHIFT)
    assert workbench.bridge.answer_mode == "manual"

    qtbot.keyClick(window, Qt.Key.Key_F1)
    shown = window.help_windows.shortcuts
    dialog = window.findChild(type(shown), "shortcuts_dialog") if shown else None
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()
    dialog.close()


def test_tooltips_and_tab_order_of_the_timeline_and_connection(workbench_factory: Factory) -> None:
    workbench = workbench_factory()
    timeline = workbench.panels["timeline"]
    connection = workbench.panels["connection"]
    assert shortcut("focus_search").native_text() in timeline.search_edit.toolTip()
    assert shortcut("connect").native_text() in connection.connect_button.toolTip()
    for widget in (
        timeline.regex_check,
        timeline.highlight_check,
        timeline.follow_button,
        timeline.clear_button,
        connection.license_edit,
        connection.reveal_button,
    ):
        assert widget.toolTip(), widget.objectName()
    # Tab follows the visual order: search, then its options, then the filters.
    order = [timeline.search_edit]
    widget = timeline.search_edit
    for _ in range(3):
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            widget = widget.nextInFocusChain()
        order.append(widget)
    assert order[1] is timeline.regex_check
    assert order[2] is timeline.highlight_check
    QApplication.processEvents()
