"""The simulator's deterministic brain and scenario files (no sockets)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.simulator import scenario as scenario_module
from navtalk_desktop.simulator.brain import Brain, ReplyPlan, ToolCallPlan
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import FaultKind
from navtalk_desktop.simulator.scenario import Scenario, ScenarioError, load_scenario
from navtalk_desktop.simulator.timings import Timings


def tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> ToolDefinition:
    return ToolDefinition(
        name, description, {"type": "object", "properties": properties, "required": required}
    )


JUDGE = tool(
    "function_call_judge", "Judge the request.", {"userInput": {"type": "string"}}, ["userInput"]
)
CLOSE = tool(
    "function_call_close_talk",
    "Please trigger this method when the conversation is closed.",
    {"userInput": {"type": "string", "description": "Raw user request content"}},
    ["userInput"],
)
WEATHER = tool(
    "get_weather",
    "Get the current weather for a city",
    {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "detailed": {"type": "boolean"},
    },
    ["city", "unit"],
)
BOOKING = tool(
    "book_table",
    "Reserve a restaurant table",
    {
        "date": {"type": "string", "format": "date"},
        "time": {"type": "string"},
        "guests": {"type": "integer"},
        "email": {"type": "string"},
        "name": {"type": "string"},
    },
    ["date", "guests"],
)
TODAY = dt.date(2026, 3, 2)  # a Monday
brain = Brain(Scenario(), today=TODAY)


def test_seed_flow_only_the_judge_tool() -> None:
    plan = brain.decide("What's the weather in Beijing?", [JUDGE])
    assert plan == ToolCallPlan(
        "function_call_judge", {"userInput": "What's the weather in Beijing?"}
    )


def test_a_matching_tool_beats_the_router() -> None:
    plan = brain.decide("What's the weather in Beijing?", [JUDGE, WEATHER])
    assert plan == ToolCallPlan("get_weather", {"city": "Beijing", "unit": "celsius"})


def test_typed_parameters_are_extracted() -> None:
    plan = brain.decide("Weather for New York in fahrenheit for 12 days, not detailed", [WEATHER])
    assert isinstance(plan, ToolCallPlan)
    assert plan.arguments == {
        "city": "New York",
        "unit": "fahrenheit",
        "days": 7,
        "detailed": False,
    }


def test_dates_times_counts_and_contacts() -> None:
    text = "Book a table for 4 on friday at 7:30 pm, my name is Ada Lovelace, mail ada@example.org"
    plan = brain.decide(text, [BOOKING])
    assert isinstance(plan, ToolCallPlan)
    assert plan.arguments == {
        "date": "2026-03-06",
        "time": "7:30 pm",
        "guests": 4,
        "email": "ada@example.org",
        "name": "Ada Lovelace",
    }


def test_required_parameters_are_always_present() -> None:
    plan = brain.decide("Reserve something nice", [BOOKING])
    assert isinstance(plan, ToolCallPlan)
    assert set(plan.arguments) == {"date", "guests"}
    assert plan.arguments["guests"] == 0


def test_goodbye_calls_the_close_tool() -> None:
    plan = brain.decide("Goodbye, end the conversation", [JUDGE, WEATHER, CLOSE])
    assert isinstance(plan, ToolCallPlan)
    assert plan.name == "function_call_close_talk"


def test_small_talk_and_no_tools_are_answered_in_words() -> None:
    assert brain.decide("Hello!", [JUDGE]) == ReplyPlan("Hello! How can I help you today?")
    assert brain.decide("Tell me a story", []) == ReplyPlan("I heard you say: Tell me a story")


def test_tools_disabled_for_elevenlabs() -> None:
    plan = brain.decide("What's the weather in Beijing?", [JUDGE, WEATHER], tools_enabled=False)
    assert isinstance(plan, ReplyPlan)


def test_numbers_are_handed_out_in_order_even_to_string_parameters() -> None:
    adder = tool(
        "add_numbers",
        "Add two numbers",
        {"number1": {"type": "string"}, "number2": {"type": "string"}},
        ["number1", "number2"],
    )
    plan = brain.decide("please add 3 and four", [adder])
    assert plan == ToolCallPlan("add_numbers", {"number1": "3", "number2": "4"})


def test_scenario_rules_come_first_and_skip_unregistered_tools() -> None:
    scenario = Scenario.from_dict(
        {
            "rules": [
                {
                    "match": "refund (?P<order>\\d+)",
                    "tool": "refund_order",
                    "arguments": {"order": "{order}"},
                },
                {"match": "weather", "tool": "get_weather", "arguments": {"unit": "fahrenheit"}},
                {"match": "^joke$", "reply": "Why did the {text} cross the road?"},
            ]
        }
    )
    rules = Brain(scenario, today=TODAY)
    # refund_order is not registered and the rule is not forced: the heuristic decides.
    assert rules.decide("refund 42", [JUDGE]) == ToolCallPlan(
        "function_call_judge", {"userInput": "refund 42"}
    )
    # Rule arguments win; missing required ones are filled from the text.
    plan = rules.decide("weather in Paris", [WEATHER])
    assert plan == ToolCallPlan("get_weather", {"unit": "fahrenheit", "city": "Paris"})
    assert rules.decide("joke", []) == ReplyPlan("Why did the joke cross the road?")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_yields_all_required_arguments(text: str) -> None:
    for definition in (JUDGE, WEATHER, BOOKING):
        arguments = brain.arguments(definition, text)
        assert set(definition.parameters["required"]) <= set(arguments)
        json.dumps(arguments)  # always serialisable


# ---------------------------------------------------------------- scenario files


def test_load_scenario_applies_to_config(tmp_path: Path) -> None:
    path = tmp_path / "demo.json"
    path.write_text(
        json.dumps(
            {
                "rules": [{"match": "hi", "reply": "hey"}],
                "greeting": "Welcome!",
                "faults": ["insufficient_balance@turn:3", "arguments_as_string"],
                "timings": {"preset": "fast", "delta_interval": [0.01, 0.02], "audio_chunk_ms": 40},
                "arguments_as_string": True,
                "load": "max",
            }
        ),
        encoding="utf-8",
    )
    config = SimulatorConfig().with_scenario(load_scenario(path))
    assert config.scenario.greeting == "Welcome!"
    assert [f.kind for f in config.faults] == [
        FaultKind.INSUFFICIENT_BALANCE,
        FaultKind.ARGUMENTS_AS_STRING,
    ]
    assert config.timings == Timings(
        **{**_fields(Timings.fast()), "delta_interval": (0.01, 0.02), "audio_chunk_ms": 40}
    )
    assert config.arguments_as_string is True
    assert config.load is not None
    assert config.load.rate is None


def _fields(timings: Timings) -> dict[str, Any]:
    return {name: getattr(timings, name) for name in Timings.__dataclass_fields__}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "a scenario must be a JSON object"),
        ('{"rulez": []}', "unknown key(s) rulez"),
        ('{"rules": [{"match": "(", "reply": "x"}]}', "rules[0]: invalid regular expression"),
        (
            '{"rules": [{"match": "x", "reply": "a", "tool": "b"}]}',
            "give exactly one of 'tool' or 'reply'",
        ),
        ('{"rules": [{"match": "x"}]}', "give exactly one of 'tool' or 'reply'"),
        ('{"faults": ["meteor"]}', "faults[0]: unknown fault 'meteor'"),
        ('{"timings": {"warp": 1}}', "unknown timing(s) warp"),
        ('{"timings": {"response_latency": [2, 1]}}', "timings.response_latency range"),
        ('{"load": "lots"}', "load: load must be 'max'"),
        ('{"rules": [}', "not valid JSON (line 1, column 12"),
    ],
)
def test_invalid_scenarios_say_where_and_why(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_the_documented_example_scenario_is_valid() -> None:
    doc = scenario_module.__doc__ or ""
    example = doc[doc.index("{") : doc.index("\n\nRules are tried")]
    scenario = Scenario.from_dict(json.loads(example), "docstring")
    plan = Brain(scenario).decide("hello there", [])
    assert plan == ReplyPlan("Hello there!")
    assert Brain(scenario).decide("weather in Oslo", [WEATHER]) == ToolCallPlan(
        "get_weather", {"city": "Oslo", "unit": "celsius"}
    )


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario"):
        load_scenario(tmp_path / "nope.json")
