"""Save as Test from a call card and a timeline call row; the Tests panel jumps back to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop import app as app_module
from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.regression.suite import CallTest, Expectation, TestSource
from navtalk_desktop.core.session.protocol import CALL_ARGS_DONE
from navtalk_desktop.infra.test_suite_file import SuiteFileStore, load_suite
from tests.gui.test_call_desk import Live, live  # noqa: F401  (fixture)
from tests.gui.ui_support import QUESTION, static_toolset_file, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]
ANSWER = "It is sunny in Beijing."
WAIT_MS = 20_000


def test_save_as_test_from_a_call_card_of_an_unanswered_call(
    qtbot: Any,
    live: Live,  # noqa: F811
    tmp_path: Path,
) -> None:
    desk = live.desk
    call = live.call(qtbot)
    card = desk.card(call.key)
    assert card is not None
    assert card.save_test_button.isHidden()  # no suite store: nothing to offer
    desk.set_suite_files(SuiteFileStore())
    assert card.save_test_button.isVisibleTo(card)
    qtbot.mouseClick(card.save_test_button, Qt.MouseButton.LeftButton)
    dialog = desk.save_test_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    # Not answered yet: no expectation is prefilled, and the form says so.
    assert dialog.unanswered_note.isVisible()
    assert "not been answered yet" in dialog.unanswered_note.text()
    assert not dialog.text_check.isChecked()
    assert not dialog.json_check.isChecked()
    assert not dialog.error_check.isChecked()
    dialog.text_check.setChecked(True)
    dialog.text_edit.setPlainText("Sunny")
    target = tmp_path / "card.navtests.json"
    dialog.path_edit.setText(str(target))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    (case,) = load_suite(target).tests
    assert isinstance(case, CallTest)
    assert (case.tool, case.arguments, case.expect) == (
        "get_weather",
        {"city": "Beijing"},
        Expectation(text="Sunny"),
    )
    assert case.source is not None
    assert case.source.call_id == call.call_id
    assert case.source.session_id == live.bridge.session_id
    assert case.source.time is not None
    assert case.source.time.endswith("Z")
    # The card is still there: saving a test does not answer the call.
    assert call.state is CallState.RECEIVED
    assert desk.card(call.key) is card


def _done_display_row(workbench: app_module.Workbench, call_id: str) -> int:
    panel = workbench.panels["timeline"]
    panel.model.process_pending()
    for row in range(panel.model.rowCount()):
        entry = panel.model.entry(row)
        if entry.call_id == call_id and entry.type == CALL_ARGS_DONE:
            return row
    raise AssertionError(f"no {CALL_ARGS_DONE} row for {call_id}")


def _ask(qtbot: Any, workbench: app_module.Workbench) -> Any:
    conversation = workbench.panels["conversation"]
    before = len(workbench.bridge.calls)
    qtbot.keyClicks(conversation.input, QUESTION)
    qtbot.mouseClick(conversation.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(workbench.bridge.calls) > before, timeout=WAIT_MS)
    return list(workbench.bridge.calls)[-1]


def test_save_from_a_timeline_row_then_show_the_source_call_from_the_tests_panel(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "judge.navtools.json", ANSWER)
    data = json.loads(tools.read_text(encoding="utf-8"))
    data["tests"] = ["judge.navtests.json"]
    tools.write_text(json.dumps(data), encoding="utf-8")
    workbench = workbench_factory("--tools", str(tools), "--auto", "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=WAIT_MS)
    call = _ask(qtbot, workbench)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=WAIT_MS)
    timeline = workbench.panels["timeline"]
    desk = workbench.panels["call_desk"]

    # Right-click menu of the call's row: Save Call as Test… opens the shared form.
    actions = {
        a.text(): a for a in timeline.context_actions(_done_display_row(workbench, call.call_id))
    }
    save = actions["Save Call as Test…"]
    assert save.isEnabled()
    save.trigger()
    dialog = desk.save_test_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert not dialog.unanswered_note.isVisible()
    assert dialog.text_check.isChecked()
    assert dialog.text_edit.toPlainText() == ANSWER
    suite_path = tmp_path / "judge.navtests.json"
    assert Path(dialog.path_edit.text()) == suite_path  # the tool set's listed suite
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    (case,) = load_suite(suite_path).tests
    assert isinstance(case, CallTest)
    assert (case.tool, case.arguments) == ("function_call_judge", call.arguments)
    assert case.expect == Expectation(not_error=True, text=ANSWER)
    assert case.source is not None
    assert case.source.call_id == call.call_id
    assert case.source.session_id == workbench.bridge.session_id

    # The Tests panel shows the new test (it reloads the suite it shows).
    tests = workbench.panels["tests"]
    qtbot.waitUntil(lambda: tests.results.topLevelItemCount() == 1, timeout=WAIT_MS)
    row = tests.results.topLevelItem(0)
    assert row.text(1) == case.name
    tests.results.setCurrentItem(row)
    assert f"Saved from call {call.call_id}" in tests.detail.toPlainText()

    # Hide the call behind a filter and select another row: the jump still finds it.
    timeline.filter_call(None)
    timeline.type_combo.setCurrentText("session.created")
    timeline.apply_filter()
    assert timeline.model.rowCount() >= 1
    timeline.view.selectRow(0)
    assert tests.show_source_button.isVisible()
    assert tests.show_source_button.isEnabled()
    qtbot.mouseClick(tests.show_source_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: timeline._selected_physical_row() == call.timeline_row, timeout=WAIT_MS)
    assert tests.progress.text() == f"Showing call {call.call_id} in the Timeline."
    assert workbench.window.docks["timeline"].isVisible()

    # A source that is not in the open timeline: said clearly, nothing selected elsewhere.
    other = CallTest(
        "elsewhere",
        "function_call_judge",
        {},
        source=TestSource("call_not_in_this_one", recording="/tmp/old.jsonl"),
    )
    store = SuiteFileStore()
    suite = load_suite(suite_path)
    store.save(suite_path, suite.__class__(suite.name, (*suite.tests, other), suite.tools))
    tests.load(suite_path)
    tests.results.setCurrentItem(tests.results.topLevelItem(1))
    qtbot.mouseClick(tests.show_source_button, Qt.MouseButton.LeftButton)
    assert "call_not_in_this_one (old.jsonl) is not in the open timeline" in (tests.progress.text())
    assert "Open old.jsonl with Open Session…" in tests.progress.text()
    assert timeline._selected_physical_row() == call.timeline_row


def test_a_timeline_row_of_an_opened_recording_saves_the_recorded_call(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "judge.navtools.json", ANSWER)
    workbench = workbench_factory("--tools", str(tools), "--auto", "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=WAIT_MS)
    call = _ask(qtbot, workbench)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=WAIT_MS)
    timeline = workbench.panels["timeline"]
    recording = tmp_path / "session.jsonl"
    task = timeline.export_jsonl(recording)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not timeline.busy, timeout=WAIT_MS)
    workbench.bridge.disconnect_session()
    qtbot.waitUntil(lambda: workbench.bridge.state != "ready", timeout=WAIT_MS)
    opened = timeline.import_jsonl(recording)
    assert opened is not None
    qtbot.waitUntil(lambda: timeline.recording == str(recording), timeout=WAIT_MS)

    actions = {
        a.text(): a for a in timeline.context_actions(_done_display_row(workbench, call.call_id))
    }
    actions["Save Call as Test…"].trigger()
    dialog = workbench.panels["call_desk"].save_test_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    target = tmp_path / "recorded.navtests.json"
    dialog.path_edit.setText(str(target))
    assert dialog.save()
    (case,) = load_suite(target).tests
    assert isinstance(case, CallTest)
    assert (case.tool, case.arguments) == ("function_call_judge", call.arguments)
    assert case.expect == Expectation(not_error=True, text=ANSWER)
    assert case.source is not None
    assert case.source.call_id == call.call_id
    assert case.source.recording == str(recording)
