"""Quick replies per tool (kept in the tool set's metadata) and result templates for answer forms.

Quick replies are answers someone at the call desk saved for a tool, so the next call can
be answered with one click or ``Ctrl+1…9``. They live in ``ToolSet.metadata`` under
``"quick_replies"`` (``{tool name: [text, …]}``): saved, autosaved and undone with the
tool set itself, and ignored by every export format but the tool set file.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from navtalk_desktop.core.responders.config import RulesConfig, StaticConfig
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet

QUICK_REPLIES_KEY = "quick_replies"
MAX_QUICK_REPLIES = 9


def quick_replies(toolset: ToolSet, tool_name: str) -> list[str]:
    """The saved replies for ``tool_name`` (at most :data:`MAX_QUICK_REPLIES`)."""
    table = toolset.metadata.get(QUICK_REPLIES_KEY)
    if not isinstance(table, dict):
        return []
    replies = table.get(tool_name)
    if not isinstance(replies, list):
        return []
    return [reply for reply in replies if isinstance(reply, str)][:MAX_QUICK_REPLIES]


def with_quick_reply(toolset: ToolSet, tool_name: str, text: str) -> ToolSet:
    """A copy of ``toolset`` with ``text`` saved as a reply for ``tool_name``.

    A reply that is already saved moves to the end instead of being stored twice.

    Raises:
        ValueError: ``text`` is empty, or the tool already has the maximum number of replies.
    """
    if not text.strip():
        raise ValueError("an empty answer cannot be saved as a quick reply")
    replies = [reply for reply in quick_replies(toolset, tool_name) if reply != text]
    if len(replies) >= MAX_QUICK_REPLIES:
        raise ValueError(
            f"{tool_name!r} already has {MAX_QUICK_REPLIES} quick replies; remove one first"
        )
    return _with_replies(toolset, tool_name, [*replies, text])


def without_quick_reply(toolset: ToolSet, tool_name: str, index: int) -> ToolSet:
    """A copy of ``toolset`` without reply number ``index`` (0-based) of ``tool_name``.

    Raises:
        IndexError: there is no such reply.
    """
    replies = quick_replies(toolset, tool_name)
    del replies[index]
    return _with_replies(toolset, tool_name, replies)


def _with_replies(toolset: ToolSet, tool_name: str, replies: list[str]) -> ToolSet:
    metadata = copy.deepcopy(dict(toolset.metadata))
    table = metadata.get(QUICK_REPLIES_KEY)
    if not isinstance(table, dict):
        table = {}
    if replies:
        table[tool_name] = replies
    else:
        table.pop(tool_name, None)
    if table:
        metadata[QUICK_REPLIES_KEY] = table
    else:
        metadata.pop(QUICK_REPLIES_KEY, None)
    return toolset.replace(metadata=metadata)


def result_template(entry: ToolEntry | None) -> dict[str, Any] | None:
    """The shape of a typical answer of ``entry``, for a generated answer form.

    The first JSON object among the chain's static outputs and rule outputs is taken as
    the template: its keys become the form's fields, its values their starting values.
    ``None`` when the tool has no structured answer to start from.
    """
    if entry is None:
        return None
    for step in entry.chain.steps:
        config = step.config
        outputs: list[Any] = []
        if isinstance(config, StaticConfig):
            outputs.append(config.output)
        elif isinstance(config, RulesConfig):
            outputs.extend(rule.output for rule in config.rules)
        for output in outputs:
            value = _as_object(output)
            if value is not None:
                return value
    return None


def answer_form_template(
    entry: ToolEntry | None, previous: object = None
) -> tuple[dict[str, Any], str] | None:
    """A template for the answer form and where it comes from, or None.

    The chain's static or rules outputs (:func:`result_template`), else ``previous`` (the
    last answer sent for this tool) when it is a JSON object. The source is said on the
    card ("from the previous answer"). Quick replies are not used: they answer in one
    click already, and a form would fill the answer box with one of them.
    """
    template = result_template(entry)
    if template is not None:
        return template, "the tool's responder output"
    value = _as_object(previous)
    if value is not None:
        return value, "the previous answer"
    return None


def _as_object(output: Any) -> dict[str, Any] | None:
    if isinstance(output, str) and output.lstrip().startswith("{"):
        try:
            output = json.loads(output)
        except ValueError:
            return None
    return copy.deepcopy(output) if isinstance(output, dict) and output else None
