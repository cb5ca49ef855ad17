"""Linting: each rule, its location and severity; only definition errors block sending."""

from __future__ import annotations

from typing import Any

import pytest

from navtalk_desktop.core.profile import Provider
from navtalk_desktop.core.responders.config import (
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
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.lint import IssueScope, Severity, lint_tools, lint_toolset
from navtalk_desktop.core.tools.templates import TEMPLATES
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet


def _tool(
    name: str = "ok_tool", description: str = "Does things", **parameters: Any
) -> ToolDefinition:
    schema = {"type": "object", "properties": {"q": {"type": "string", "description": "query"}}}
    schema.update(parameters)
    return ToolDefinition(name, description, schema)


def _issues(report: Any) -> set[tuple[str, str, str]]:
    return {(str(i.severity), i.location, i.code) for i in report.issues}


def test_templates_are_clean() -> None:
    report = lint_tools([t.entry for t in TEMPLATES])
    assert report.issues == ()
    assert report.summary() == "no problems"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "the name is empty"),
        ("x" * 65, "65 characters long"),
        ("get weather", "contains ' '"),
        ("wetter.äöü", "contains '.', 'ä', 'ö', 'ü'"),
    ],
)
def test_invalid_names_are_errors(name: str, problem: str) -> None:
    report = lint_tools([_tool(name)])
    issue = next(i for i in report.issues if i.code == "name.invalid")
    assert issue.location == "tools[0].name"
    assert problem in issue.message
    assert report.blocks_sending


def test_name_limits_are_inclusive() -> None:
    assert not lint_tools([_tool("a" * 64), _tool("A-b_9")]).issues


def test_duplicates_and_empty_descriptions() -> None:
    report = lint_tools([_tool("a"), _tool("b", description=" "), _tool("a")])
    assert _issues(report) == {
        ("warning", "tools[1].description", "description.empty"),
        ("error", "tools[2].name", "name.duplicate"),
    }
    assert "also tools[0]" in report.errors[0].message
    assert report.summary() == "1 error, 1 warning"


def test_required_naming_missing_property_even_nested() -> None:
    tool = _tool(
        required=["q", "city"],
        properties={
            "q": {"type": "string", "description": "q"},
            "address": {
                "type": "object",
                "description": "where",
                "properties": {"street": {"type": "string"}},
                "required": ["zip"],
            },
        },
    )
    report = lint_tools([tool])
    assert ("error", "tools[0].parameters.required[1]", "schema.required-missing") in _issues(
        report
    )
    assert (
        "error",
        "tools[0].parameters.properties.address.required[0]",
        "schema.required-missing",
    ) in _issues(report)


def test_enum_type_mismatch_points_at_the_value() -> None:
    tool = _tool(
        properties={
            "city": {"type": "string", "description": "c", "enum": ["Paris", 3, "Rome"]},
            "n": {"type": "integer", "description": "n", "enum": [1, 2.0, True, 2.5]},
            "either": {"type": ["string", "null"], "description": "e", "enum": ["a", None]},
        }
    )
    report = lint_tools([tool])
    enum_issues = sorted(i.location for i in report.issues if i.code == "schema.enum-type")
    assert enum_issues == [
        "tools[0].parameters.properties.city.enum[1]",
        "tools[0].parameters.properties.n.enum[2]",
        "tools[0].parameters.properties.n.enum[3]",
    ]
    assert report.blocks_sending


def test_meta_schema_violations_are_located() -> None:
    tool = _tool(
        properties={
            "a": {"type": "strin", "description": "typo"},
            "b": {"type": "string", "description": "b", "minLength": -1},
        }
    )
    report = lint_tools([tool])
    invalid = {i.location: i.message for i in report.issues if i.code == "schema.invalid"}
    assert "tools[0].parameters.properties.a.type" in invalid
    assert "tools[0].parameters.properties.b.minLength" in invalid
    assert "invalid JSON Schema" in invalid["tools[0].parameters.properties.b.minLength"]


def test_root_must_be_an_object_schema() -> None:
    report = lint_tools([ToolDefinition("a", "d", {"type": "array"})])
    assert ("error", "tools[0].parameters.type", "schema.root-type") in _issues(report)


def test_warnings_do_not_block() -> None:
    tool = _tool(
        properties={
            "tags": {"type": "array", "description": "no items"},
            "n": {"type": "integer", "default": "three"},
        }
    )
    report = lint_tools([tool])
    assert report.errors == []
    assert not report.blocks_sending
    assert _issues(report) == {
        ("warning", "tools[0].parameters.properties.tags", "schema.array-items"),
        ("warning", "tools[0].parameters.properties.n.default", "schema.default-type"),
        ("warning", "tools[0].parameters.properties.n", "description.empty"),
    }


def test_elevenlabs_cannot_register_tools() -> None:
    report = lint_tools([_tool()], provider=Provider.ELEVENLABS)
    (issue,) = report.issues
    assert issue.scope is IssueScope.PROVIDER
    assert issue.severity is Severity.WARNING
    assert "ElevenLabs dashboard" in issue.message
    assert not lint_tools([_tool()], provider=Provider.OPENAI_REALTIME).issues


def test_responder_problems_are_located_but_do_not_block_sending() -> None:
    chain = ResponderChain(
        steps=(
            ResponderStep(ManualConfig()),
            ResponderStep(TemplateConfig("{{ q ")),
            ResponderStep(
                RulesConfig(
                    (
                        Rule(MatchKind.ANY, output="x"),
                        Rule(MatchKind.REGEX, "q", pattern="(unclosed"),
                        Rule(MatchKind.EQUALS, "$.[", value=1),
                        Rule(MatchKind.EQUALS, "city", value="x"),
                    )
                )
            ),
            ResponderStep(
                WebhookConfig(
                    url="ftp://x", headers={"A": "{% if %}"}, verify_tls=False, output_path="$$"
                )
            ),
            ResponderStep(ScriptConfig(path="", function="not a name")),
            ResponderStep(StaticConfig("x"), deadline_s=1.0),
        )
    )
    report = lint_toolset(ToolSet(tools=(ToolEntry(_tool(), chain),)))
    at = "tools[0].responders.steps"
    assert _issues(report) == {
        ("warning", f"{at}[0]", "chain.unreachable"),
        ("error", f"{at}[1].template", "template.syntax"),
        ("warning", f"{at}[2].rules[0]", "rules.unreachable"),
        ("error", f"{at}[2].rules[1].pattern", "rules.regex"),
        ("error", f"{at}[2].rules[2].path", "rules.path"),
        ("warning", f"{at}[2].rules[3].path", "rules.unknown-argument"),
        ("error", f"{at}[3].url", "webhook.url"),
        ("error", f"{at}[3].headers.A", "template.syntax"),
        ("error", f"{at}[3].output_path", "webhook.output-path"),
        ("warning", f"{at}[3].verify_tls", "webhook.insecure"),
        ("error", f"{at}[4].path", "script.path"),
        ("error", f"{at}[4].function", "script.function"),
        ("warning", f"{at}[5].deadline_s", "chain.deadline-last"),
    }
    assert all(i.scope is IssueScope.RESPONDER for i in report.issues)
    assert not report.blocks_sending
    assert len(report.for_tool(0)) == 13


def test_empty_chain_warns_that_automatic_answering_sends_an_error() -> None:
    report = lint_toolset(ToolSet(tools=(ToolEntry(_tool(), ResponderChain()),)))
    (issue,) = report.issues
    assert issue.code == "chain.empty"
    assert "error output" in issue.message
