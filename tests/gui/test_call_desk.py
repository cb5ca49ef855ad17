"""The call desk against the real in-process simulator: manual, quick-reply, error and approve answers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.calls.dispatcher import Dispatcher
from navtalk_desktop.core.calls.quick_replies import quick_replies, with_quick_reply
from navtalk_desktop.core.profile import default_profiles
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import ResponderChain
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from navtalk_desktop.ui.calls.call_card import CallCard, urgency
from navtalk_desktop.ui.calls.call_desk import CallDesk
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.tools_panel import TAB_RESPONDERS, ToolsPanel
from tests.gui.ui_support import LatestCall, make_bridge

# Generous: a wait only costs time when it fails, and the suite runs on loaded machines.
WAIT_MS = 20_000
WEATHER_TEXT = "What's the weather in Beijing?"
LIGHTS_TEXT = "Turn on the lights"


@dataclass
class Live:
    sim: SimulatorServer
    bridge: EngineAdapter
    desk: CallDesk
    editor: ToolSetEditor
    notes: list[tuple[str, str]]

    def call(self, qtbot: Any, text: str = WEATHER_TEXT) -> LatestCall:
        """Type ``text`` as the user and wait for the call to reach the desk."""
        # A new card, not "one more card": a card still on its way out must not count.
        known = {card.key for card in self.desk.cards}
        self.bridge.send_text(text)
        qtbot.waitUntil(
            lambda: any(card.key not in known for card in self.desk.cards), timeout=WAIT_MS
        )
        key = next(card.key for card in self.desk.cards if card.key not in known)
        return LatestCall(self.bridge, key)

    def sent_outputs(self) -> list[dict[str, Any]]:
        """``function_call_output`` frames the simulator received."""
        return [
            entry.frame
            for entry in self.sim.session_log.entries
            if entry.direction == "in" and "function_call_output" in json.dumps(entry.frame)
        ]

    def received_output(self, qtbot: Any, call: LatestCall) -> dict[str, Any]:
        """Wait for the simulator to receive the answer to ``call``; the last one it got.

        The call is answered once the frame is sent; the simulator reads it a moment later.
        """

        def outputs() -> list[dict[str, Any]]:
            sent = self.sent_outputs()
            return [o for o in sent if o.get("data", {}).get("call_id") == call.call_id]

        qtbot.waitUntil(lambda: bool(outputs()), timeout=WAIT_MS)
        return outputs()[-1]


def _live(
    qtbot: Any, await_in_qt: Any, toolset: ToolSet, deadline_s: float | None
) -> Iterator[Live]:
    sim = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(sim.start())
    editor = ToolSetEditor(toolset, autosave_delay_s=None)
    tasks = TaskRunner()
    profile = dataclasses.replace(default_profiles()[0], answer_deadline_s=deadline_s)

    def dispatcher(session: Session) -> Dispatcher:
        return Dispatcher(session, factory=ResponderFactory())

    bridge = make_bridge(
        tasks,
        profile=profile,
        toolset=toolset,
        dispatcher_factory=dispatcher,
        simulator_url=sim.ws_url,
    )

    def follow(event: EditorEvent) -> None:
        if event.kind is EditorEventKind.CHANGED:
            bridge.set_toolset(editor.toolset)

    editor.add_listener(follow)
    desk = CallDesk(bridge, editor)
    qtbot.addWidget(desk)
    desk.resize(800, 700)
    desk.show()
    notes: list[tuple[str, str]] = []
    desk.notification_requested.connect(lambda message, level: notes.append((level, message)))
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=WAIT_MS)
    try:
        yield Live(sim, bridge, desk, editor, notes)
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        await_in_qt(sim.stop())


@pytest.fixture
def live(qloop: Any, qtbot: Any, await_in_qt: Any) -> Iterator[Live]:
    toolset = ToolSet(name="Desk", tools=(new_entry("weather"), new_entry("iot")))
    toolset = with_quick_reply(
        toolset, "get_weather", '{"temperature": 18, "conditions": "cloudy"}'
    )
    yield from _live(qtbot, await_in_qt, toolset, deadline_s=30.0)


def wait_answered(
    qtbot: Any, live: Live, call: LatestCall, state: CallState = CallState.ANSWERED
) -> None:
    qtbot.waitUntil(lambda: call.state is state, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: live.desk.card(call.key) is None, timeout=WAIT_MS)


def test_call_arrives_and_is_answered_manually(qtbot: Any, live: Live) -> None:
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    assert card.title.text() == "get_weather"
    assert json.loads(card.arguments.toPlainText()) == {"city": "Beijing"}
    # The card comes with the call; what the dispatcher does with it follows a moment later.
    qtbot.waitUntil(
        lambda: "Waiting for your answer" in card.dispatch_label.text(), timeout=WAIT_MS
    )
    assert "1 call waiting" in live.desk.pending_label.text()
    assert not card.send_button.isEnabled()  # nothing typed yet

    # Text that starts like JSON must parse before it can be sent.
    qtbot.keyClicks(card.answer.raw_edit, '{"temperature": 21,')
    assert not card.send_button.isEnabled()
    assert "Not valid JSON" in card.answer.error_label.text()
    qtbot.keyClicks(card.answer.raw_edit, ' "unit": "celsius"}')
    assert card.send_button.isEnabled()
    qtbot.mouseClick(card.send_button, Qt.MouseButton.LeftButton)

    wait_answered(qtbot, live, call)
    assert call.output == '{"temperature": 21, "unit": "celsius"}'
    assert call.responder == "manual"
    received = live.received_output(qtbot, call)
    assert received["data"]["output"] == call.output
    assert live.sent_outputs()[-1]["data"]["call_id"] == call.call_id  # the newest one
    # The history keeps the call with its timings; the model's resume arrives later.
    item = live.desk.history_item(call.key)
    assert item is not None
    assert item.text(1) == "get_weather"
    assert item.text(2) == "answered"
    assert item.text(4).endswith(("ms", " s"))
    qtbot.waitUntil(lambda: call.model_resume_latency_s is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: item.text(5) != "…", timeout=WAIT_MS)
    steps = [item.child(i).text(1) for i in range(item.childCount())]
    assert steps[0] == "received"
    assert "answered" in steps
    assert live.desk.empty_label.isVisibleTo(live.desk)


def test_quick_replies_answer_and_are_saved_per_tool(qtbot: Any, live: Live) -> None:
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    assert len(card.quick_buttons) == 1
    assert not live.desk.answer_next_with_quick_reply(2)
    assert live.notes[-1][0] == "warning"
    assert "quick reply 2" in live.notes[-1][1]
    assert live.desk.answer_next_with_quick_reply(1)
    wait_answered(qtbot, live, call)
    assert call.output == '{"temperature": 18, "conditions": "cloudy"}'

    # Save a new reply from the next card; it becomes button 2 on open cards of the tool.
    second = live.call(qtbot)
    card = live.desk.card(second.key)
    assert card is not None
    # The form starts from the previous answer (a JSON object): type plain text instead.
    assert card.answer.source == "the previous answer"
    card.answer.raw_edit.clear()
    qtbot.keyClicks(card.answer.raw_edit, "Sunny and warm.")
    card.save_reply_button.click()
    assert quick_replies(live.editor.toolset, "get_weather")[-1] == "Sunny and warm."
    assert len(card.quick_buttons) == 2
    assert card.quick_buttons[1].text().startswith("2 · Sunny")
    card.quick_buttons[1].click()
    wait_answered(qtbot, live, second)
    assert second.output == "Sunny and warm."
    assert live.desk.answer_next_with_quick_reply(1) is False  # nothing waiting any more


def test_quick_reply_twice_in_a_row_answers_the_next_call_too(qtbot: Any, live: Live) -> None:
    # The first answer's card stays until the session (on the engine thread) confirms it;
    # a second press right away must answer the next call, not trip over that card.
    first = live.call(qtbot)
    second = live.call(qtbot)
    assert [card.key for card in live.desk.cards] == [first.key, second.key]
    assert live.desk.answer_next_with_quick_reply(1)
    assert live.desk.card(first.key) is not None  # still shown: nothing confirmed yet
    assert live.desk.answer_next_with_quick_reply(1)
    assert live.notes == []
    wait_answered(qtbot, live, first)
    wait_answered(qtbot, live, second)
    assert first.output == second.output == '{"temperature": 18, "conditions": "cloudy"}'
    # Both answers are on their way or done: a third press finds nothing waiting.
    assert live.desk.answer_next_with_quick_reply(1) is False
    assert live.notes == [("info", "No call is waiting for an answer")]


def test_send_error_answers_with_an_error_output(qtbot: Any, live: Live) -> None:
    call = live.call(qtbot, LIGHTS_TEXT)
    card = live.desk.card(call.key)
    assert card is not None
    assert card.title.text() == "control_device"
    qtbot.keyClicks(card.answer.raw_edit, "the light controller is offline")
    card.error_button.click()
    wait_answered(qtbot, live, call, CallState.FAILED)
    assert call.output == "Error: the light controller is offline"
    assert call.is_error
    assert live.desk.history_item(call.key).text(2) == "failed"
    assert live.received_output(qtbot, call)["data"]["output"] == call.output
    assert live.sent_outputs()[-1]["data"]["call_id"] == call.call_id


def test_approve_mode_drafts_wait_for_a_click(qtbot: Any, live: Live) -> None:
    qtbot.mouseClick(live.desk.mode_buttons["approve"], Qt.MouseButton.LeftButton)
    assert live.bridge.answer_mode == "approve"
    assert live.desk.mode_buttons["approve"].isChecked()

    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    qtbot.waitUntil(lambda: card.draft is not None, timeout=WAIT_MS)
    assert card.draft.startswith("Beijing: 22 degrees")
    assert card.answer.text() == card.draft
    assert card.send_button.text() == "Approve"
    assert card.reject_button.isVisible()
    assert call.state.is_open  # nothing sent without the click
    card.send_button.click()
    wait_answered(qtbot, live, call)
    assert call.output.startswith("Beijing: 22 degrees")
    assert call.responder == "template"

    # An edited draft is sent as edited, and says so.
    second = live.call(qtbot, LIGHTS_TEXT)
    card = live.desk.card(second.key)
    assert card is not None
    qtbot.waitUntil(lambda: card.draft is not None, timeout=WAIT_MS)
    card.answer.raw_edit.selectAll()
    qtbot.keyClicks(card.answer.raw_edit, "Lights are on in the living room.")
    card.send_button.click()
    wait_answered(qtbot, live, second)
    assert second.output == "Lights are on in the living room."
    assert second.responder.endswith("(edited)")

    # A rejected draft leaves the call waiting for a manual answer.
    third = live.call(qtbot)
    card = live.desk.card(third.key)
    assert card is not None
    qtbot.waitUntil(lambda: card.draft is not None, timeout=WAIT_MS)
    card.reject_button.click()
    qtbot.waitUntil(
        lambda: "Waiting for your answer" in card.dispatch_label.text(), timeout=WAIT_MS
    )
    assert card.draft is None
    assert card.send_button.text() == "Send"
    assert third.state.is_open


def test_auto_mode_and_run_responders(qtbot: Any, live: Live) -> None:
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    # Offered once the dispatcher reports the call waiting (a moment after the card).
    qtbot.waitUntil(card.run_button.isVisible, timeout=WAIT_MS)
    card.run_button.click()
    wait_answered(qtbot, live, call)
    assert call.responder == "template"

    live.desk.mode_buttons["auto"].click()
    live.bridge.send_text(LIGHTS_TEXT)
    qtbot.waitUntil(
        lambda: any(
            c.name == "control_device" and c.state is CallState.ANSWERED for c in live.bridge.calls
        ),
        timeout=WAIT_MS,
    )
    auto = next(c for c in live.bridge.calls if c.name == "control_device")
    # Rows are written in batches by the desk itself (history_item() would write them
    # on the spot): both answered calls show, the newest on top.
    history = live.desk.history
    qtbot.waitUntil(lambda: history.topLevelItemCount() == 2, timeout=WAIT_MS)
    assert [history.topLevelItem(i).text(1) for i in range(2)] == ["control_device", "get_weather"]
    assert live.desk.history_item(auto.key) is history.topLevelItem(0)
    assert live.desk.history_item(auto.key).text(3) == "template"
    assert not live.desk.cards


@pytest.fixture
def waiting(qloop: Any, qtbot: Any, await_in_qt: Any) -> Iterator[Live]:
    """Like ``live``, but get_weather's chain is a manual step only."""
    entry = new_entry("weather")
    toolset = ToolSet(name="Desk", tools=(entry.replace(chain=ResponderChain.manual_only()),))
    yield from _live(qtbot, await_in_qt, toolset, deadline_s=30.0)


