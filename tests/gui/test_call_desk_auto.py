"""Auto mode and manual steps: what answers is said on the card, Auto-answer always acts
or says why not (issue 16, defect 2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.responders.config import ManualConfig, ResponderChain, ResponderStep
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from tests.gui.test_call_desk import WAIT_MS, Live, _live, wait_answered


def _toolset(chain: ResponderChain) -> ToolSet:
    return ToolSet(name="Desk", tools=(new_entry("weather").replace(chain=chain),))


@pytest.fixture
def manual_first(qloop: Any, qtbot: Any, await_in_qt: Any) -> Iterator[Live]:
    """get_weather's chain: a manual step, then its template."""
    template = new_entry("weather").chain
    chain = dataclasses.replace(template, steps=(ResponderStep(ManualConfig()), *template.steps))
    yield from _live(qtbot, await_in_qt, _toolset(chain), deadline_s=30.0)


@pytest.fixture
def manual_only(qloop: Any, qtbot: Any, await_in_qt: Any) -> Iterator[Live]:
    yield from _live(qtbot, await_in_qt, _toolset(ResponderChain.manual_only()), deadline_s=30.0)


def test_manual_step_first_in_auto_mode_says_so_and_auto_answer_skips_it(
    qtbot: Any, manual_first: Live
) -> None:
    live = manual_first
    live.desk.mode_buttons["auto"].click()
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    qtbot.waitUntil(
        lambda: "Waiting for your answer" in card.dispatch_label.text(), timeout=WAIT_MS
    )
    assert "manual step first" in card.dispatch_label.text()
    assert "skips to template" in card.dispatch_label.text()
    assert card.run_button.isVisible()
    assert "template" in card.run_button.toolTip()
    errors: list[str] = []
    live.bridge.error_reported.connect(errors.append)
    qtbot.mouseClick(card.run_button, Qt.MouseButton.LeftButton)
    wait_answered(qtbot, live, call)
    assert call.responder == "template"
    assert errors == []


def test_manual_only_chain_auto_answer_says_why_not(qtbot: Any, manual_only: Live) -> None:
    live = manual_only
    live.desk.mode_buttons["auto"].click()
    call = live.call(qtbot)
    card = live.desk.card(call.key)
    assert card is not None
    qtbot.waitUntil(
        lambda: "Waiting for your answer" in card.dispatch_label.text(), timeout=WAIT_MS
    )
    assert "manual only" in card.dispatch_label.text()
    qtbot.waitUntil(card.run_button.isVisible, timeout=WAIT_MS)
    assert "Nothing automatic" in card.run_button.toolTip()
    errors: list[str] = []
    live.bridge.error_reported.connect(errors.append)
    qtbot.mouseClick(card.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert "manual only" in errors[-1]
    assert "Tools → Responders" in errors[-1]
    # The call still waits, and the button is back to try again or read why.
    qtbot.waitUntil(card.run_button.isVisible, timeout=WAIT_MS)
    assert call.state is CallState.RECEIVED or call.state.is_open


def test_answer_form_from_the_previous_answer(qtbot: Any, manual_only: Live) -> None:
    # Issue 16, defect 9: a manual-only tool (no static or rules output) gets a form
    # once it has been answered with a JSON object, and the card says where it came from.
    live = manual_only
    first = live.call(qtbot)
    card = live.desk.card(first.key)
    assert card is not None
    assert not card.answer.has_form
    qtbot.keyClicks(card.answer.raw_edit, '{"temperature": 21, "unit": "celsius"}')
    qtbot.mouseClick(card.send_button, Qt.MouseButton.LeftButton)
    wait_answered(qtbot, live, first)
    second = live.call(qtbot)
    card = live.desk.card(second.key)
    assert card is not None
    assert card.answer.has_form
    assert card.answer.source == "the previous answer"
    assert "from the previous answer" in card.answer.form_source_label.text()
    assert card.answer.field("temperature").text() == "21"
