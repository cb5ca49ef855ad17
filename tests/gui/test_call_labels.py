"""Call desk labels are never cut off where it matters (issue 16, item 12)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.ui.calls.call_card import CallCard
from navtalk_desktop.ui.calls.call_history import history_tree

WAIT_MS = 20_000  # generous: a loaded machine can be slow to paint


def test_history_columns_fit_their_usual_words(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    tree = history_tree(parent)
    metrics = tree.fontMetrics()
    # "answered (late)" in Result, "template" in By: whole, not "answere…".
    assert tree.header().sectionSize(2) > metrics.horizontalAdvance("answered (late)")
    assert tree.header().sectionSize(3) > metrics.horizontalAdvance("template")


def test_a_long_call_id_keeps_both_ends_and_says_overdue_once(qtbot: Any) -> None:
    call_id = "call_" + "0123456789" * 8 + "_END"
    call = FunctionCall(
        key=call_id, call_id=call_id, name="get_weather", arguments={}, raw_arguments="{}"
    )
    call.add_step("received", 0.0, 0.0)
    card = CallCard(call, deadline_s=1.0)
    qtbot.addWidget(card)
    card.resize(420, 400)
    with qtbot.waitExposed(card, timeout=WAIT_MS):
        card.show()
    label = card.call_id_label
    assert label.text() == call_id
    assert call_id in label.toolTip()
    shown = label.fontMetrics().elidedText(label.text(), label.elide_mode, label.width())
    assert shown.startswith("call_0")
    assert shown.endswith("_END")
    assert label.elide_mode == Qt.TextElideMode.ElideMiddle
    card.tick(10.0)  # nine seconds past the deadline
    assert card.countdown.text() == "Overdue +9.0 s"
    assert "overdue" not in card.status_label.text().lower()