def test_auto_mode_still_shows_calls_that_wait_for_a_person(qtbot: Any, waiting: Live) -> None:
    # Auto mode defers cards (most calls are answered at once); a call whose chain
    # waits for a person must still get its card and be answerable.
    waiting.desk.mode_buttons["auto"].click()
    assert waiting.bridge.answer_mode == "auto"
    call = waiting.call(qtbot)
    assert call.name == "get_weather"
    assert call.state.is_open
    card = waiting.desk.card(call.key)
    assert card is not None
    assert "1 call waiting" in waiting.desk.pending_label.text()
    qtbot.keyClicks(card.answer.raw_edit, '{"temperature": 5}')
    qtbot.mouseClick(card.send_button, Qt.MouseButton.LeftButton)
    wait_answered(qtbot, waiting, call)
    assert call.output == '{"temperature": 5}'
    assert call.responder == "manual"


def test_template_preview_uses_the_last_real_call(qtbot: Any, live: Live) -> None:
    panel = ToolsPanel(
        live.editor,
        live.bridge.tasks,
        files=ToolSetFileStore(),
        runner=ChainRunner(ResponderFactory()),
        bridge=live.bridge,
    )
    qtbot.addWidget(panel)
    panel.show()
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    page = panel.chain_editor.template_page
    assert "sample arguments" in page.preview_source.text()
    call = live.call(qtbot)
    qtbot.waitUntil(lambda: call.call_id in page.preview_source.text(), timeout=WAIT_MS)
    # The preview renders on its timer after a new context (as after an edit).
    qtbot.waitUntil(
        lambda: page.preview.toPlainText().startswith("Beijing: 22 degrees"), timeout=WAIT_MS
    )
    panel.test_box.reset_button.click()
    assert json.loads(panel.test_box.arguments_text()) == {"city": "Beijing"}


