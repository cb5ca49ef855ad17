"""Widgets of the call desk's frame: the answer-mode switch and the scrolling card area."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.ui.shell.theme import ThemeColors

MODES = (
    ("manual", "Manual", "Calls wait for your answer (Ctrl+Shift+M)"),
    ("auto", "Auto", "Each tool's responders answer at once (Ctrl+Shift+A)"),
    ("approve", "Approve drafts", "Responders draft answers; you approve each one (Ctrl+Shift+D)"),
)

RESULT_STYLE_TEXT = {
    "function_call_output": "realtime.function_call_output + response.create",
    "function_call_output_reply": "realtime.function_call_output with reply: 1",
    "conversation_item": "conversation.item.create + response.create",
}


def mode_buttons(parent: QWidget, choose: Callable[[str], None]) -> dict[str, QToolButton]:
    """One checkable button per answer mode; clicking one calls ``choose(mode)``."""
    buttons: dict[str, QToolButton] = {}
    for mode, text, tip in MODES:
        button = QToolButton(parent)
        button.setObjectName(f"mode_{mode}")
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.clicked.connect(lambda _=False, m=mode: choose(m))
        buttons[mode] = button
    return buttons


def style_mode_buttons(buttons: dict[str, QToolButton], theme: ThemeColors) -> None:
    """Style ``buttons`` as a segmented control (the active mode obvious in any theme)."""
    # A segmented control: the active mode must be obvious in light and dark themes.
    for index, button in enumerate(buttons.values()):
        left = "4px" if index == 0 else "0px"
        right = "4px" if index == len(buttons) - 1 else "0px"
        button.setStyleSheet(
            f"QToolButton {{ padding: 3px 10px; border: 1px solid {theme.toast_border};"
            f" border-top-left-radius: {left}; border-bottom-left-radius: {left};"
            f" border-top-right-radius: {right}; border-bottom-right-radius: {right};"
            f" background: {theme.button}; color: {theme.text}; }}"
            f"QToolButton:checked {{ background: {theme.accent}; color: {theme.accent_text};"
            f" border-color: {theme.accent}; font-weight: 600; }}"
        )


def cards_area(parent: QWidget) -> tuple[QWidget, QVBoxLayout, QLabel, QScrollArea]:
    """The pending cards' widget, its layout, the "no calls" label and the scroll area."""
    cards_widget = QWidget(parent)
    cards_layout = QVBoxLayout(cards_widget)
    cards_layout.setContentsMargins(4, 4, 4, 4)
    cards_layout.setSpacing(6)
    empty_label = QLabel(
        "No calls waiting.\nConnect, then ask the avatar something one of your tools answers "
        "(type it in Conversation): the call appears here with a countdown.",
        cards_widget,
    )
    empty_label.setObjectName("empty_desk")
    empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty_label.setWordWrap(True)
    cards_layout.addWidget(empty_label)
    cards_layout.addStretch(1)
    scroll_area = QScrollArea(parent)
    scroll_area.setObjectName("pending_calls")
    scroll_area.setAccessibleName("Calls waiting for an answer")
    scroll_area.setWidgetResizable(True)
    # Cards wrap to the panel's width; a horizontal scroll bar would hide the buttons.
    scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll_area.setWidget(cards_widget)
    return cards_widget, cards_layout, empty_label, scroll_area


def detach_editor_listener(editor: ToolSetEditor, listener: Any, *args: Any) -> None:
    """Stop ``listener`` hearing ``editor`` (no error when already removed); a slot too."""
    del args
    with contextlib.suppress(ValueError):  # already removed
        editor.remove_listener(listener)
