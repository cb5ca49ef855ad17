"""The conversation panel: streamed transcripts, typed turns, the active-responses indicator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from navtalk_desktop.core.engine.events import TranscriptDelta, TranscriptKind
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel, TranscriptView
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import DARK, LIGHT, build_palette
from tests.gui.ui_support import make_bridge

# Generous: a wait only costs time when it fails, and the suite runs on loaded machines.
WAIT_MS = 20_000


def weather_bridge(tasks: TaskRunner, simulator_url: str) -> EngineAdapter:
    return make_bridge(
        tasks, toolset=ToolSet(tools=(new_entry("weather"),)), simulator_url=simulator_url
    )


@pytest.fixture
def connected(
    qloop: Any, qtbot: Any, await_in_qt: Any
) -> Iterator[tuple[ConversationPanel, SimulatorServer]]:
    sim = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(sim.start())
    tasks = TaskRunner()
    bridge = weather_bridge(tasks, sim.ws_url)
    panel = ConversationPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(500, 600)
    panel.show()
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=WAIT_MS)
    try:
        yield panel, sim
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        await_in_qt(sim.stop())


def user_texts_received(sim: SimulatorServer) -> list[str]:
    texts = []
    for entry in sim.session_log.entries:
        frame = entry.frame
        if entry.direction == "in" and entry.type == "conversation.item.create":
            for part in frame["item"].get("content", []):
                if part.get("type") == "input_text":
                    texts.append(part["text"])
    return texts


def test_enter_sends_typed_text_and_shift_enter_adds_a_line(qtbot: Any, connected: Any) -> None:
    panel, sim = connected
    assert panel.send_button.toolTip().startswith("Send")
    qtbot.keyClicks(panel.input, "Hello")
    qtbot.keyClick(panel.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(panel.input, "there")
    assert panel.input.toPlainText() == "Hello\nthere"
    sent: list[str] = []
    panel.text_sent.connect(sent.append)
    qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert sent == ["Hello\nthere"]
    assert panel.input.toPlainText() == ""
    assert "Hello\nthere" in panel.transcript.toPlainText()
    qtbot.waitUntil(lambda: "Hello\nthere" in user_texts_received(sim), timeout=WAIT_MS)


def test_avatar_reply_streams_into_one_bubble(qtbot: Any, connected: Any) -> None:
    panel, _sim = connected
    bridge = panel._bridge
    deltas: list[tuple[str, str]] = []
    finals: list[tuple[str, str]] = []
    activity: list[str] = []

    def seen(events: list[TranscriptDelta]) -> None:
        # Connected after the panel: what its activity line shows once it took the batch.
        for item in events:
            kind, role, rid, text = item.kind, item.role, item.response_id, item.text
            if kind == TranscriptKind.DELTA:
                deltas.append((rid, text))
            elif kind == TranscriptKind.DONE and role == "avatar":
                finals.append((rid, text))
            if kind in (TranscriptKind.RESPONSE_STARTED, TranscriptKind.DELTA):
                activity.append(panel.activity.text())

    bridge.transcripts.connect(seen)

    panel.input.setPlainText("Hello, who are you?")
    panel.send_button.click()
    qtbot.waitUntil(lambda: bool(finals), timeout=WAIT_MS)
    response_id, text = finals[0]
    streamed = [fragment for rid, fragment in deltas if rid == response_id]
    assert len(streamed) > 1  # it really streamed
    assert "".join(streamed) == text
    # While streaming, the indicator named the response; afterwards it is idle.
    assert any("Avatar speaking" in label and response_id in label for label in activity)
    # The end of a response reaches the activity line on the next ui_tick.
    qtbot.waitUntil(lambda: panel.activity.text() == "No active response", timeout=WAIT_MS)
    assert panel.active_responses == []
    # The panel applies streamed text in batches (a timer): wait for the batch that
    # completes the reply, then the whole reply must be in exactly one bubble.
    qtbot.waitUntil(lambda: text in panel.transcript.toPlainText(), timeout=WAIT_MS)
    document = panel.transcript.toPlainText()
    assert document.count(text) == 1
    assert panel.transcript.message_count == 2  # the typed turn and one avatar bubble


def test_sending_is_disabled_until_connected(qtbot: Any, qloop: Any) -> None:
    tasks = TaskRunner()
    bridge = weather_bridge(tasks, "ws://127.0.0.1:9/unused")
    panel = ConversationPanel(bridge)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.input, "Anyone there?")
    assert not panel.send_button.isEnabled()
    assert "Connect first" in panel.send_button.toolTip()
    qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert panel.input.toPlainText() == "Anyone there?"  # kept, nothing lost
    assert tasks.pending == 0
    assert panel.transcript.message_count == 0


def test_transcript_view_appends_incrementally(qtbot: Any) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.append_delta("avatar", "resp_1", "The weather ")
    view.finish("user", "", "And tomorrow?")  # a user transcript arrives mid-stream
    view.append_delta("avatar", "resp_1", "is sunny")
    view.append_delta("avatar", "resp_2", "Tomorrow: rain")
    assert view.bubble_text("avatar", "resp_1") == "The weather is sunny"
    blocks_before = view.document().blockCount()
    view.append_delta("avatar", "resp_1", ".")
    # A delta adds characters, never blocks: nothing was re-laid out from scratch.
    assert view.document().blockCount() == blocks_before
    view.finish("avatar", "resp_1", "The weather is sunny.")
    view.finish("avatar", "resp_2", "Tomorrow: light rain.")  # the final text wins over deltas
    text = view.toPlainText()
    assert (
        text.index("The weather is sunny.")
        < text.index("And tomorrow?")
        < text.index("Tomorrow: light rain.")
    )
    assert "Tomorrow: rain" not in text
    assert text.count("Avatar  ") == 2  # the replaced body kept its header line
    assert view.bubble_text("avatar", "resp_1") is None  # closed
    assert view.message_count == 3
    view.clear_transcript()
    assert view.toPlainText() == ""
    assert view.message_count == 0


def test_many_deltas_stay_cheap(qtbot: Any) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    for index in range(2000):
        view.append_delta("avatar", f"resp_{index // 200}", "word ")
    assert json.dumps(view.bubble_text("avatar", "resp_9")) == json.dumps("word " * 200)


def test_bubbles_after_a_theme_switch_take_its_colours(qtbot: Any) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.setPalette(build_palette(LIGHT))
    view.add_message("avatar", "in the light")
    view.setPalette(build_palette(DARK))
    view.add_message("avatar", "in the dark")
    view.add_message("avatar", "still dark")
    qtbot.waitUntil(lambda: not view.restyle_pending(), timeout=20_000)
    backgrounds = []
    block = view.document().begin()
    while block.isValid():
        if block.text().endswith(("in the light", "in the dark", "still dark")):
            backgrounds.append(block.blockFormat().background().color().name())
        block = block.next()
    # Each role's formats are built once per theme and reused for every bubble after;
    # bubbles already shown are re-coloured by the switch (issue 16: never light on light).
    assert backgrounds == ["#262a31", "#262a31", "#262a31"]


def test_one_batch_of_transcript_events_can_hold_whole_responses(qtbot: Any) -> None:
    bridge = make_bridge()
    panel = ConversationPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(500, 600)
    panel.show()
    # Under load one delivery from the engine carries several responses at once.
    bridge.transcripts.emit(
        [
            TranscriptDelta(TranscriptKind.DONE, "user", "item_1", "Weather today?"),
            TranscriptDelta(TranscriptKind.RESPONSE_STARTED, "avatar", "resp_1", ""),
            TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_1", "Sunny "),
            TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_1", "toda"),
            TranscriptDelta(TranscriptKind.DONE, "avatar", "resp_1", "Sunny today."),
            TranscriptDelta(TranscriptKind.RESPONSE_FINISHED, "avatar", "resp_1", ""),
            TranscriptDelta(TranscriptKind.RESPONSE_STARTED, "avatar", "resp_2", ""),
            TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_2", "Rain "),
            TranscriptDelta(TranscriptKind.DELTA, "avatar", "resp_2", "tomorrow"),
        ]
    )
    # Idle → speaking shows at once; the text waits for the next ui_tick.
    assert "Avatar speaking" in panel.activity.text()
    assert panel.active_responses == ["resp_2"]
    assert panel.transcript.message_count == 0
    qtbot.waitUntil(lambda: panel.transcript.message_count == 3, timeout=WAIT_MS)
    text = panel.transcript.toPlainText()
    assert text.index("Weather today?") < text.index("Sunny today.") < text.index("Rain tomorrow")
    assert "toda\n" not in text  # the final text replaced the deltas
    assert panel.transcript.bubble_text("avatar", "resp_2") == "Rain tomorrow"
    qtbot.waitUntil(lambda: "1 active response (resp_2)" in panel.activity.text(), timeout=WAIT_MS)

    bridge.transcripts.emit(
        [TranscriptDelta(TranscriptKind.RESPONSE_FINISHED, "avatar", "resp_2", "")]
    )
    qtbot.waitUntil(lambda: panel.activity.text() == "No active response", timeout=WAIT_MS)
    assert panel.active_responses == []
