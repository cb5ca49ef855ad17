"""Sample arguments from JSON Schemas: valid for ordinary schemas, bounded for odd ones."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from navtalk_desktop.core.tools.schema_sample import sample_arguments
from navtalk_desktop.core.tools.templates import TEMPLATES


def test_every_template_tool_gets_valid_sample_arguments() -> None:
    for template in TEMPLATES:
        parameters = template.entry.tool.parameters
        arguments = sample_arguments(parameters)
        errors = list(Draft202012Validator(parameters).iter_errors(arguments))
        assert not errors, (template.key, arguments, [e.message for e in errors])
        assert set(arguments) == set(parameters.get("properties", {}))


def test_defaults_enums_nesting_and_types() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 3},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean", "default": False},
            "tags": {"type": "array", "items": {"type": "string"}},
            "where": {"type": "object", "properties": {"city": {"type": "string"}}},
            "maybe": {"type": ["null", "string"]},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
    }
    assert sample_arguments(schema) == {
        "unit": "celsius",
        "days": 3,
        "ratio": 1.5,
        "flag": False,
        "tags": ["sample tags"],
        "where": {"city": "sample city"},
        "maybe": "sample maybe",
        "either": 1,
    }


def test_odd_schemas_do_not_break_it() -> None:
    assert sample_arguments({}) == {}
    assert sample_arguments({"type": "object", "properties": "junk"}) == {}
    deep: dict[str, Any] = {"type": "object", "properties": {}}
    node = deep
    for _ in range(20):
        child: dict[str, Any] = {"type": "object", "properties": {}}
        node["properties"]["next"] = child
        node = child
    result = sample_arguments(deep)
    depth = 0
    while isinstance(result, dict) and "next" in result:
        result = result["next"]
        depth += 1
    assert depth < 10
