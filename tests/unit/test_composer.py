"""The frame composer's Qt-free parts: validation against the client shapes, snippets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from navtalk_desktop.core.composer.history import FrameHistory, SentFrame
from navtalk_desktop.core.composer.shapes import SHAPES
from navtalk_desktop.core.composer.snippets import (
    BUILTIN_SNIPPETS,
    PREFERENCE_KEY,
    SnippetBook,
)
from navtalk_desktop.core.composer.validation import MAX_FRAME_CHARS, Verdict, check_frame


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.type)
def test_every_builtin_example_matches_its_shape(shape: Any) -> None:
    check = check_frame(shape.example_text())
    assert check.verdict is Verdict.OK, check.problems
    assert check.type == shape.type
    assert json.loads(check.text) == shape.example  # compact, same value


@pytest.mark.parametrize(
    ("text", "verdict", "problem"),
    [
        ("", Verdict.NOT_SENDABLE, "The frame is empty."),
        ("{", Verdict.NOT_SENDABLE, "Not JSON (line 1, column 2)"),
        ("[1, 2]", Verdict.NOT_SENDABLE, "A frame must be a JSON object"),
        ('{"data": {}}', Verdict.INVALID, "$.type: every NavTalk message has a string"),
        (
            '{"type": "realtime.function_call_output", "data": {"output": "x"}}',
            Verdict.INVALID,
            "$.data: 'call_id' is a required property",
        ),
        (
            '{"type": "realtime.input_config", "data": {"content": "{not json"}}',
            Verdict.INVALID,
            "$.data.content: the string is not JSON",
        ),
        (
            '{"type": "realtime.input_function_call", "data": {"content": "{}"}}',
            Verdict.INVALID,
            "$.data.content: must be a JSON string of an array",
        ),
        (
            '{"type": "realtime.input_config", "data": {"content": {"voice": "marin"}}}',
            Verdict.INVALID,
            "$.data.content: {'voice': 'marin'} is not of type 'string'",
        ),
        (
            '{"type": "conversation.item.create", "item": {"type": "message"}}',
            Verdict.INVALID,
            "$.item: is neither a user message nor a function_call_output item",
        ),
    ],
)
def test_bad_frames_get_a_clear_problem(text: str, verdict: Verdict, problem: str) -> None:
    check = check_frame(text)
    assert check.verdict is verdict
    assert check.problems[0].startswith(problem), check.problems
    assert check.sendable is (verdict is not Verdict.NOT_SENDABLE)
    assert check.needs_confirmation is (verdict is Verdict.INVALID)
    assert problem in check.summary()


def test_an_unknown_type_is_sendable_only_after_confirmation() -> None:
    check = check_frame('{"type": "realtime.input_text", "data": {"text": "hi"}}')
    assert check.verdict is Verdict.UNKNOWN_TYPE
    assert check.needs_confirmation
    assert check.text == '{"type":"realtime.input_text","data":{"text":"hi"}}'
    assert "not a client message NavTalk documents" in check.summary()


def test_an_oversized_frame_is_never_sendable() -> None:
    text = json.dumps({"type": "response.create", "pad": "x" * MAX_FRAME_CHARS})
    check = check_frame(text)
    assert not check.sendable
    assert "at most" in check.problems[0]


class MemoryPreferences:
    """A PreferenceStore over a dict that round-trips through JSON (as the file does)."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(initial or {})
        self.writes = 0

    def preference(self, key: str) -> Any:
        return self.values.get(key)

    def set_preference(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))
        self.writes += 1


def test_snippets_are_per_profile_and_persist() -> None:
    store = MemoryPreferences()
    book = SnippetBook(store)
    book.save("Local simulator", "greet", '{"type": "response.create"}')
    book.save("NavTalk v2", "config", '{"type": "realtime.input_config"}')
    assert store.writes == 2
    again = SnippetBook(MemoryPreferences(store.values))
    local = again.snippets("Local simulator")
    assert local[0].name == "greet"
    assert not local[0].builtin
    assert local[1:] == list(BUILTIN_SNIPPETS)
    assert again.find("Local simulator", "config") is None
    assert again.find("NavTalk v2", "config") is not None
    # Replacing keeps one snippet of that name; deleting removes it.
    again.save("Local simulator", "greet", "{}")
    assert [s.text for s in again.snippets("Local simulator") if s.name == "greet"] == ["{}"]
    assert again.delete("Local simulator", "greet")
    assert not again.delete("Local simulator", "greet")
    assert "Local simulator" not in again.to_json()


def test_snippet_names_are_checked() -> None:
    book = SnippetBook()
    with pytest.raises(ValueError, match="Give the snippet a name"):
        book.save("p", "  ", "{}")
    with pytest.raises(ValueError, match="built-in example"):
        book.save("p", "response.create", "{}")


def test_damaged_saved_snippets_are_skipped_and_said() -> None:
    store = MemoryPreferences(
        {PREFERENCE_KEY: {"p": [{"name": "ok", "text": "{}"}, {"name": 3}], "q": "nope"}}
    )
    book = SnippetBook(store)
    assert [s.name for s in book.snippets("p") if not s.builtin] == ["ok"]
    assert len(book.load_problems) == 2


def test_history_keeps_the_newest_first_up_to_its_limit() -> None:
    history = FrameHistory(limit=3)
    for n in range(5):
        history.add(SentFrame(float(n), "response.create", f"{n}"))
    assert [frame.text for frame in history] == ["4", "3", "2"]
    assert len(history) == 3
    assert history[0].text == "4"
