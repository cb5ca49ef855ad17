"""Responder settings as the editor's text fields show them (Qt-free).

One-line fields show JSON values compactly and take JSON or plain text back; output
boxes show text as is and JSON pretty-printed; a rules row is a handful of cells.
"""

from __future__ import annotations

import json
from typing import Any

from navtalk_desktop.core.responders.config import (
    ManualConfig,
    MatchKind,
    ResponderConfig,
    ResponderKind,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    TemplateConfig,
    WebhookConfig,
)


def default_config(kind: ResponderKind) -> ResponderConfig:
    """A sensible new responder of ``kind``."""
    match kind:
        case ResponderKind.MANUAL:
            return ManualConfig()
        case ResponderKind.STATIC:
            return StaticConfig(output='{"status": "ok"}')
        case ResponderKind.TEMPLATE:
            return TemplateConfig(template="Received {{ args | tojson }}")
        case ResponderKind.RULES:
            return RulesConfig(rules=(Rule(match=MatchKind.ANY, output="default answer"),))
        case ResponderKind.WEBHOOK:
            return WebhookConfig(url="http://127.0.0.1:8080/")
        case ResponderKind.SCRIPT:
            return ScriptConfig(path="responder.py")
    raise AssertionError(kind)  # pragma: no cover


def value_to_text(value: Any) -> str:
    """Show a JSON value in a one-line field: strings bare unless they would read as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def text_to_value(text: str, empty: Any = None) -> Any:
    """Parse a one-line field: JSON when it parses, else the text itself."""
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return text


def output_to_text(value: Any) -> str:
    """Show a responder output (string as is, JSON pretty-printed)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def text_to_output(text: str) -> Any:
    """Store an output: JSON objects/arrays as values, everything else as text."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def rule_cells(rule: Rule) -> tuple[str, str, str, str, str]:
    """The text cells of a rules row: path, value or pattern, output, delay, error."""
    value = rule.pattern if rule.match is MatchKind.REGEX else value_to_text(rule.value)
    if rule.match is MatchKind.EQUALS and rule.value == "":
        value = ""
    return (
        rule.path,
        value,
        value_to_text(rule.output) if not isinstance(rule.output, str) else rule.output,
        f"{rule.delay_s:g}" if rule.delay_s else "",
        rule.error or "",
    )


def rule_from_cells(
    match: MatchKind,
    path: str,
    value_text: str,
    output_text: str,
    delay_text: str,
    error_text: str,
    *,
    ignore_case: bool,
) -> Rule:
    """The rule a rules row shows (fields that do not parse keep a text form)."""
    try:
        delay = max(0.0, float(delay_text or 0))
    except ValueError:
        delay = 0.0
    return Rule(
        match=match,
        path="" if match is MatchKind.ANY else path,
        value=text_to_value(value_text)
        if match in (MatchKind.EQUALS, MatchKind.JSON_PATH)
        else None,
        pattern=value_text if match is MatchKind.REGEX else "",
        output=text_to_output(output_text),
        delay_s=delay,
        error=error_text or None,
        ignore_case=ignore_case,
    )


__all__ = [
    "default_config",
    "output_to_text",
    "rule_cells",
    "rule_from_cells",
    "text_to_output",
    "text_to_value",
    "value_to_text",
]