@pytest.fixture
def hurried(qloop: Any, qtbot: Any, await_in_qt: Any) -> Iterator[Live]:
    yield from _live(qtbot, await_in_qt, ToolSet(tools=(new_entry("weather"),)), deadline_s=0.8)


def test_countdown_turns_amber_red_then_overdue(qtbot: Any, hurried: Live) -> None:
    call = hurried.call(qtbot)
    card = hurried.desk.card(call.key)
    assert card is not None
    received = call.received_at
    assert received is not None
    # The levels on the clock, on a card of the same call whose session has not marked it
    # overdue: on a loaded machine the real 0.8 s deadline may pass before these ticks,
    # and an overdue call shows "overdue" whatever time it is asked about.
    early = CallCard(
        dataclasses.replace(call.snapshot, overdue=False),
        deadline_s=card.deadline_s,
    )
    qtbot.addWidget(early)
    early.tick(received + 0.1)
    assert early.urgency == "calm"
    early.tick(received + 0.5)
    assert early.urgency == "amber"
    early.tick(received + 0.7)
    assert early.urgency == "red"
    early.tick(received + 0.9)
    assert early.urgency == "overdue"
    # Real time: the session marks the call overdue, the card follows.
    qtbot.waitUntil(lambda: call.overdue, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: card.countdown.text().startswith("Overdue"), timeout=WAIT_MS)
    assert card.urgency == "overdue"
    # Said once, in the countdown: the status does not repeat it ("overdue Overdue +2.7 s").
    card.refresh()
    assert "overdue" not in card.status_label.text().lower()
    # An overdue call can still be answered.
    live_answer = "Late, but here: 20 degrees."
    qtbot.keyClicks(card.answer.raw_edit, live_answer)
    card.send_button.click()
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: hurried.desk.history_item(call.key) is not None, timeout=WAIT_MS)
    assert "(late)" in hurried.desk.history_item(call.key).text(2)


