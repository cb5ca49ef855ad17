"""The rules responder: ordered matchers on argument values, first match answers."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass, ResponderError
from navtalk_desktop.core.responders.config import (
    MatchKind,
    ResponderKind,
    Rule,
    RulesConfig,
    StepLimits,
)
from navtalk_desktop.core.responders.json_path import JsonPathError, parse_json_path
from navtalk_desktop.core.responders.sandbox import (
    ExpressionSandbox,
    PatternError,
    PatternLimitError,
    ThreadSandbox,
    over_budget_message,
)


class RuleBudgetError(ResponderError):
    """A rule's regex search went past the time left in the step's budget (it was stopped)."""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _equal(left: Any, right: Any, ignore_case: bool) -> bool:
    if ignore_case and isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    # JSON has one number type: 1 == 1.0, but true is not 1.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


async def rule_matches(
    rule: Rule,
    arguments: Any,
    sandbox: ExpressionSandbox | None = None,
    limits: StepLimits | None = None,
) -> bool:
    """Whether ``rule`` matches the arguments.

    Regexes are searched by ``sandbox`` (default: a :class:`ThreadSandbox`) within
    ``limits.time_s``, never on the event loop.

    Raises:
        ResponderError: the rule's path or pattern is invalid, or the search went past
            its budget (it is stopped).
    """
    if rule.match is MatchKind.ANY:
        return True
    try:
        values = parse_json_path(rule.path).find(arguments)
    except JsonPathError as exc:
        raise ResponderError(f"path {rule.path!r} is invalid: {exc}") from None
    if rule.match is MatchKind.EQUALS:
        return any(_equal(value, rule.value, rule.ignore_case) for value in values)
    if rule.match is MatchKind.REGEX:
        if not values:
            return False
        try:
            return await (sandbox or ThreadSandbox()).search(
                rule.pattern,
                [_text(value) for value in values],
                ignore_case=rule.ignore_case,
                limits=limits or StepLimits(time_s=1.0),
            )
        except PatternLimitError as exc:
            raise RuleBudgetError(str(exc)) from None
        except PatternError as exc:
            raise ResponderError(str(exc)) from None
    # JSON_PATH: the path exists, and equals ``value`` when one is given.
    if rule.value is None:
        return bool(values)
    return any(_equal(value, rule.value, rule.ignore_case) for value in values)


class RulesResponder:
    """Answers with the output of the first matching rule; passes when none matches."""

    kind = ResponderKind.RULES

    def __init__(
        self,
        config: RulesConfig,
        sandbox: ExpressionSandbox | None = None,
        limits: StepLimits | None = None,
    ) -> None:
        self._config = config
        self._sandbox = sandbox or ThreadSandbox()
        self._limits = limits or StepLimits(time_s=1.0)

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """First match's output (after its delay), or its injected error.

        The step's time budget covers all the regex searches of one call together.
        """
        arguments = dict(request.arguments) if request.arguments is not None else {}
        budget = self._limits.time_s
        deadline = None if budget is None else time.monotonic() + budget
        for index, rule in enumerate(self._config.rules):
            limits = self._limits
            if deadline is not None and rule.match is MatchKind.REGEX:
                limits = replace(limits, time_s=max(0.001, deadline - time.monotonic()))
            try:
                matched = await rule_matches(rule, arguments, self._sandbox, limits)
            except RuleBudgetError:
                # Worded with the step's whole budget, not the part that was left for it.
                message = over_budget_message(rule.pattern, budget or 0)
                raise ResponderError(f"rule {index + 1}: {message}") from None
            except ResponderError as exc:
                raise ResponderError(f"rule {index + 1}: {exc.message}") from None
            if not matched:
                continue
            if rule.delay_s > 0:
                await asyncio.sleep(rule.delay_s)
            note = f"rule {index + 1} ({rule.match}{' ' + rule.path if rule.path else ''})"
            if rule.error is not None:
                return Answer(f"Error: {rule.error}", is_error=True, note=note + ", injected error")
            return Answer(rule.output, note=note)
        return Pass(f"no rule matched ({len(self._config.rules)} rules)")
