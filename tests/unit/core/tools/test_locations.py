"""Lint locations as places in the tool editor, and new empty tools (Qt-free)."""

from __future__ import annotations

import pytest

from navtalk_desktop.core.tools.locations import (
    EditorTarget,
    editor_target,
    location_tokens,
    within_tool,
)
from navtalk_desktop.core.tools.templates import empty_entry


def test_tokens_of_names_indexes_and_quoted_keys() -> None:
    assert location_tokens("tools[2].parameters.properties['a b'].items") == [
        "tools",
        2,
        "parameters",
        "properties",
        "a b",
        "items",
    ]
    assert location_tokens('tools[0].parameters.properties["x.y"]') == [
        "tools",
        0,
        "parameters",
        "properties",
        "x.y",
    ]
    assert location_tokens("") == []


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("tools[1]", EditorTarget(1, "name")),
        ("tools[1].name", EditorTarget(1, "name")),
        ("tools[1].enabled", EditorTarget(1, "name")),
        ("tools[0].description", EditorTarget(0, "description")),
        ("tools[0].notes", EditorTarget(0, "notes")),
        ("tools[3].responders", EditorTarget(3, "responders")),
        ("tools[3].responders.steps[2].config.url", EditorTarget(3, "responders", step=2)),
        ("tools[0].parameters", EditorTarget(0, "parameters")),
        (
            "tools[0].parameters.properties.days.enum[0]",
            EditorTarget(0, "parameters", parameter=("properties", "days"), field="enum"),
        ),
        (
            "tools[0].parameters.properties.tags.items.properties['a b'].type",
            EditorTarget(
                0,
                "parameters",
                parameter=("properties", "tags", "items", "properties", "a b"),
                field="type",
            ),
        ),
        (
            "tools[0].parameters.properties.city",
            EditorTarget(0, "parameters", parameter=("properties", "city")),
        ),
    ],
)
def test_lint_locations_point_at_editor_fields(location: str, target: EditorTarget) -> None:
    assert editor_target(location) == target


@pytest.mark.parametrize("location", ["variables.city", "tools", "tools.name", "name[0]"])
def test_locations_outside_any_tool_point_nowhere(location: str) -> None:
    assert editor_target(location) is None


def test_locations_are_shown_relative_to_their_tool() -> None:
    assert within_tool("tools[12].parameters.x") == "parameters.x"
    assert within_tool("tools[0]") == "tool"
    assert within_tool("variables.city") == "variables.city"


def test_new_empty_tools_get_a_free_name_and_no_parameters() -> None:
    first = empty_entry([])
    assert first.name == "new_tool"
    # Empty means empty (issue 16 #12): no sample "query" parameter to delete first.
    assert first.tool.parameters == {"type": "object", "properties": {}, "required": []}
    assert empty_entry(["new_tool", "new_tool_2"]).name == "new_tool_3"
    # Each is a fresh copy: editing one never changes the next.
    first.tool.parameters["properties"]["extra"] = {}
    assert "extra" not in empty_entry([]).tool.parameters["properties"]
