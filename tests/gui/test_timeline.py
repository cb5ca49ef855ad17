"""The timeline table model and panel: batching, folding, filters, highlight, detail, follow."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QModelRoleData, QModelRoleDataSpan, Qt
from PySide6.QtGui import QGuiApplication

from navtalk_desktop.core.timeline.timeline import TEXT_FOLD_PREFIX, Direction, Timeline
from navtalk_desktop.ui.timeline.timeline_model import (
    CALL,
    DIRECTION,
    SUMMARY,
    TYPE,
    EntryRole,
    MatchRole,
    TimelineTableModel,
    ViewFilter,
    format_time,
)
from navtalk_desktop.ui.widgets.json_highlighter import pretty_json


def _manual_timeline() -> Timeline:
    # Notifications are flushed by the test, so batching is deterministic.
    return Timeline(schedule=lambda callback: None)


def _frame(kind: str, **data: Any) -> str:
    return json.dumps({"type": kind, "data": data})


def _delta(timeline: Timeline, response: str, text: str) -> int:
    kind = "realtime.response.audio_transcript.delta"
    return timeline.append(
        Direction.IN,
        kind,
        _frame(kind, id=response, content=text),
        summary=text,
        fold_key=f"{TEXT_FOLD_PREFIX}{kind}|{response}",
    )


def _populate(timeline: Timeline) -> None:
    timeline.append(
        Direction.OUT, "realtime.input_function_call", _frame("realtime.input_function_call")
    )
    timeline.append(
        Direction.IN,
        "conversation.connected.success",
        _frame("conversation.connected.success", sessionId="s1"),
        summary="success: session s1",
    )
    for word in ("It ", "is ", "sunny"):
        _delta(timeline, "resp_1", word)
    timeline.append(
        Direction.IN,
        "realtime.response.function_call_arguments.done",
        _frame(
            "realtime.response.function_call_arguments.done",
            call_id="call_A",
            arguments={"city": "Beijing"},
        ),
        summary='get_weather({"city": "Beijing"})',
        call_id="call_A",
    )
    timeline.append(
        Direction.LOCAL, "local.warning", "", summary="bad frame", error="not valid JSON"
    )
    timeline.flush()


def test_model_passes_qt_model_tester(qtmodeltester: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    model.toggle_expanded(2)  # the folded transcript run
    qtmodeltester.check(model, force_py=False)
    model.set_filter(ViewFilter(text="sunny", highlight=True))
    qtmodeltester.check(model, force_py=False)


def test_appends_arrive_in_one_batch_and_deltas_fold(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    _populate(timeline)
    assert model.rowCount() == 0  # lagging: nothing shown before the batch timer fires
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=20_000)
    assert inserts == [(0, 4)]  # one beginInsertRows for the whole batch
    assert model.index(2, TYPE).data() == "▸ 3\u00d7 realtime.response.audio_transcript.delta"
    assert model.index(2, SUMMARY).data() == "It is sunny"
    assert model.index(3, CALL).data() == "call_A"
    assert model.index(0, DIRECTION).data() == "→ out"
    assert model.index(4, SUMMARY).data().startswith("⚠ not valid JSON")


def test_growing_fold_updates_its_row_and_expanded_frames(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _delta(timeline, "r", "one ")
    _delta(timeline, "r", "two ")
    timeline.flush()
    model.process_pending()
    assert model.rowCount() == 1
    model.toggle_expanded(0)
    assert model.rowCount() == 3
    assert model.is_expanded(0)
    assert model.index(1, TYPE).data().strip().startswith("↳ frame")
    with qtbot.waitSignal(model.dataChanged, timeout=20_000):
        _delta(timeline, "r", "three")
        timeline.flush()
    assert model.rowCount() == 4  # the new frame appears under the expanded group
    assert model.index(0, SUMMARY).data() == "one two three"
    model.toggle_expanded(3)  # toggling a frame row collapses its group
    assert model.rowCount() == 1
    assert not model.is_expanded(0)


def test_painted_roles_in_one_call_match_data_and_follow_changes(qtbot: Any) -> None:
    timeline = _manual_timeline()
    _populate(timeline)
    model = TimelineTableModel(timeline)
    model.set_filter(ViewFilter(text="sunny", highlight=True))
    # The roles a delegate asks for when it paints a cell, answered in one call.
    roles = [
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
    ]

    def painted(row: int, column: int) -> list[Any]:
        values = []
        for role in roles:
            role_data = QModelRoleData(int(role))
            model.multiData(model.index(row, column), QModelRoleDataSpan(role_data))
            values.append(role_data.data())
        return values

    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            assert painted(row, column) == [index.data(role) for role in roles]
    assert painted(2, TYPE)[5] == "▸ 3\u00d7 realtime.response.audio_transcript.delta"
    assert painted(2, SUMMARY)[6] is not None  # highlighted match
    # A rendered row follows its group: expanding, then growing, then collapsing.
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _delta(timeline, "r", "one ")
    _delta(timeline, "r", "two")
    timeline.flush()
    model.process_pending()
    assert painted(0, TYPE)[5].startswith("▸ 2")
    model.toggle_expanded(0)
    assert painted(0, TYPE)[5].startswith("▾ 2")
    _delta(timeline, "r", " three")
    timeline.flush()
    model.process_pending()
    assert painted(0, TYPE)[5].startswith("▾ 3")
    assert painted(0, SUMMARY)[5] == "one two three"
    model.toggle_expanded(0)
    assert painted(0, TYPE)[5].startswith("▸ 3")


def test_time_column_matches_datetime() -> None:
    for wall in (0.0, 1_700_000_000.0004, 1_700_000_000.9996, 1_700_000_059.999999, 12.5):
        moment = datetime.fromtimestamp(wall)
        expected = moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        assert format_time(wall) == expected


def test_filter_hides_then_highlight_keeps_rows(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    assert model.set_filter(ViewFilter(call_id="call_A"))
    assert model.rowCount() == 1
    assert model.index(0, CALL).data() == "call_A"
    assert model.set_filter(ViewFilter(directions=frozenset({Direction.OUT})))
    assert [model.index(r, DIRECTION).data() for r in range(model.rowCount())] == ["→ out"]
    assert model.set_filter(ViewFilter(type_contains="transcript"))
    assert model.rowCount() == 1
    assert model.set_filter(ViewFilter(text=r"Bei\w+", regex=True, highlight=True))
    assert model.rowCount() == 5
    assert model.match_rows() == [3]
    assert model.index(3, SUMMARY).data(MatchRole) is True
    assert model.index(3, SUMMARY).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, SUMMARY).data(Qt.ItemDataRole.BackgroundRole) is None


def test_bad_regex_is_reported_and_keeps_the_previous_filter(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    with qtbot.waitSignal(model.filter_failed, timeout=20_000) as blocker:
        assert not model.set_filter(ViewFilter(text="([", regex=True))
    assert "invalid regular expression" in blocker.args[0]
    assert model.rowCount() == 5


def test_live_frames_respect_the_filter(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    model.set_filter(ViewFilter(text="sunny"))
    _delta(timeline, "r1", "cloudy ")
    timeline.append(Direction.IN, "other", _frame("other"), summary="x")
    timeline.flush()
    model.process_pending()
    assert model.rowCount() == 0
    # An older fold that starts matching later is inserted in order, not appended.
    _delta(timeline, "r2", "sunny")
    timeline.flush()
    model.process_pending()
    assert [model.index(r, SUMMARY).data() for r in range(model.rowCount())] == ["sunny"]


def test_clear_empties_the_model(qtbot: Any) -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    with qtbot.waitSignal(model.modelReset, timeout=20_000):
        timeline.clear()
    assert model.rowCount() == 0
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.rowCount(QModelIndex()) == 0


def test_entry_role_exposes_core_objects() -> None:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    fold = model.index(2, 0).data(EntryRole)
    assert fold.count == 3
    assert fold.text == "It is sunny"


def test_pretty_json_formats_frames_and_binary() -> None:
    text, is_json = pretty_json('{"a":[1,true,null]}')
    assert is_json
    assert text == '{\n  "a": [\n    1,\n    true,\n    null\n  ]\n}'
    text, is_json = pretty_json(b"\x00\x01")
    assert not is_json
    assert text.startswith("<binary frame, 2 bytes>")
    assert pretty_json("not json") == ("not json", False)


@pytest.fixture
def panel_bridge(qloop: Any) -> Any:
    from tests.gui.ui_support import make_bridge

    return make_bridge()


def test_panel_detail_copy_follow_and_search(qtbot: Any, panel_bridge: Any) -> None:
    from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

    panel = TimelinePanel(panel_bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    timeline = panel_bridge.timeline
    for i in range(300):
        timeline.append(Direction.IN, "tick", _frame("tick", n=i), summary=f"tick {i}")
    _populate(timeline)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 305, timeout=20_000)
    bar = panel.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=20_000)
    assert panel.following

    # Scrolling up pauses auto-scroll; new frames then leave the view alone.
    bar.setValue(0)
    assert not panel.following
    timeline.append(Direction.IN, "tick", _frame("tick", n=999), summary="tick 999")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 306, timeout=20_000)
    assert bar.value() == 0
    panel.follow_button.click()
    assert panel.following
    assert bar.value() == bar.maximum()

    # Detail pane: pretty JSON of the selected frame, and copy puts the exact frame on the clipboard.
    row = panel.model.display_row_of_group(timeline.group_of(305))
    panel.view.selectRow(row)
    assert '"city": "Beijing"' in panel.detail.text.toPlainText()
    assert "call <code>call_A</code>" in panel.detail.header.text()
    panel.detail.copy_button.click()
    assert json.loads(QGuiApplication.clipboard().text())["data"]["call_id"] == "call_A"

    # Search hides non-matching rows but keeps the selection.
    panel.focus_search()
    qtbot.keyClicks(panel.search_edit, "Beijing")
    panel.apply_filter()
    assert panel.model.rowCount() == 1
    assert panel.view.currentIndex().row() == 0
    assert "1 of" in panel.match_label.text()
    panel.highlight_check.setChecked(True)
    panel.apply_filter()
    assert panel.model.rowCount() == 306
    panel.next_match()
    assert panel.view.currentIndex().row() == row
    assert "1 hits in" in panel.match_label.text()
    label = panel.match_label
    qtbot.waitUntil(  # not cut off (the layout follows a moment later)
        lambda: label.width() >= label.fontMetrics().horizontalAdvance(label.text()),
        timeout=20_000,
    )

    # A bad regex is shown on the search box, nothing is lost.
    panel.regex_check.setChecked(True)
    panel.search_edit.setText("([")
    panel.apply_filter()
    assert "invalid regular expression" in panel.match_label.text()
    assert panel.model.rowCount() == 306


def test_panel_context_menu_filters_and_expands(qtbot: Any, panel_bridge: Any) -> None:
    from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

    panel = TimelinePanel(panel_bridge)
    qtbot.addWidget(panel)
    panel.show()
    _populate(panel_bridge.timeline)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 5, timeout=20_000)
    actions = {a.text(): a for a in panel.context_actions(2)}
    assert "Expand Run" in actions
    actions["Expand Run"].trigger()
    assert panel.model.rowCount() == 8
    assert "Collapse Run" in {a.text() for a in panel.context_actions(2)}
    actions = {a.text(): a for a in panel.context_actions(panel.model.rowCount() - 2)}
    actions["Show Only Call call_A"].trigger()
    assert panel.call_combo.currentData() == "call_A"
    assert panel.model.rowCount() == 1
    panel.filter_call(None)
    actions = {a.text(): a for a in panel.context_actions(0)}
    actions["Show Only realtime.input_function_call"].trigger()
    assert panel.model.rowCount() == 1
    assert panel.type_combo.currentText() == "realtime.input_function_call"
