"""Every focusable widget of the call desk, conversation and timeline has an accessible
name (issue 16, accessibility)."""

from __future__ import annotations

from typing import Any

from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel
from tests.gui.a11y_names import unnamed_focusable
from tests.gui.test_call_desk import Live, live
from tests.gui.test_conversation import connected
from tests.gui.test_timeline import panel_bridge

__all__ = ["connected", "live", "panel_bridge"]  # fixtures

WAIT_MS = 20_000  # generous: a loaded machine can be slow to paint


def test_call_desk_with_a_card_names_every_focusable_widget(qtbot: Any, live: Live) -> None:
    live.call(qtbot)
    missing = unnamed_focusable(live.desk)
    assert missing == [], "\n".join(missing)


def test_conversation_names_every_focusable_widget(qtbot: Any, connected: Any) -> None:
    panel, _sim = connected
    missing = unnamed_focusable(panel)
    assert missing == [], "\n".join(missing)


def test_timeline_names_every_focusable_widget(qtbot: Any, panel_bridge: Any) -> None:
    panel = TimelinePanel(panel_bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    with qtbot.waitExposed(panel, timeout=WAIT_MS):
        panel.show()
    missing = unnamed_focusable(panel)
    assert missing == [], "\n".join(missing)
