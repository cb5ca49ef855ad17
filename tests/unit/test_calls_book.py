"""CallBook keys, duplicates and lookups; FunctionCall timing helpers."""

from __future__ import annotations

import pytest

from navtalk_desktop.core.calls.book import CallBook, CallState, FunctionCall


def make(book: CallBook, call_id: str) -> FunctionCall:
    return book.add(FunctionCall(book.new_key(call_id), call_id, "f", {}, "{}"))


def test_keys_for_missing_and_duplicate_ids() -> None:
    book = CallBook()
    first = make(book, "call_1")
    second = make(book, "call_1")
    third = make(book, "call_1")
    missing = make(book, "")
    other_missing = make(book, "")
    assert [c.key for c in book] == [
        "call_1",
        "call_1#2",
        "call_1#3",
        "<no call_id #1>",
        "<no call_id #2>",
    ]
    assert book.with_call_id("call_1") == [first, second, third]
    assert book.get("<no call_id #2>") is other_missing
    assert missing is not other_missing
    assert "call_1#2" in book
    assert "call_9" not in book
    with pytest.raises(ValueError, match="already exists"):
        book.add(FunctionCall("call_1", "call_1", "f", {}, "{}"))


def test_get_by_call_id_prefers_the_oldest_open_call() -> None:
    book = CallBook()
    first = make(book, "c")
    second = make(book, "c")
    assert book.get("c") is first
    first.state = CallState.ANSWERED
    assert book.get("c") is second
    second.state = CallState.ABANDONED
    assert book.get("c") is second  # all final: the latest
    assert book.get("c#2") is second
    assert book.open_calls() == []
    assert book.by_state(CallState.ANSWERED) == [first]
    book.clear()
    assert len(book) == 0
    assert book.get("c") is None


def test_states_and_timing() -> None:
    call = FunctionCall("k", "k", "f", None, "")
    call.add_step("received", 10.0, 1000.0)
    call.add_step("answering", 10.5, 1000.5, "manual")
    assert call.answer_latency_s is None
    call.add_step("answered", 11.25, 1001.25)
    assert call.answer_latency_s == pytest.approx(1.25)
    assert call.received_at == 10.0
    assert call.step_time("expired") is None
    assert CallState.EXPIRED.is_open
    assert not CallState.EXPIRED.is_final
    assert CallState.ABANDONED.is_final
    assert not call.has_problems
    call.violations.append("$.x: bad")
    assert call.has_problems
