"""A call with megabytes of arguments: a bounded card, the exact text one click away, answerable."""

from __future__ import annotations

import json
from typing import Any

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.ui.calls.call_card import CARD_ARGUMENT_CHARS, CallCard


def _huge_call() -> FunctionCall:
    # One unbroken 2 MB value: the layout that froze the GUI (quadratic in the line length).
    arguments = {"city": "Paris", "blob": "x" * 2_000_000}
    raw = json.dumps(arguments)
    call = FunctionCall(
        key="call_big",
        call_id="call_big",
        name="get_weather",
        arguments=arguments,
        raw_arguments=raw,
    )
    call.add_step("received", 0.0, 0.0)
    return call


def test_huge_arguments_show_bounded_with_the_full_text_one_click_away(qtbot: Any) -> None:
    call = _huge_call()
    card = CallCard(call, deadline_s=None)
    qtbot.addWidget(card)
    # Bounded before it is ever laid out.
    assert len(card.arguments.toPlainText()) <= CARD_ARGUMENT_CHARS
    card.resize(600, 500)
    card.show()
    qtbot.waitUntil(card.full_arguments_button.isVisible, timeout=20_000)
    assert card.arguments_are_elided
    assert f"of {len(call.raw_arguments):,} characters" in card.arguments_elided.text()
    assert card.arguments.toPlainText().startswith('{"city": "Paris", "blob": "xxx')
    # The full text is exactly the arguments as received.
    assert card.full_arguments == call.raw_arguments
    card.full_arguments_button.click()
    (viewer,) = card.viewers
    assert viewer.full_text == call.raw_arguments
    qtbot.waitUntil(lambda: viewer.isVisible(), timeout=20_000)
    viewer.close()

    # The call can still be answered from the card.
    sent: list[tuple[str, str, bool]] = []
    card.send_requested.connect(lambda key, text, error: sent.append((key, text, error)))
    card.answer.set_text('{"temperature": 21}')
    qtbot.waitUntil(card.send_button.isEnabled, timeout=20_000)
    card.send_button.click()
    assert sent == [("call_big", '{"temperature": 21}', False)]


def test_small_arguments_show_whole_and_pretty() -> None:
    call = FunctionCall(
        key="c", call_id="c", name="t", arguments={"a": 1}, raw_arguments='{"a": 1}'
    )
    call.add_step("received", 0.0, 0.0)
    card = CallCard(call, deadline_s=None)
    try:
        assert json.loads(card.arguments.toPlainText()) == {"a": 1}
        assert not card.arguments_are_elided
        assert card.full_arguments_button.isHidden()
    finally:
        card.deleteLater()


def test_a_huge_draft_is_held_and_approved_exactly_as_it_is(qtbot: Any) -> None:
    """A 1 MB automatic draft is never laid out in the editable box, and is sent unchanged."""
    from navtalk_desktop.ui.calls.answer_form import LONG_ANSWER_LINE

    call = _huge_call()
    card = CallCard(call, deadline_s=None)
    qtbot.addWidget(card)
    draft = json.dumps({"report": "y" * 1_000_000})
    card.set_dispatch("draft", draft, "template", [])
    # Held before any layout: the editable document stays empty.
    assert card.answer.held
    assert card.answer.raw_edit.document().characterCount() <= 1
    assert card.answer.text() == draft
    card.resize(600, 500)
    card.show()
    qtbot.waitUntil(card.answer.held_label.isVisible, timeout=20_000)
    assert "too large to edit here" in card.answer.held_label.text()
    card.answer.held_label.linkActivated.emit("open")
    (viewer,) = card.answer.viewers
    assert viewer.full_text == draft
    viewer.close()

    approved: list[tuple[str, str]] = []
    card.approve_requested.connect(lambda key, text: approved.append((key, text)))
    qtbot.waitUntil(card.send_button.isEnabled, timeout=20_000)
    assert card.send_button.text() == "Approve"
    card.send_button.click()
    assert approved == [("call_big", draft)]

    # Discarding goes back to an empty, editable answer; small drafts are edited in place.
    card.answer.held_label.linkActivated.emit("discard")
    assert not card.answer.held
    assert card.answer.raw_edit.isVisibleTo(card)
    assert card.answer.text() == ""
    pretty = json.dumps({"rows": ["z" * 80] * 2000}, indent=2)  # 180 kB in short lines
    card.answer.set_text(pretty)
    assert not card.answer.held
    assert card.answer.raw_edit.toPlainText() == pretty
    card.answer.set_text("x" * (LONG_ANSWER_LINE + 1))  # one line too long to lay out
    assert card.answer.held
