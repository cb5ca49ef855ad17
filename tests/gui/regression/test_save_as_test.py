"""Save as Test…: an answered call in the call desk's history becomes a call test in a suite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.core.regression.suite import CallTest, Expectation, TestSource
from navtalk_desktop.infra.test_suite_file import SuiteFileStore, load_suite
from navtalk_desktop.ui.regression.save_test_dialog import default_suite_path
from tests.gui.test_call_desk import Live, live, wait_answered  # noqa: F401  (fixture)

ANSWER = '{"temperature": 21, "unit": "celsius"}'


def answer_by_hand(qtbot: Any, live: Live, text: str) -> FunctionCall:  # noqa: F811
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    qtbot.keyClicks(card.answer.raw_edit, text)
    qtbot.mouseClick(card.send_button, Qt.MouseButton.LeftButton)
    wait_answered(qtbot, live, call)
    return call


def test_save_as_test_writes_a_call_test_prefilled_from_the_answer(
    qtbot: Any,
    live: Live,  # noqa: F811
    tmp_path: Path,
) -> None:
    desk = live.desk
    assert not desk.save_test_action.isVisible()  # no suite store: nothing to offer
    desk.set_suite_files(SuiteFileStore())
    call = answer_by_hand(qtbot, live, ANSWER)
    row = desk.history_item(call.key)
    assert row is not None
    assert desk.save_test_action in desk.history.actions()
    desk.history.setCurrentItem(row)
    assert desk.save_test_action.isEnabled()
    desk.save_test_action.trigger()
    dialog = desk.save_test_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=20_000)
    # Prefilled from what happened: the JSON answer as a subset, not an error.
    assert dialog.name_edit.text() == "get_weather city=Beijing"
    assert dialog.json_check.isChecked()
    assert not dialog.text_check.isChecked()
    assert json.loads(dialog.json_edit.toPlainText()) == json.loads(ANSWER)
    assert dialog.error_check.isChecked()

    # No suite file chosen (this tool set was never saved): Save says so and keeps the form.
    assert not dialog.save()
    assert dialog.message.text() == "Choose the suite file."
    assert dialog.isVisible()

    # Edit: only the temperature matters, and it must come within 2 s.
    dialog.json_edit.setPlainText('{"temperature": 21}')
    dialog.latency_check.setChecked(True)
    dialog.latency_spin.setValue(2000)
    target = tmp_path / "desk.navtests.json"
    dialog.path_edit.setText(str(target))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    suite = load_suite(target)
    (case,) = suite.tests
    assert case == CallTest(
        "get_weather city=Beijing",
        "get_weather",
        {"city": "Beijing"},
        Expectation(not_error=True, json_subset={"temperature": 21}, latency_ms=2000),
        source=TestSource(
            call.call_id,
            session_id=live.bridge.session_id,
            time=case.source.time if case.source else None,
        ),
    )
    assert case.source is not None
    assert case.source.time is not None
    assert ("info", "Test saved to desk.navtests.json") in live.notes

    # A second save of the same call appends, with a name of its own.
    again = desk.open_save_test(call.key)
    assert again is not None
    again.path_edit.setText(str(target))
    again.json_edit.setPlainText("{not json")
    assert not again.save()
    assert again.message.text().startswith("The JSON subset is not valid JSON")
    again.json_check.setChecked(False)
    again.text_check.setChecked(True)
    assert again.save()
    names = [c.name for c in load_suite(target).tests]
    assert names == ["get_weather city=Beijing", "get_weather city=Beijing (2)"]


def test_the_default_suite_sits_next_to_the_tool_set(tmp_path: Path) -> None:
    tools = tmp_path / "weather.navtools.json"
    assert default_suite_path(tools, ()) == tmp_path / "weather.navtests.json"
    assert (
        default_suite_path(tools, ("ci/smoke.navtests.json",))
        == tmp_path / "ci/smoke.navtests.json"
    )
    assert default_suite_path(None, ()) is None
