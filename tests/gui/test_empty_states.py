"""Empty call desk, timeline and conversation say what to do next (issue 16 #12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.calls.call_desk import CallDesk
from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel
from navtalk_desktop.ui.conversation.transcript_view import TranscriptView
from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

WAIT_MS = 20_000


@pytest.fixture
def bridge(qloop: Any) -> Any:
    from tests.gui.ui_support import make_bridge

    return make_bridge()


def test_an_empty_call_desk_says_connect_then_ask(qtbot: Any, bridge: Any) -> None:
    desk = CallDesk(bridge, ToolSetEditor(ToolSet(), autosave_delay_s=None))
    qtbot.addWidget(desk)
    desk.show()
    qtbot.waitUntil(desk.empty_label.isVisible, timeout=WAIT_MS)
    text = desk.empty_label.text()
    assert "Connect, then ask the avatar" in text
    assert "Conversation" in text


def test_an_empty_conversation_says_connect_then_type(qtbot: Any, bridge: Any) -> None:
    panel = ConversationPanel(bridge)
    qtbot.addWidget(panel)
    panel.show()
    (view,) = panel.findChildren(TranscriptView)
    assert view.document().isEmpty()
    assert "Connect, then type a message below" in view.placeholderText()


def test_the_timeline_says_what_to_do_until_frames_arrive_and_when_a_filter_hides_all(
    qtbot: Any, bridge: Any
) -> None:
    panel = TimelinePanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    label = panel.view.empty_label
    qtbot.waitUntil(label.isVisible, timeout=WAIT_MS)
    assert "Connect, then type a message in Conversation" in label.text()

    frame = json.dumps({"type": "tick", "data": {"n": 1}})
    bridge.timeline.append(Direction.IN, "tick", frame, summary="tick 1")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=WAIT_MS)

    # Frames hidden by the search: the empty state says so, not "no frames yet".
    panel.search_edit.setText("no such frame")
    panel.apply_filter()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(label.isVisible, timeout=WAIT_MS)
    assert "No frame matches the filters" in label.text()
