"""Suite files: parsing with located errors, canonical text (stable diffs), the shipped schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.regression.suite import (
    CallTest,
    ConversationTest,
    Expectation,
    TestSource,
    suite_from_json,
    suite_to_text,
)
from navtalk_desktop.core.tools.toolset import ToolSet, toolset_from_json, toolset_to_json
from navtalk_desktop.examples.install import BUNDLED, USE_CASES_FILE, USE_CASES_TESTS
from navtalk_desktop.infra.test_suite_file import suite_schema

SUITE: dict[str, Any] = {
    "format": "navtalk-desktop.tests",
    "schema_version": 1,
    "name": "Weather",
    "tools": "weather.navtools.json",
    "tests": [
        {
            "name": "beijing",
            "kind": "call",
            "tool": "get_weather",
            "arguments": {"city": "Beijing"},
            "expect": {
                "not_error": True,
                "text": "sunny",
                "json_subset": None,
                "json_schema": {"type": "object"},
                "regex": "^s",
                "latency_ms": 500,
            },
        },
        {
            "name": "asks",
            "kind": "conversation",
            "say": "weather?",
            "calls": [{"tool": "get_weather", "arguments": {"city": "Beijing"}, "output": "sunny"}],
            "reply": {"regex": "sunny"},
        },
    ],
}


def test_parses_call_and_conversation_tests() -> None:
    suite = suite_from_json(SUITE)
    call, conversation = suite.tests
    assert isinstance(call, CallTest)
    assert call.arguments == {"city": "Beijing"}
    assert call.expect.has_json_subset
    assert call.expect.json_subset is None
    assert call.expect.latency_ms == 500
    assert isinstance(conversation, ConversationTest)
    assert conversation.calls[0].output == "sunny"
    assert conversation.reply == Expectation(regex="sunny")
    assert suite.tools == "weather.navtools.json"


def test_text_form_round_trips_exactly_with_one_test_per_block() -> None:
    text = suite_to_text(suite_from_json(SUITE))
    assert suite_to_text(suite_from_json(json.loads(text))) == text
    # Keys are written in a fixed order whatever order the document had.
    shuffled = copy.deepcopy(SUITE)
    shuffled["tests"][0] = dict(reversed(list(shuffled["tests"][0].items())))
    assert suite_to_text(suite_from_json(shuffled)) == text
    lines = text.splitlines()
    assert lines[0] == "{"
    assert '      "name": "beijing",' in lines
    assert "    {" in lines  # each test its own indented block


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda d: d["tests"][0].update(expext={}), "tests[0].expext"),
        (lambda d: d["tests"][0]["expect"].update(regexp="x"), "tests[0].expect.regexp"),
        (lambda d: d["tests"][1].pop("say"), "tests[1]"),
        (lambda d: d["tests"][1].update(kind="chat"), "tests[1].kind"),
        (lambda d: d["tests"][1].update(name="beijing"), "tests[1].name"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["tests"][0].update(arguments=[]), "tests[0].arguments"),
    ],
)
def test_malformed_suites_are_refused_with_the_location(change: Any, location: str) -> None:
    data = copy.deepcopy(SUITE)
    change(data)
    with pytest.raises(ConfigError) as caught:
        suite_from_json(data)
    assert caught.value.location == location


def test_the_shipped_schema_accepts_what_the_parser_accepts_and_refuses_typos() -> None:
    validator = jsonschema.Draft202012Validator(suite_schema())
    jsonschema.Draft202012Validator.check_schema(suite_schema())
    assert list(validator.iter_errors(SUITE)) == []
    bundled = json.loads((BUNDLED / USE_CASES_TESTS).read_text(encoding="utf-8"))
    assert list(validator.iter_errors(bundled)) == []
    typo = copy.deepcopy(SUITE)
    typo["tests"][0]["expext"] = {}
    assert list(validator.iter_errors(typo))
    both = copy.deepcopy(SUITE)
    both["tests"][1]["speak"] = "hello.wav"
    assert list(validator.iter_errors(both))


def test_the_bundled_suite_is_in_canonical_form_and_its_tool_set_lists_it() -> None:
    text = (BUNDLED / USE_CASES_TESTS).read_text(encoding="utf-8")
    suite = suite_from_json(json.loads(text))
    assert suite_to_text(suite) == text
    toolset = toolset_from_json(json.loads((BUNDLED / USE_CASES_FILE).read_text(encoding="utf-8")))
    assert toolset.tests == (USE_CASES_TESTS,)
    assert suite.tools == USE_CASES_FILE
    tools = {t.name for t in toolset.tools}
    called = {c.tool for c in suite.tests if isinstance(c, CallTest)}
    assert called == tools  # every use case has a call test


def test_tool_sets_without_suites_are_written_as_before() -> None:
    data = toolset_to_json(ToolSet(name="x"))
    assert "tests" not in data
    with_tests = toolset_to_json(ToolSet(name="x", tests=("a.navtests.json",)))
    assert with_tests["tests"] == ["a.navtests.json"]
    assert toolset_from_json(with_tests).tests == ("a.navtests.json",)
    with pytest.raises(ConfigError):
        toolset_from_json({**with_tests, "tests": [3]})


def test_a_captured_call_expects_its_answer_again() -> None:
    from navtalk_desktop.core.regression.capture import call_test_from, describe_call, with_case
    from navtalk_desktop.core.regression.suite import Suite

    text = call_test_from("t", "get_weather", {"city": "B"}, "Sunny", is_error=False)
    assert text.expect == Expectation(not_error=True, text="Sunny")
    error = call_test_from("t", "get_weather", {}, "Error: down", is_error=True)
    assert error.expect == Expectation(is_error=True, text="Error: down")
    as_json = call_test_from("t", "x", {}, '{"a": [1]}', is_error=False)
    assert as_json.expect == Expectation(not_error=True, json_subset={"a": [1]})
    suite = with_case(with_case(Suite(name="s"), text), text)
    assert [c.name for c in suite.tests] == ["t", "t (2)"]
    assert (
        describe_call("get_weather", {"city": "Beijing", "days": 3})
        == "get_weather city=Beijing days=3"
    )


def test_rerecording_replaces_the_text_or_the_json_value_and_keeps_other_checks() -> None:
    from navtalk_desktop.core.regression.capture import rerecorded

    text = CallTest("t", "x", {}, Expectation(not_error=True, text="old", regex="^o"))
    assert rerecorded(text, "new").expect == Expectation(not_error=True, text="new", regex="^o")
    as_json = CallTest("t", "x", {}, Expectation(json_subset={"a": 1}, latency_ms=50))
    assert rerecorded(as_json, '{"a": 2}').expect == Expectation(
        json_subset={"a": 2}, latency_ms=50
    )
    no_longer_json = rerecorded(as_json, "plain")
    assert not no_longer_json.expect.has_json_subset
    assert no_longer_json.expect == Expectation(text="plain", latency_ms=50)


def test_a_call_tests_source_is_optional_round_trips_and_is_in_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(suite_schema())
    data = copy.deepcopy(SUITE)
    source = {"call_id": "call_abc", "session_id": "sess_1", "time": "2026-12-06T08:00:00.000Z"}
    data["tests"][0]["source"] = source
    assert list(validator.iter_errors(data)) == []
    suite = suite_from_json(data)
    first = suite.tests[0]
    assert isinstance(first, CallTest)
    assert first.source == TestSource("call_abc", session_id="sess_1", time=source["time"])
    # Written back after the expectation, only the fields that are set.
    text = suite_to_text(suite)
    assert json.loads(text)["tests"][0]["source"] == source
    assert suite_from_json(json.loads(text)) == suite
    # Older files (no source) read as before; a typo inside it is refused with its place.
    assert suite_from_json(SUITE).tests[0].source is None  # type: ignore[union-attr]
    data["tests"][0]["source"]["callid"] = "x"
    assert list(validator.iter_errors(data))
    with pytest.raises(ConfigError) as caught:
        suite_from_json(data)
    assert caught.value.location == "tests[0].source.callid"
