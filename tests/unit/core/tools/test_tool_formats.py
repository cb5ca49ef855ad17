"""Tool definitions: tool set files, import/export in every format, dropped-field reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.responders.config import (
    ErrorPolicy,
    ManualConfig,
    MatchKind,
    ResponderChain,
    ResponderStep,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    TemplateConfig,
    WebhookConfig,
    chain_from_json,
    chain_to_json,
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.formats import ToolFormat, detect_format, export_tools, import_tools
from navtalk_desktop.core.tools.templates import FUNCTION_CALL_JUDGE
from navtalk_desktop.core.tools.toolset import (
    ToolEntry,
    ToolSet,
    toolset_from_json,
    toolset_to_json,
)

WEATHER = ToolDefinition(
    "get_weather",
    "Weather for a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
            "days": {"type": "array", "items": {"type": "integer"}},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
        },
        "required": ["city"],
    },
)

RICH_CHAIN = ResponderChain(
    steps=(
        ResponderStep(ManualConfig(), deadline_s=8.0),
        ResponderStep(
            RulesConfig(
                (
                    Rule(MatchKind.EQUALS, "city", "Paris", output={"t": 20}),
                    Rule(MatchKind.REGEX, "city", pattern="^Ber", output="cold", delay_s=0.5),
                    Rule(MatchKind.JSON_PATH, "$.where.lat", output="has lat", ignore_case=True),
                    Rule(MatchKind.ANY, output="?", error="boom"),
                )
            )
        ),
        ResponderStep(TemplateConfig("{{ city }}"), enabled=False),
        ResponderStep(
            WebhookConfig(
                url="https://example.test/{{ city }}",
                method="PUT",
                headers={"X-Key": "{{ vars.key }}"},
                body_template='{"q": {{ city | tojson }}}',
                timeout_s=3.0,
                verify_tls=False,
                output_path="$.reply",
            )
        ),
        ResponderStep(ScriptConfig("scripts/x.py", "answer", 2.5)),
        ResponderStep(StaticConfig({"ok": True}, is_error=True)),
    ),
    approve=True,
    on_error=ErrorPolicy.NEXT,
)


def test_realtime_shape_is_exactly_what_the_seed_sends() -> None:
    assert FUNCTION_CALL_JUDGE.to_realtime() == {
        "type": "function",
        "name": "function_call_judge",
        "description": (
            "Are there any function calls or tasks beyond your capabilities that require "
            "external assistance?"
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "userInput": {
                    "type": "string",
                    "description": "The user's input that requires external assistance",
                }
            },
            "required": ["userInput"],
        },
    }


def test_toolset_file_round_trips_every_responder_setting() -> None:
    toolset = ToolSet(
        name="Demo",
        description="d",
        tools=(
            ToolEntry(WEATHER, RICH_CHAIN, enabled=False, notes="n"),
            ToolEntry(FUNCTION_CALL_JUDGE),
        ),
        variables={"key": "v"},
        metadata={"author": "me", "nested": [1, {"a": None}]},
    )
    text = json.dumps(toolset_to_json(toolset))
    assert toolset_from_json(json.loads(text)) == toolset
    assert chain_from_json(chain_to_json(RICH_CHAIN)) == RICH_CHAIN


@pytest.mark.parametrize(
    ("mutate", "location", "words"),
    [
        (lambda d: d.update(format="other"), "format", "use Import"),
        (lambda d: d.update(schema_version=99), "schema_version", "newer NavTalk Desktop"),
        (lambda d: d.update(schema_version="1"), "schema_version", "integer"),
        (lambda d: d["tools"][0].pop("name"), "tools[0].name", "required"),
        (
            lambda d: d["tools"][0].update(parameters=[]),
            "tools[0].parameters",
            "expected an object",
        ),
        (
            lambda d: d["tools"][0]["responders"]["steps"][0].update(kind="telepathy"),
            "tools[0].responders.steps[0].kind",
            "unknown value 'telepathy'",
        ),
        (
            lambda d: d["tools"][0]["responders"]["steps"][3].update(timeout_s="fast"),
            "tools[0].responders.steps[3].timeout_s",
            "expected a number",
        ),
        (
            lambda d: d["tools"][0]["responders"]["steps"][1]["rules"][1].pop("pattern"),
            "tools[0].responders.steps[1].rules[1].pattern",
            "needs a pattern",
        ),
        (
            lambda d: d["tools"][0]["responders"]["steps"][3].update(method="BREW"),
            "tools[0].responders.steps[3].method",
            "unsupported HTTP method",
        ),
        (lambda d: d.update(variables={"a": 1}), "variables['a']", "expected a string"),
        (
            lambda d: d["tools"][0]["responders"].update(on_error="explode"),
            "tools[0].responders.on_error",
            "expected one of: send, next, silent",
        ),
    ],
)
def test_malformed_toolset_reports_location(mutate: Any, location: str, words: str) -> None:
    data = toolset_to_json(ToolSet(tools=(ToolEntry(WEATHER, RICH_CHAIN),)))
    mutate(data)
    with pytest.raises(ConfigError) as info:
        toolset_from_json(data)
    assert info.value.location == location
    assert words in str(info.value)


def test_bare_array_is_pointed_to_import() -> None:
    with pytest.raises(ConfigError, match="use Import"):
        toolset_from_json([WEATHER.to_realtime()])


@pytest.mark.parametrize("fmt", [ToolFormat.REALTIME, ToolFormat.CHAT_COMPLETIONS, ToolFormat.MCP])
def test_lossless_round_trip_through_each_format(fmt: ToolFormat) -> None:
    exported = export_tools([WEATHER, FUNCTION_CALL_JUDGE], fmt)
    assert exported.dropped == ()
    imported = import_tools(exported.text)
    assert imported.format is fmt
    assert imported.tools == [WEATHER, FUNCTION_CALL_JUDGE]
    assert imported.dropped == ()


def test_web_sdk_round_trip_keeps_what_the_sdk_forwards_and_reports_the_rest() -> None:
    tool = ToolDefinition(
        "add",
        "Add",
        {
            "type": "object",
            "properties": {"a": {"type": "number"}},
            "required": ["a"],
            "additionalProperties": False,
        },
    )
    exported = export_tools([tool], ToolFormat.WEB_SDK)
    assert exported.data == [
        {
            "function_call_name": "add",
            "function_call_description": "Add",
            "function_call_parameters": {
                "properties": {"a": {"type": "number"}},
                "required": ["a"],
            },
        }
    ]
    assert [d.location for d in exported.dropped] == ["tools[0].parameters.additionalProperties"]
    back = import_tools(exported.text)
    assert back.format is ToolFormat.WEB_SDK
    assert back.tools == [
        ToolDefinition(
            "add",
            "Add",
            {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]},
        )
    ]


def test_web_sdk_readme_example_imports() -> None:
    # The shape of the NavTalk JS SDK README's function-calls attribute.
    text = json.dumps(
        [
            {
                "function_call_name": "function_call_close_talk",
                "function_call_description": "Close the conversation.",
                "function_call_parameters": {
                    "properties": {"userInput": {"type": "string", "description": "Raw request"}},
                    "required": ["userInput"],
                },
            },
            {
                "function_call_name": "ping",
                "function_call_description": "Ping",
                "function_call_parameters": {},
            },
        ]
    )
    result = import_tools(text)
    assert result.format is ToolFormat.WEB_SDK
    assert result.tools[0].parameters["type"] == "object"
    assert result.tools[1].parameters == {"type": "object", "properties": {}, "required": []}


def test_import_reports_every_dropped_field_with_location() -> None:
    chat = [
        {
            "type": "function",
            "function": {
                "name": "a",
                "description": "x",
                "parameters": {"type": "object"},
                "strict": True,
            },
        }
    ]
    assert [str(d) for d in import_tools(chat).dropped] == [
        "[0].function.strict: Realtime tools have no strict mode"
    ]
    mcp = {
        "tools": [
            {
                "name": "b",
                "title": "B",
                "description": "y",
                "inputSchema": {"type": "object"},
                "outputSchema": {"type": "object"},
                "annotations": {"readOnlyHint": True},
            }
        ]
    }
    result = import_tools(mcp)
    assert result.format is ToolFormat.MCP
    assert [d.location for d in result.dropped] == [
        "tools[0].title",
        "tools[0].outputSchema",
        "tools[0].annotations",
    ]
    realtime = [
        {"type": "function", "name": "c", "parameters": {"type": "object"}, "x": 1},
        {"type": "file_search"},
    ]
    result = import_tools(realtime)
    assert [t.name for t in result.tools] == ["c"]
    assert {d.location for d in result.dropped} == {"[0].x", "[1]"}


def test_captured_registration_frames_import() -> None:
    tools = [WEATHER.to_realtime()]
    frame = {"type": "realtime.input_function_call", "data": {"content": json.dumps(tools)}}
    assert import_tools(frame).tools == [WEATHER]
    config = {
        "type": "realtime.input_config",
        "data": {"content": json.dumps({"voice": "marin", "tools": tools})},
    }
    assert import_tools(json.dumps(config)).tools == [WEATHER]
    rpc = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"tools": [{"name": "m", "inputSchema": {"type": "object"}}]},
    }
    assert import_tools(rpc).format is ToolFormat.MCP


def test_responders_are_reported_when_exporting_to_foreign_formats() -> None:
    toolset = ToolSet(tools=(ToolEntry(WEATHER, RICH_CHAIN, notes="keep"),))
    exported = export_tools(toolset, ToolFormat.CHAT_COMPLETIONS)
    details = [d.detail for d in exported.dropped]
    assert any("responders of 'get_weather'" in d for d in details)
    assert any("notes" in d for d in details)
    native = export_tools(toolset, ToolFormat.TOOLSET)
    assert import_tools(native.text).toolset == toolset


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{not json",
            "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
        ),
        ("42", "not a tool definition"),
        (
            '[{"name": "a"}, {"inputSchema": {}, "name": "b"}]',
            "[1]: looks like MCP tool definitions",
        ),
        ('[{"name": 3}]', "[0].name: expected the tool name as a string"),
        ('[{"name": "a", "parameters": "x"}]', "[0].parameters: expected a JSON Schema object"),
    ],
)
def test_bad_import_input_is_explained(source: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        import_tools(source)
    assert message in str(info.value)


def test_detection_of_each_format() -> None:
    assert (
        detect_format([{"type": "function", "function": {"name": "a"}}])
        is ToolFormat.CHAT_COMPLETIONS
    )
    assert detect_format({"name": "a", "inputSchema": {}}) is ToolFormat.MCP
    assert detect_format([{"function_call_name": "a"}]) is ToolFormat.WEB_SDK
    assert detect_format([]) is ToolFormat.REALTIME
    assert detect_format(toolset_to_json(ToolSet())) is ToolFormat.TOOLSET


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_schema = st.fixed_dictionaries(
    {"type": st.just("object")},
    optional={
        "properties": st.dictionaries(
            st.text(min_size=1, max_size=6),
            st.fixed_dictionaries(
                {"type": st.sampled_from(["string", "integer", "boolean"])},
                optional={"description": st.text(max_size=8), "default": _json_leaf},
            ),
            max_size=4,
        ),
        "required": st.lists(st.text(min_size=1, max_size=6), max_size=3),
    },
)
_tool = st.builds(ToolDefinition, st.text(min_size=1, max_size=20), st.text(max_size=30), _schema)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_tool, max_size=4),
    st.sampled_from([ToolFormat.REALTIME, ToolFormat.CHAT_COMPLETIONS, ToolFormat.MCP]),
)
def test_any_tools_round_trip_losslessly(tools: list[ToolDefinition], fmt: ToolFormat) -> None:
    result = import_tools(export_tools(tools, fmt).text, fmt)
    assert result.tools == tools
    assert result.dropped == ()
