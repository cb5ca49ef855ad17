"""Quick replies live in the tool set's metadata; result templates come from structured outputs."""

from __future__ import annotations

import pytest

from navtalk_desktop.core.calls.quick_replies import (
    MAX_QUICK_REPLIES,
    QUICK_REPLIES_KEY,
    quick_replies,
    result_template,
    with_quick_reply,
    without_quick_reply,
)
from navtalk_desktop.core.responders.config import (
    ManualConfig,
    MatchKind,
    ResponderChain,
    ResponderStep,
    Rule,
    RulesConfig,
    StaticConfig,
    TemplateConfig,
)
from navtalk_desktop.core.tools.formats import ToolFormat, export_tools
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet, toolset_from_json, toolset_to_json


def test_replies_are_saved_per_tool_and_survive_the_file_round_trip() -> None:
    toolset = ToolSet(tools=(new_entry("weather"),), metadata={"author": "me"})
    toolset = with_quick_reply(toolset, "get_weather", "Sunny")
    toolset = with_quick_reply(toolset, "get_weather", '{"t": 21}')
    toolset = with_quick_reply(toolset, "other", "x")
    assert quick_replies(toolset, "get_weather") == ["Sunny", '{"t": 21}']
    assert toolset.metadata["author"] == "me"
    reloaded = toolset_from_json(toolset_to_json(toolset))
    assert quick_replies(reloaded, "get_weather") == ["Sunny", '{"t": 21}']
    # Other formats never carry them.
    assert QUICK_REPLIES_KEY not in export_tools(toolset, ToolFormat.REALTIME).text


def test_saving_again_moves_a_reply_to_the_end_and_removing_cleans_up() -> None:
    toolset = with_quick_reply(ToolSet(), "t", "a")
    toolset = with_quick_reply(toolset, "t", "b")
    toolset = with_quick_reply(toolset, "t", "a")
    assert quick_replies(toolset, "t") == ["b", "a"]
    toolset = without_quick_reply(toolset, "t", 0)
    toolset = without_quick_reply(toolset, "t", 0)
    assert quick_replies(toolset, "t") == []
    assert QUICK_REPLIES_KEY not in toolset.metadata
    with pytest.raises(IndexError):
        without_quick_reply(toolset, "t", 0)


def test_limits_and_bad_input_are_refused_clearly() -> None:
    toolset = ToolSet()
    for index in range(MAX_QUICK_REPLIES):
        toolset = with_quick_reply(toolset, "t", f"reply {index}")
    with pytest.raises(ValueError, match="already has 9 quick replies"):
        with_quick_reply(toolset, "t", "one more")
    with pytest.raises(ValueError, match="empty"):
        with_quick_reply(toolset, "t", "   ")
    damaged = ToolSet(metadata={QUICK_REPLIES_KEY: {"t": ["ok", 3, None]}, "x": 1})
    assert quick_replies(damaged, "t") == ["ok"]
    assert quick_replies(ToolSet(metadata={QUICK_REPLIES_KEY: "junk"}), "t") == []


def test_result_template_comes_from_the_first_structured_output() -> None:
    entry = new_entry("weather")
    assert result_template(None) is None
    assert (
        result_template(
            entry.replace(chain=ResponderChain(steps=(ResponderStep(TemplateConfig("x")),)))
        )
        is None
    )
    chain = ResponderChain(
        steps=(
            ResponderStep(ManualConfig(), 5.0),
            ResponderStep(
                RulesConfig(
                    rules=(
                        Rule(MatchKind.ANY, output="text"),
                        Rule(MatchKind.ANY, output={"ok": True}),
                    )
                )
            ),
            ResponderStep(StaticConfig({"late": 1})),
        )
    )
    assert result_template(entry.replace(chain=chain)) == {"ok": True}
    text_json = ResponderChain(
        steps=(ResponderStep(StaticConfig('{"temperature": 21, "unit": "c"}')),)
    )
    assert result_template(entry.replace(chain=text_json)) == {"temperature": 21, "unit": "c"}
