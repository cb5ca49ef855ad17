"""Responder settings as text fields, without Qt: one-line values, outputs, rules rows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navtalk_desktop.core.responders.config import (
    ManualConfig,
    MatchKind,
    ResponderKind,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.tools.responder_fields import (
    default_config,
    output_to_text,
    rule_cells,
    rule_from_cells,
    text_to_output,
    text_to_value,
    value_to_text,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def test_every_kind_has_a_working_default() -> None:
    configs = {kind: default_config(kind) for kind in ResponderKind}
    assert isinstance(configs[ResponderKind.MANUAL], ManualConfig)
    assert configs[ResponderKind.STATIC] == StaticConfig(output='{"status": "ok"}')
    assert isinstance(configs[ResponderKind.TEMPLATE], TemplateConfig)
    rules = configs[ResponderKind.RULES]
    assert isinstance(rules, RulesConfig)
    assert [rule.match for rule in rules.rules] == [MatchKind.ANY]
    webhook = configs[ResponderKind.WEBHOOK]
    assert isinstance(webhook, WebhookConfig)
    assert webhook.url.startswith("http://127.0.0.1:")  # never another host by default
    assert configs[ResponderKind.SCRIPT] == ScriptConfig(path="responder.py")
    assert {config.kind for config in configs.values()} == set(ResponderKind)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("42", '"42"'),  # a string that reads as JSON is quoted, so it stays a string
        ("true", '"true"'),
        (42, "42"),
        ({"a": "é"}, '{"a": "é"}'),
        (None, ""),
    ],
)
def test_values_show_strings_bare_unless_they_read_as_json(value: Any, text: str) -> None:
    assert value_to_text(value) == text


@given(JSON.filter(lambda v: not (isinstance(v, str) and not v.strip())))
def test_one_line_values_round_trip(value: Any) -> None:
    # A blank field means "no value" (None), so blank strings are the one exception.
    assert text_to_value(value_to_text(value)) == value


def test_one_line_text_parses_as_json_or_stays_text() -> None:
    assert text_to_value("  ", empty="∅") == "∅"
    assert text_to_value("not json") == "not json"
    assert text_to_value("[1, 2]") == [1, 2]


def test_outputs_store_objects_and_arrays_as_json_only() -> None:
    assert text_to_output('{"temperature": 21}') == {"temperature": 21}
    assert text_to_output("  [1]\n") == [1]
    assert text_to_output("42") == "42"  # a bare number is the text the model gets
    assert text_to_output("{broken") == "{broken"
    assert output_to_text({"a": 1}) == '{\n  "a": 1\n}'
    assert output_to_text("as is\n") == "as is\n"


@given(st.dictionaries(st.text(), JSON, max_size=3) | st.text())
def test_outputs_round_trip(output: Any) -> None:
    if isinstance(output, str) and output.strip()[:1] in ("{", "["):
        return  # text that looks like JSON is read as JSON: by design
    assert text_to_output(output_to_text(output)) == output


RULES = [
    Rule(match=MatchKind.EQUALS, path="city", value="Paris", output={"a": 1}, delay_s=1.5),
    Rule(match=MatchKind.EQUALS, path="n", value=3, output="three", error="bad"),
    Rule(match=MatchKind.REGEX, path="q", pattern="^a.*", output="b", ignore_case=True),
    Rule(match=MatchKind.JSON_PATH, path="$.items[0].sku", value=["x"], output="[1]"),
    Rule(match=MatchKind.ANY, output="fallback"),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: str(rule.match))
def test_rules_rows_round_trip(rule: Rule) -> None:
    cells = rule_cells(rule)
    back = rule_from_cells(rule.match, *cells, ignore_case=rule.ignore_case)
    if rule.output == "[1]":
        # Text that reads as a JSON array is stored as one (the output box does the same).
        assert back == Rule(
            match=rule.match, path=rule.path, value=rule.value, output=[1], delay_s=rule.delay_s
        )
    else:
        assert back == rule


def test_rules_cells_read_like_the_table() -> None:
    assert rule_cells(RULES[0]) == ("city", "Paris", '{"a": 1}', "1.5", "")
    assert rule_cells(RULES[2]) == ("q", "^a.*", "b", "", "")
    assert rule_cells(Rule(match=MatchKind.EQUALS, path="", value="", output="")) == (
        "",
        "",
        "",
        "",
        "",
    )


def test_rules_cells_that_do_not_parse_fall_back() -> None:
    rule = rule_from_cells(
        MatchKind.ANY, "ignored", "ignored", "out", "soon", "", ignore_case=False
    )
    assert rule == Rule(match=MatchKind.ANY, path="", value=None, output="out", delay_s=0.0)
    negative = rule_from_cells(MatchKind.EQUALS, "a", "1", "x", "-2", "", ignore_case=False)
    assert negative.delay_s == 0.0
    assert negative.value == 1
