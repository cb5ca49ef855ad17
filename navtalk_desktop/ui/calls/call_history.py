"""The call desk's history: one row per ended call, its steps as children."""

from __future__ import annotations

import html
import time

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.ui.calls.card_text import elide
from navtalk_desktop.ui.shell.theme import ThemeColors, use_plain_fusion

HISTORY_COLUMNS = ("Time", "Tool", "Result", "By", "Answer", "Resumed", "Output")


def seconds(value: float | None) -> str:
    """A latency for the history: ``"…"`` while unknown, ms below a second."""
    if value is None:
        return "…"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def history_tree(parent: QWidget) -> QTreeWidget:
    """The history tree, set up (columns, sizes, plain style for fast repaints)."""
    tree = QTreeWidget(parent)
    tree.setObjectName("call_history")
    tree.setAccessibleName("Call history")
    tree.setColumnCount(len(HISTORY_COLUMNS))
    tree.setHeaderLabels(list(HISTORY_COLUMNS))
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setRootIsDecorated(True)
    tree.setToolTip(
        "Answered calls. Answer = received → answered; Resumed = answered → the avatar "
        "speaks again. Expand a row for every step."
    )
    # Under load rows arrive on every tick (see use_plain_fusion); no check boxes here.
    use_plain_fusion(
        tree,
        tree.header(),
        tree.verticalScrollBar(),
        tree.horizontalScrollBar(),
    )
    header = tree.header()
    header.setStretchLastSection(True)
    # Columns fit their longest usual text ("answered (late)", "template"): never "answere…".
    metrics = tree.fontMetrics()
    widest = ("00:00:00.000", "", "answered (late)", "template", "0000 ms", "0.00 s")
    for column, width in enumerate((92, 110, 76, 70, 62, 62)):
        width = max(width, metrics.horizontalAdvance(widest[column]) + 16)
        header.resizeSection(column, width)
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    return tree


def titled_history(tree: QTreeWidget, parent: QWidget) -> QWidget:
    """``tree`` under a bold "History" title."""
    box = QWidget(parent)
    history_layout = QVBoxLayout(box)
    history_layout.setContentsMargins(0, 0, 0, 0)
    history_layout.setSpacing(2)
    history_title = QLabel("History", box)
    font = history_title.font()
    font.setBold(True)
    history_title.setFont(font)
    history_layout.addWidget(history_title)
    history_layout.addWidget(tree, 1)
    return box


def fill_history_item(item: QTreeWidgetItem, call: CallView, theme: ThemeColors) -> None:
    """Write ``call``'s row (times, result, output) and one child row per step."""
    received = next((s for s in call.steps if s.name == "received"), None)
    stamp = time.strftime("%H:%M:%S", time.localtime(received.wall_time)) if received else ""
    output = call.output or ""
    values = (
        stamp,
        call.name or "(unknown)",
        call.state.value + (" (late)" if call.overdue else ""),
        call.responder or "",
        seconds(call.answer_latency_s) if call.state.value in ("answered", "failed") else "",
        seconds(call.model_resume_latency_s) if call.state.value in ("answered", "failed") else "",
        elide(output, 120),
    )
    for column, value in enumerate(values):
        item.setText(column, value)
    colour = {
        "answered": theme.success,
        "failed": theme.error,
        "abandoned": theme.muted_text,
    }.get(call.state.value, theme.warning)
    item.setForeground(2, QColor(colour))
    arguments = html.escape(elide(call.raw_arguments, 400))
    item.setToolTip(
        6,
        f"<b>{html.escape(call.name)}</b> {html.escape(call.call_id)}<br>"
        f"<b>Arguments:</b> {arguments}<br><b>Output:</b> {html.escape(elide(output, 600))}",
    )
    item.takeChildren()
    start = call.received_at
    muted = QColor(theme.muted_text)
    steps = []
    for step in call.steps:
        offset = "" if start is None else f"+{step.mono_time - start:.3f} s"
        child = QTreeWidgetItem([offset, step.name, step.note])
        child.setForeground(0, muted)
        steps.append(child)
    item.addChildren(steps)
