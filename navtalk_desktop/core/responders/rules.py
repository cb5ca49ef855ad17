"""The rules responder: ordered matchers on argument values, first match answers."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass, ResponderError
from navtalk_desktop.core.responders.config import MatchKind, ResponderKind, Rule, RulesConfig
from navtalk_desktop.core.responders.json_path import JsonPathError, parse_json_path


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _equal(left: Any, right: Any, ignore_case: bool) -> bool:
    if ignore_case and isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    # JSON has one number type: 1 == 1.0, but true is not 1.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def rule_matches(rule: Rule, arguments: Any) -> bool:
    """Whether ``rule`` matches the arguments.

    Raises:
        ResponderError: the rule's path or pattern is invalid.
    """
    if rule.match is MatchKind.ANY:
        return True
    try:
        values = parse_json_path(rule.path).find(arguments)
    except JsonPathError as exc:
        raise ResponderError(f"rule path {rule.path!r} is invalid: {exc}") from None
    if rule.match is MatchKind.EQUALS:
        return any(_equal(value, rule.value, rule.ignore_case) for value in values)
    if rule.match is MatchKind.REGEX:
        try:
            pattern = re.compile(rule.pattern, re.IGNORECASE if rule.ignore_case else 0)
        except re.error as exc:
            raise ResponderError(f"rule pattern {rule.pattern!r} is invalid: {exc}") from None
        return any(pattern.search(_text(value)) for value in values)
    # JSON_PATH: the path exists, and equals ``value`` when one is given.
    if rule.value is None:
        return bool(values)
    return any(_equal(value, rule.value, rule.ignore_case) for value in values)


class RulesResponder:
    """Answers with the output of the first matching rule; passes when none matches."""

    kind = ResponderKind.RULES

    def __init__(self, config: RulesConfig) -> None:
        self._config = config

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """First match's output (after its delay), or its injected error."""
        arguments = dict(request.arguments) if request.arguments is not None else {}
        for index, rule in enumerate(self._config.rules):
            if not rule_matches(rule, arguments):
                continue
            if rule.delay_s > 0:
                await asyncio.sleep(rule.delay_s)
            note = f"rule {index + 1} ({rule.match}{' ' + rule.path if rule.path else ''})"
            if rule.error is not None:
                return Answer(f"Error: {rule.error}", is_error=True, note=note + ", injected error")
            return Answer(rule.output, note=note)
        return Pass(f"no rule matched ({len(self._config.rules)} rules)")
