"""Huge and long content: the widgets hold bounded text, the exact full text is one click away.

Qt lays a paragraph out as a whole, at a cost that grows with the square of its longest
unbroken run: a 2 MB transcript delta froze the app for minutes. These tests drive the real
widgets with such content and assert what they hold (never how long it took).
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QTextCursor

from navtalk_desktop.core.engine.events import TranscriptDelta, TranscriptKind
from navtalk_desktop.core.timeline.timeline import TEXT_FOLD_PREFIX, Direction
from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel, TranscriptView
from navtalk_desktop.ui.timeline.timeline_model import SUMMARY
from tests.gui.ui_support import make_bridge

WAIT_MS = 10_000
# What a widget may hold, whatever it is given (the caps are 20,000 characters plus the
# message header and the "Show full text" line).
SHOWN_LIMIT = 25_000
DELTA_TYPE = "realtime.response.audio_transcript.delta"
# No spaces at all: the worst case for Qt's line breaking.
BIG = "x" * 2_000_000


def _panel(qtbot: Any) -> ConversationPanel:
    panel = ConversationPanel(make_bridge())
    qtbot.addWidget(panel)
    panel.resize(500, 600)
    panel.show()
    return panel


def _longest_unbroken_run(text: str) -> int:
    return max((len(run) for run in re.split(r"[\s\u200b]", text)), default=0)


def _longest_block(document: Any) -> int:
    longest, block = 0, document.begin()
    while block.isValid():
        longest = max(longest, block.length())
        block = block.next()
    return longest


def _click_full_text_link(qtbot: Any, view: TranscriptView, number: int) -> None:
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.marker_position(number))
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    point = view.cursorRect(cursor).center()
    point.setX(point.x() - 3)  # on the link's last characters, not past its end
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_a_2mb_delta_shows_a_bounded_message_and_the_exact_text_one_click_away(
    qtbot: Any,
) -> None:
    panel = _panel(qtbot)
    view = panel.transcript
    panel._bridge.transcripts.emit(
        [
            TranscriptDelta(TranscriptKind.RESPONSE_STARTED, "avatar", "resp_1", ""),
            TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_1", BIG),
        ]
    )
    qtbot.waitUntil(lambda: view.message_count == 1, timeout=WAIT_MS)

    assert view.document().characterCount() < SHOWN_LIMIT
    shown = view.toPlainText()
    assert "Show full text (1.9 MB)" in shown
    assert "1,980,000 more characters" in shown
    # Long runs get invisible break opportunities: Qt never lays out a 2 MB word.
    assert _longest_unbroken_run(shown) <= 64
    # Copying from the conversation gives the text as said, without them.
    view.selectAll()
    view.copy()
    copied = QGuiApplication.clipboard().text()
    assert "\u200b" not in copied
    assert "x" * 20_000 in copied

    [number] = view.elided_messages()
    _click_full_text_link(qtbot, view, number)
    qtbot.waitUntil(lambda: len(panel.viewers) == 1, timeout=WAIT_MS)
    viewer = panel.viewers[0]
    assert viewer.full_text == BIG
    qtbot.waitUntil(lambda: not viewer.view.loading, timeout=WAIT_MS)
    document = viewer.view.document()
    # Loaded in short lines (a plain-text view lays out only those on screen) ...
    assert _longest_block(document) <= 1001
    # ... that still copy as the exact original.
    assert viewer.view.original_range(0, document.characterCount() - 1) == BIG
    viewer.view.selectAll()
    viewer.view.copy()
    assert QGuiApplication.clipboard().text() == BIG
    assert "2,000,000 characters (1.9 MB)" in viewer.status.text()
    viewer.close()
    qtbot.waitUntil(lambda: not panel.viewers, timeout=WAIT_MS)

    # The final text wins and stays bounded too.
    final = BIG + " and the end."
    panel._bridge.transcripts.emit(
        [TranscriptDelta(TranscriptKind.DONE, "avatar", "resp_1", final)]
    )
    qtbot.waitUntil(lambda: view.bubble_text("avatar", "resp_1") is None, timeout=WAIT_MS)
    assert view.document().characterCount() < SHOWN_LIMIT
    assert view.full_text(number) == final


def test_ten_thousand_small_deltas_end_bounded_with_every_word_kept(qtbot: Any) -> None:
    panel = _panel(qtbot)
    view = panel.transcript
    bridge = panel._bridge
    words = [f"word{i} " for i in range(10_000)]
    bridge.transcripts.emit(
        [TranscriptDelta(TranscriptKind.RESPONSE_STARTED, "avatar", "resp_1", "")]
    )
    for start in range(0, len(words), 100):
        bridge.transcripts.emit(
            [
                TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_1", word)
                for word in words[start : start + 100]
            ]
        )
        panel.flush_pending()
        assert view.document().characterCount() < SHOWN_LIMIT
    sent = "".join(words)
    assert view.bubble_text("avatar", "resp_1") == sent
    bridge.transcripts.emit([TranscriptDelta(TranscriptKind.DONE, "avatar", "resp_1", sent)])
    qtbot.waitUntil(lambda: view.bubble_text("avatar", "resp_1") is None, timeout=WAIT_MS)

    assert view.document().characterCount() < SHOWN_LIMIT
    assert "Show full text (" in view.toPlainText()
    [number] = view.elided_messages()
    viewer = panel.open_full_text(number)
    qtbot.waitUntil(lambda: not viewer.view.loading, timeout=WAIT_MS)
    assert viewer.full_text == sent
    end = viewer.view.document().characterCount() - 1
    assert viewer.view.original_range(0, end) == sent
    viewer.close()


def test_appending_deltas_lays_out_a_bounded_amount_each_time(qtbot: Any) -> None:
    """n deltas cost O(n) layout work, not O(n²): count the characters each change re-lays out.

    Qt lays out the whole paragraph (block) an insert lands in; a message is one block. So
    the work of one delta is the length of its message's block after the insert.
    """

    def layout_work(count: int) -> int:
        view = TranscriptView()
        qtbot.addWidget(view)
        view.resize(500, 600)
        view.show()
        document = view.document()
        work = [0]

        def on_change(position: int, _removed: int, _added: int) -> None:
            work[0] += document.findBlock(position).length()

        document.contentsChange.connect(on_change)
        for i in range(count):
            with view.batch():  # one delta per tick: the worst case
                view.append_delta("avatar", "resp_1", f"delta {i:05d} " + "word " * 14)
        return work[0]

    small, large = layout_work(250), layout_work(1000)
    # Linear growth would make it 4 times as much; re-laying out the growing message makes
    # it 16 times (the message stops growing on screen once it reaches its cap).
    assert large <= 5 * small, (small, large)


def test_summary_and_detail_pane_hold_bounded_text_of_a_huge_frame(qtbot: Any) -> None:
    from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

    bridge = make_bridge()
    panel = TimelinePanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    content = "y" * 3_000_000
    frame = json.dumps({"type": DELTA_TYPE, "data": {"id": "resp_1", "content": content}})
    timeline = bridge.timeline
    timeline.append(
        Direction.IN,
        DELTA_TYPE,
        frame,
        summary=content,
        fold_key=f"{TEXT_FOLD_PREFIX}{DELTA_TYPE}|resp_1",
    )
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    summary = panel.model.data(panel.model.index(0, SUMMARY))
    assert len(summary) <= 301
    panel.view.selectRow(0)

    detail = panel.detail
    assert detail.text.document().characterCount() < SHOWN_LIMIT
    assert _longest_block(detail.text.document()) <= 1001
    assert detail.raw_text == frame  # Copy still copies the exact frame
    assert detail.elided_label.isVisibleTo(detail)
    assert f"of {len(frame):,} characters (2.9 MB)" in detail.elided_label.text()
    qtbot.mouseClick(detail.full_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(detail.viewers) == 1, timeout=WAIT_MS)
    viewer = detail.viewers[0]
    qtbot.waitUntil(lambda: not viewer.view.loading, timeout=WAIT_MS)
    assert viewer.full_text == frame
    end = viewer.view.document().characterCount() - 1
    assert viewer.view.original_range(0, end) == frame
    viewer.close()

    # A response of 10,000 deltas folds into one row: its joined text is bounded too.
    pieces = [f"part{i} " for i in range(10_000)]
    for piece in pieces:
        timeline.append(
            Direction.IN,
            DELTA_TYPE,
            json.dumps({"type": DELTA_TYPE, "data": {"id": "resp_2", "content": piece}}),
            summary=piece,
            fold_key=f"{TEXT_FOLD_PREFIX}{DELTA_TYPE}|resp_2",
        )
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not panel.model.pending, timeout=WAIT_MS)
    assert len(panel.model.data(panel.model.index(1, SUMMARY))) <= 301
    panel.view.selectRow(1)
    assert detail.text.document().characterCount() < SHOWN_LIMIT
    assert "".join(pieces) in detail.full_text
    assert detail.elided_label.isVisibleTo(detail)


def test_a_short_message_is_shown_whole_without_a_link(qtbot: Any) -> None:
    panel = _panel(qtbot)
    view = panel.transcript
    view.add_message("avatar", "Sunny, 24 degrees.")
    assert "Sunny, 24 degrees." in view.toPlainText()
    assert "Show full text" not in view.toPlainText()
    assert view.elided_messages() == []


def test_the_viewer_loads_many_short_lines_and_saves_them_exactly(
    qtbot: Any, tmp_path: Any
) -> None:
    from navtalk_desktop.ui.widgets.text_viewer import FullTextViewer

    text = "".join(f"line {i}\r\n" if i % 3 else "\n" for i in range(30_000)) + "é" * 70_000
    viewer = FullTextViewer("Many lines", text)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.view.loading, timeout=WAIT_MS)
    document = viewer.view.document()
    assert viewer.view.original_range(0, document.characterCount() - 1) == text
    assert _longest_block(document) <= 1001
    viewer.save(tmp_path / "full.txt")
    assert (tmp_path / "full.txt").read_bytes() == text.encode("utf-8")
    assert "Saved to" in viewer.status.text()


def test_a_long_string_cut_into_display_lines_stays_coloured_as_a_string(qtbot: Any) -> None:
    from navtalk_desktop.ui.shell.theme import colors
    from navtalk_desktop.ui.timeline.detail_pane import DetailPane

    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.resize(700, 400)
    pane.show()
    frame = json.dumps({"type": DELTA_TYPE, "data": {"id": "resp_1", "content": "z" * 5000}})
    pane.show_frame("<b>delta</b>", frame)
    string_colour = QColor(colors(pane.palette()).json_string)

    def colour_at_start(block: Any) -> QColor | None:
        for layout_format in block.layout().formats():
            if layout_format.start == 0 and layout_format.length > 0:
                return layout_format.format.foreground().color()
        return None

    document = pane.text.document()
    content_line = next(
        document.findBlockByNumber(n)
        for n in range(document.blockCount())
        if '"content"' in document.findBlockByNumber(n).text()
    )
    continuation = content_line.next()
    assert continuation.text().startswith("z")  # the string goes on past the 1,000th column
    qtbot.waitUntil(lambda: colour_at_start(continuation) is not None, timeout=WAIT_MS)
    assert colour_at_start(continuation) == string_colour
    assert colour_at_start(continuation.next()) == string_colour
