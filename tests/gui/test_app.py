"""The real app against its in-process simulator: first run, connect, talk, answer, files, reconnect."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt

from navtalk_desktop import app as app_module
from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.profile import LOCAL_SIMULATOR
from navtalk_desktop.core.session.protocol import TRANSCRIPT_DONE
from tests.gui.ui_support import QUESTION, LatestCall, static_toolset_file, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]


def _connect(qtbot: Any, workbench: app_module.Workbench) -> None:
    connection = workbench.panels["connection"]
    qtbot.mouseClick(connection.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    assert connection.connect_button.text() == "Disconnect"


def _ask(qtbot: Any, workbench: app_module.Workbench, text: str = QUESTION) -> Any:
    conversation = workbench.panels["conversation"]
    before = len(workbench.bridge.calls)
    qtbot.keyClicks(conversation.input, text)
    qtbot.mouseClick(conversation.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(workbench.bridge.calls) > before, timeout=20_000)
    return LatestCall(workbench.bridge, list(workbench.bridge.calls)[-1].key)


def _avatar_reply_done(workbench: app_module.Workbench) -> bool:
    timeline = workbench.bridge.timeline
    return any(timeline[row].type == TRANSCRIPT_DONE for row in range(len(timeline)))


def test_first_run_opens_on_local_simulator_with_judge_tool(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    window = workbench.window
    assert workbench.bridge.profile.name == LOCAL_SIMULATOR
    assert [tool.name for tool in workbench.bridge.tools] == ["function_call_judge"]
    assert set(window.docks) == {
        "connection",
        "tools",
        "tests",
        "timeline",
        "call_desk",
        "conversation",
        "composer",
        "avatar",
    }
    assert not window.docks["avatar"].isVisible()  # on demand (View, Ctrl+Shift+V)
    assert all(not dock.isFloating() for dock in window.docks.values())
    assert window.windowTitle() == "NavTalk Desktop — Local simulator (Not connected)"
    # High-DPI: the icon carries every packaged size (and the SVG).
    sizes = {size.width() for size in window.windowIcon().availableSizes()}
    assert {16, 32, 64, 256, 512} <= sizes
    assert "Not connected" in window.status.state_label.text()
    # The simulator starts once the window is shown; then the endpoint shown for it is
    # where it really listens, license masked.
    url_edit = workbench.panels["connection"].url_edit
    qtbot.waitUntil(
        lambda: workbench.simulator is not None and url_edit.text() == workbench.simulator.ws_url,
        timeout=20_000,
    )
    assert workbench.simulator is not None
    assert workbench.simulator.ws_url.startswith("ws://127.0.0.1:")
    assert "license=***" in workbench.bridge.connect_url_masked()


def test_connect_type_answer_by_hand_and_see_the_reply(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    _connect(qtbot, workbench)
    call = _ask(qtbot, workbench)
    assert call.name == "function_call_judge"
    assert call.arguments == {"userInput": QUESTION}
    desk = workbench.panels["call_desk"]
    qtbot.waitUntil(lambda: desk.card(call.key) is not None, timeout=20_000)
    card = desk.card(call.key)
    card.answer.set_text('{"forecast": "sunny", "temperature_c": 24}')
    qtbot.mouseClick(card.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
    assert call.responder == "manual"
    conversation = workbench.panels["conversation"]
    qtbot.waitUntil(
        lambda: (
            "sunny" in conversation.transcript.toPlainText() and not conversation.active_responses
        ),
        timeout=20_000,
    )
    assert QUESTION in conversation.transcript.toPlainText()
    # Status bar: latency of the last answer once the model resumed.
    qtbot.waitUntil(
        lambda: "model resumed" in workbench.window.status.latency_label.text(), timeout=20_000
    )
    # The timeline saw the whole round trip.
    types = [entry.type for entry in workbench.bridge.timeline]
    assert "realtime.response.function_call_arguments.done" in types
    assert "realtime.function_call_output" in types


def test_auto_mode_answers_with_the_tool_responders(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "tools.json", "It is sunny in Beijing.")
    workbench = workbench_factory("--tools", str(tools), "--auto", "--connect")
    assert workbench.bridge.answer_mode == "auto"
    assert workbench.window.actions_by_key["mode_auto"].isChecked()
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    call = _ask(qtbot, workbench)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
    assert call.responder == "static"
    assert call.output == "It is sunny in Beijing."
    # Back to manual from the Session menu: the next call waits for a person.
    workbench.window.actions_by_key["mode_manual"].trigger()
    assert workbench.bridge.answer_mode == "manual"
    assert workbench.panels["call_desk"].mode_buttons["manual"].isChecked()
    second = _ask(qtbot, workbench, "And tomorrow?")
    desk = workbench.panels["call_desk"]
    qtbot.waitUntil(lambda: desk.card(second.key) is not None, timeout=20_000)
    assert second.state is CallState.RECEIVED


def test_filter_export_and_reopen_a_session(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "tools.json", "Sunny, 24 degrees.")
    workbench = workbench_factory("--tools", str(tools), "--auto", "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    call = _ask(qtbot, workbench)
    qtbot.waitUntil(lambda: call.model_resume_latency_s is not None, timeout=20_000)
    panel = workbench.panels["timeline"]
    # The avatar's spoken reply follows the answer after the simulator's latency; "no active
    # response" also holds before it starts, so wait for its transcript to be complete.
    qtbot.waitUntil(lambda: _avatar_reply_done(workbench), timeout=20_000)
    qtbot.waitUntil(lambda: not workbench.panels["conversation"].active_responses, timeout=20_000)

    # Filter by call: only that call's frames remain, all of them linked to it.
    panel.filter_call(call.call_id)
    rows = panel.model.rowCount()
    assert rows >= 3
    assert {panel.model.entry(r).call_id for r in range(rows)} == {call.call_id}
    # Type + text search with highlight keeps every row visible.
    panel.filter_call(None)
    panel.search_edit.setText("Beijing")
    panel.highlight_check.setChecked(True)
    panel.apply_filter()
    assert panel.model.rowCount() == workbench.bridge.timeline.logical_count()
    assert panel.model.match_rows()

    jsonl = tmp_path / "session.jsonl"
    markdown = tmp_path / "session.md"
    for task in (panel.export_jsonl(jsonl), panel.export_markdown(markdown)):
        qtbot.waitUntil(task.done, timeout=20_000)
    saved = workbench.bridge.timeline.logical_count(), len(workbench.bridge.timeline)
    text = markdown.read_text(encoding="utf-8")
    assert "**User (typed)**" in text
    assert QUESTION in text
    assert "Function call `function_call_judge`" in text
    assert "Sunny, 24 degrees." in text
    assert "**Avatar**" in text
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "navtalk-desktop-timeline"
    assert "sk_navtalk_local_simulator" not in jsonl.read_text(encoding="utf-8")

    # Opening a session needs a disconnected session; then it replaces the timeline.
    assert panel.import_jsonl(jsonl) is None
    qtbot.mouseClick(workbench.panels["connection"].connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not workbench.bridge.is_active, timeout=20_000)
    workbench.bridge.clear_timeline()  # the engine owns the store: clearing is a command
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=20_000)
    assert len(workbench.bridge.timeline) == 0
    task = panel.import_jsonl(jsonl)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=20_000)
    assert task.exception() is None
    # The export holds the frames up to the moment it started.
    assert len(workbench.bridge.timeline) == saved[1]
    qtbot.waitUntil(lambda: panel.model.rowCount() == saved[0], timeout=20_000)
    assert any(
        n.message.startswith("Opened session.jsonl") for n in workbench.window.notifications.history
    )


def test_broken_session_file_is_reported_and_changes_nothing(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    workbench = workbench_factory()
    panel = workbench.panels["timeline"]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"format": "navtalk-desktop-timeline", "version": 1}\n{not json\n')
    before = len(workbench.bridge.timeline)
    history = workbench.window.notifications.history
    notes_before = len(history)
    task = panel.import_jsonl(broken)
    qtbot.waitUntil(task.done, timeout=20_000)
    # What this import said (start-up work may still notify meanwhile).
    (note,) = [n for n in history[notes_before:] if "broken.jsonl" in n.message]
    assert note.level == "error"
    assert "line 2" in note.message
    assert len(workbench.bridge.timeline) == before
    assert workbench.window.notifications.visible_toasts  # shown, not modal


def test_reconnects_after_the_simulator_drops(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any]
) -> None:
    workbench = workbench_factory("--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    simulator = workbench.simulator
    assert simulator is not None
    port = simulator.port
    states: list[str] = []
    workbench.bridge.state_changed.connect(lambda state, _message: states.append(state))
    await_in_qt(simulator.stop())
    qtbot.waitUntil(lambda: "reconnecting" in states, timeout=20_000)
    await_in_qt(simulator.start("127.0.0.1", port))
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=30_000)
    assert workbench.bridge.connection_count >= 2
    messages = workbench.panels["connection"].messages
    texts = [messages.item(i).text() for i in range(messages.count())]
    assert any("reconnecting in" in text for text in texts)
    # Tools are registered again on the new connection.
    registrations = [
        e for e in workbench.bridge.timeline if e.type == "realtime.input_function_call"
    ]
    assert len(registrations) >= 2


def test_layout_and_profile_choice_are_remembered(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    first = workbench_factory()
    first.window.docks["conversation"].setFloating(True)
    first.panels["connection"].select_profile("NavTalk v2")
    qtbot.waitUntil(lambda: (tmp_path / "settings.json").exists(), timeout=20_000)
    qtbot.waitUntil(
        lambda: (
            json.loads((tmp_path / "settings.json").read_text())["active_profile"] == "NavTalk v2"
        ),
        timeout=20_000,
    )
    first.window.save_layout(first._layout)
    first._layout.sync()
    first.window.docks["conversation"].setFloating(False)
    second = workbench_factory()
    assert second.bridge.profile.name == "NavTalk v2"
    assert second.window.docks["conversation"].isFloating()
    second.window.docks["conversation"].setFloating(False)
    layout = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    assert layout.value("window/state") is not None


def test_broken_settings_file_is_reported_and_left_untouched(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"profiles": [oops', encoding="utf-8")
    workbench = workbench_factory()
    assert workbench.bridge.profile.name == LOCAL_SIMULATOR  # defaults, the app still starts
    notes = workbench.window.notifications.history
    assert any("settings.json" in n.message and n.level == "error" for n in notes)
    workbench.panels["connection"].select_profile("NavTalk v2")
    # A save would run as a background task: once none is pending, the file must be as it was.
    qtbot.waitUntil(lambda: workbench.tasks.pending == 0, timeout=20_000)
    assert settings.read_text(encoding="utf-8") == '{"profiles": [oops'