def test_urgency_levels() -> None:
    assert urgency(None, 10.0) == "calm"
    assert urgency(9.0, 10.0) == "calm"
    assert urgency(4.0, 10.0) == "amber"
    assert urgency(1.5, 10.0) == "red"
    assert urgency(-0.1, 10.0) == "overdue"
    assert CallCard.__name__ == "CallCard"


def test_answer_form_from_the_result_template(qtbot: Any) -> None:
    call = FunctionCall(
        key="call_1",
        call_id="call_1",
        name="get_weather",
        arguments={"city": "Paris", "days": "two"},
        raw_arguments='{"city": "Paris", "days": "two"}',
        violations=["days: 'two' is not of type 'integer'"],
        warnings=["unknown tool"],
    )
    call.add_step("received", 0.0, 0.0)
    card = CallCard(
        call,
        deadline_s=None,
        template={"temperature": 21, "unit": "celsius", "raining": False},
        quick_replies=["a", "b"],
    )
    qtbot.addWidget(card)
    card.show()
    assert card.answer.has_form
    assert "is not of type" in card.problems.text()
    assert "unknown tool" in card.problems.text()
    assert card.countdown.text().strip().endswith("s")  # elapsed time without a deadline
    assert json.loads(card.answer.text()) == {
        "temperature": 21,
        "unit": "celsius",
        "raining": False,
    }
    temperature = card.answer.field("temperature")
    temperature.selectAll()
    qtbot.keyClicks(temperature, "25")
    card.answer.field("raining").click()
    assert json.loads(card.answer.text()) == {"temperature": 25, "unit": "celsius", "raining": True}
    # Raw edits fill the form back in.
    card.answer.set_text('{"temperature": 30, "unit": "fahrenheit", "raining": false}')
    assert card.answer.field("unit").text() == "fahrenheit"
    assert not card.answer.field("raining").isChecked()
    sent: list[tuple[str, str, bool]] = []
    card.send_requested.connect(lambda key, text, error: sent.append((key, text, error)))
    card.send_button.click()
    card.send_quick_reply(1)
    card.error_button.click()
    assert sent[0] == ("call_1", card.answer.text(), False)
    assert sent[1] == ("call_1", "b", False)
    assert sent[2][2] is True
