"""The timeline's regex search cannot freeze the GUI: RE2 matches in linear time, bounded per row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from navtalk_desktop.core.timeline.search_pattern import MAX_TEXT_CHARS
from navtalk_desktop.core.timeline.timeline import Direction

# Python's re needs about 2**40 steps for this against the frame below: the app froze.
CATASTROPHIC = "^(a+)+$"


@pytest.fixture
def panel_bridge(qloop: Any) -> Any:
    from tests.gui.ui_support import make_bridge

    return make_bridge()


def _frame(kind: str, **data: Any) -> str:
    return json.dumps({"type": kind, "data": data})


@pytest.mark.timeout(120)
def test_a_catastrophic_pattern_filters_at_once_and_the_view_stays_usable(
    qtbot: Any, panel_bridge: Any
) -> None:
    from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

    panel = TimelinePanel(panel_bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    timeline = panel_bridge.timeline
    run = "a" * 40 + "b"
    timeline.append(Direction.IN, "text", _frame("text", content=run), summary=run)
    for i in range(20):
        timeline.append(Direction.IN, "tick", _frame("tick", n=i), summary=f"tick {i}")
    # A huge frame: only its first MAX_TEXT_CHARS are searched by a regex.
    far = "x" * (MAX_TEXT_CHARS + 10) + "needle"
    timeline.append(Direction.IN, "huge", _frame("huge", content=far), summary="huge")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 22, timeout=20_000)

    panel.regex_check.setChecked(True)
    panel.search_edit.setText(CATASTROPHIC)
    panel.apply_filter()
    assert panel.model.rowCount() == 0  # nothing matches, and the answer came

    # Normal patterns filter as before.
    panel.search_edit.setText(r"tick 1[0-9]\b")
    panel.apply_filter()
    assert panel.model.rowCount() == 10
    panel.search_edit.setText("a+b")
    panel.apply_filter()
    assert panel.model.rowCount() == 1

    # The tail of a huge frame is beyond a regex search (the tooltip says so); plain text
    # search still reads all of it.
    panel.search_edit.setText("needle")
    panel.apply_filter()
    assert panel.model.rowCount() == 0
    assert "256" in panel.regex_check.toolTip()
    panel.regex_check.setChecked(False)
    panel.apply_filter()
    assert panel.model.rowCount() == 1

    # What would need backtracking is refused with a clear message; nothing is lost.
    panel.regex_check.setChecked(True)
    panel.search_edit.setText(r"(a)\1")
    panel.apply_filter()
    assert "backreferences" in panel.match_label.text()
    assert "backreferences" in panel.search_edit.toolTip()
    assert panel.model.rowCount() == 1  # the last good filter stays


def test_core_search_is_linear_for_a_catastrophic_pattern() -> None:
    from navtalk_desktop.core.timeline.timeline import Timeline, TimelineFilter

    timeline = Timeline(schedule=lambda callback: None)
    for length in (30, 5000, 200_000):
        text = "a" * length + "b"
        timeline.append(Direction.IN, "text", _frame("text", content=text), summary=text)
    timeline.append(Direction.IN, "text", _frame("text", content="x"), summary="aaaa")
    assert timeline.search(TimelineFilter(regex=CATASTROPHIC)) == []
    assert timeline.search(TimelineFilter(regex="(?s)^(a+)+b")) == [0, 1, 2]
    with pytest.raises(ValueError, match="lookahead"):
        timeline.search(TimelineFilter(regex="a(?=b)"))
