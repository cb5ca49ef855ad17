"""Panels shrink gracefully: the tool editor, call cards and the timeline fit a 1280 px window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import TEMPLATES, new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.calls.call_card import CallCard
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.timeline.timeline_model import CALL, SUMMARY, TYPE
from navtalk_desktop.ui.timeline.timeline_view import SUMMARY_MIN_WIDTH, TimelineView
from navtalk_desktop.ui.tools.tools_panel import TAB_RESPONDERS, ToolsPanel
from navtalk_desktop.ui.widgets.text_fit import breakable

# The Tools dock is ~566 px wide in the default layout of a 1280 x 800 window.
TOOLS_DOCK_AT_1280 = 540
# The Call Desk dock is ~400 px there.
CALL_DESK_AT_1280 = 380


def test_tools_panel_fits_a_1280_px_window(qtbot: Any) -> None:
    toolset = ToolSet(name="All templates", tools=tuple(new_entry(t.key) for t in TEMPLATES))
    editor = ToolSetEditor(toolset, store=ToolSetFileStore(), autosave_delay_s=None)
    panel = ToolsPanel(
        editor, TaskRunner(), files=ToolSetFileStore(), runner=ChainRunner(ResponderFactory())
    )
    qtbot.addWidget(panel)
    with qtbot.waitExposed(panel, timeout=20_000):
        panel.show()
    for index in range(len(toolset)):
        panel.select_tool(index)
        for tab in range(panel.tabs.count()):
            panel.tabs.setCurrentIndex(tab)
            for step in range(panel.chain_editor.steps_list.count()):
                panel.chain_editor.select_step(step)
            QApplication.processEvents()
            width = panel.minimumSizeHint().width()
            assert width <= TOOLS_DOCK_AT_1280, (toolset.tools[index].name, tab, width)
    # Narrow: the toolbar wraps onto more rows instead of clipping.
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    panel.resize(TOOLS_DOCK_AT_1280, 700)
    QApplication.processEvents()
    for button in (panel.new_button, panel.save_button, panel.redo_button):
        corner = button.mapTo(panel, QPoint(button.width(), button.height()))
        assert panel.rect().contains(corner), button.objectName()
    redo_top = panel.redo_button.mapTo(panel, QPoint(0, 0)).y()
    assert redo_top > panel.new_button.mapTo(panel, QPoint(0, 0)).y()


def test_long_names_and_messages_do_not_widen_a_call_card(qtbot: Any) -> None:
    name = "update_customer_status_in_the_crm_system_of_record_v2"
    call = FunctionCall(
        key="call_1",
        call_id="call_1",
        name=name,
        arguments={"note": "A rather long note that has to wrap in a narrow call desk " * 2},
        raw_arguments="{}",
        violations=[
            "customer.contact.addresses[0].postal_code: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'"
            " does not match '^[0-9]{5}$'"
        ],
    )
    card = CallCard(call, deadline_s=10.0)
    qtbot.addWidget(card)
    card.set_dispatch(
        "waiting",
        None,
        "webhook",
        ["webhook: POST http://127.0.0.1:38243/devices/lights/a/very/long/path?x=1 failed: 500"],
    )
    card.resize(CALL_DESK_AT_1280, 400)
    with qtbot.waitExposed(card, timeout=20_000):
        card.show()
    assert card.minimumSizeHint().width() <= CALL_DESK_AT_1280 - 40
    assert card.title.text() == name  # elided on screen only
    assert card.title.toolTip() == name
    # Wrapped arguments are shown whole: the box grows instead of scrolling.
    qtbot.waitUntil(lambda: not card.arguments.verticalScrollBar().isVisible(), timeout=20_000)
    assert card.arguments.height() > card.arguments.fontMetrics().lineSpacing() * 4


def test_breakable_keeps_text_and_adds_only_invisible_breaks() -> None:
    text = "see http://127.0.0.1:8080/a/b?c=d&e=f <now>"
    shown = breakable(text, long_word=10)
    assert shown.replace("\u200b", "") == "see http://127.0.0.1:8080/a/b?c=d&amp;e=f &lt;now&gt;"
    assert "\u200b" in shown
    assert breakable("short words only") == "short words only"


def test_timeline_columns_give_way_before_summary(qtbot: Any) -> None:
    from navtalk_desktop.core.timeline.timeline import Timeline
    from navtalk_desktop.ui.timeline.timeline_model import TimelineTableModel

    view = TimelineView()
    qtbot.addWidget(view)
    model = TimelineTableModel(Timeline())
    view.setModel(model)
    view.configure_columns()
    view.resize(640, 300)
    with qtbot.waitExposed(view, timeout=20_000):
        view.show()
    header = view.horizontalHeader()
    assert header.sectionSize(SUMMARY) >= SUMMARY_MIN_WIDTH
    assert header.length() <= view.viewport().width()  # no horizontal scrolling
    assert header.sectionSize(TYPE) < 210
    assert header.sectionSize(CALL) < 110
    # Wide: the full widths come back.
    view.resize(1100, 300)
    QApplication.processEvents()
    assert header.sectionSize(TYPE) == 210
    assert header.sectionSize(CALL) == 110


def test_streaming_responses_do_not_widen_the_conversation(qtbot: Any) -> None:
    from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel
    from tests.gui.ui_support import make_bridge

    bridge = make_bridge()
    panel = ConversationPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(400, 500)
    panel.show()
    from navtalk_desktop.core.engine.events import TranscriptDelta, TranscriptKind

    rid = "resp_{}_C8xkq2Zl7bYvNwJ3tR9pQ4sVmH6aG1eF"
    for n in range(3):
        bridge.transcripts.emit(
            [TranscriptDelta(TranscriptKind.RESPONSE_STARTED, "avatar", rid.format(n), "")]
        )
    # Further responses reach the activity line on the bridge's next ui_tick.
    qtbot.waitUntil(lambda: "3 active responses" in panel.activity.text(), timeout=20_000)
    assert panel.minimumSizeHint().width() <= 300
