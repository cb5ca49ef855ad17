"""How a call card puts a call into words: arguments, their height, labels, state, urgency."""

from __future__ import annotations

import json

from PySide6.QtGui import QFont, QTextLayout, QTextOption

from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.ui.timeline.detail_pane import MAX_PRETTY_CHARS

QUICK_REPLY_LABEL_CHARS = 24
# Fractions of the deadline left at which the countdown turns amber, then red.
AMBER_FRACTION = 0.5
RED_FRACTION = 0.2


def urgency(remaining_s: float | None, deadline_s: float | None) -> str:
    """``"calm"``, ``"amber"``, ``"red"`` or ``"overdue"`` for a countdown."""
    if remaining_s is None or deadline_s is None:
        return "calm"
    if remaining_s <= 0:
        return "overdue"
    fraction = remaining_s / deadline_s
    if fraction <= RED_FRACTION:
        return "red"
    if fraction <= AMBER_FRACTION:
        return "amber"
    return "calm"


def pretty_arguments(call: CallView) -> str:
    """The call's arguments, indented (or as received when they did not parse or are huge)."""
    if call.arguments is not None and len(call.raw_arguments) <= MAX_PRETTY_CHARS:
        return json.dumps(call.arguments, indent=2, ensure_ascii=False)
    return call.raw_arguments or "(no arguments)"


def wrapped_line_count(text: str, font: QFont, width: float, limit: int) -> int:
    """How many lines ``text`` takes when word-wrapped at ``width`` (at most ``limit``).

    Lays the text out as QPlainTextEdit does (word boundaries, or anywhere for long
    words); the document's own line count is only known for blocks it has laid out.
    """
    paragraphs = text.split("\n")
    if width <= 0:
        return max(1, min(len(paragraphs), limit))
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    total = 0
    for paragraph in paragraphs:
        layout = QTextLayout(paragraph, font)
        layout.setTextOption(option)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            total += 1
        layout.endLayout()
        if total >= limit:
            return limit
    return max(total, 1)


def elide(text: str, limit: int = QUICK_REPLY_LABEL_CHARS) -> str:
    """One line, at most ``limit`` characters."""
    # Only the start can show: never split megabytes (history rows, tooltips) to cut it.
    line = " ".join(text[: limit * 4 + 16].split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def state_text(call: CallView) -> str:
    """The call's state as a word on its card (empty while it is only received)."""
    # Overdue shows in the countdown ("Overdue +2.7 s"), not twice. "received" is what every card is; only later states are worth a word.
    return "" if call.state.value == "received" else str(call.state.value)
