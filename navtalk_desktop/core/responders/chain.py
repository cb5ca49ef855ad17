"""Running a tool's responder chain: answer or pass, deadlines, error policy, timing.

Every run yields a :class:`ChainResult` that records which responder produced the output,
how long it took, and what each step did, so the call desk can show why an answer is what
it is (or why there is none).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.json_value import to_output_text
from navtalk_desktop.core.ports import Clock, SystemClock
from navtalk_desktop.core.responders.base import (
    Answer,
    CallRequest,
    Pass,
    Responder,
    ResponderError,
)
from navtalk_desktop.core.responders.config import ErrorPolicy, ResponderChain, ResponderKind
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.core.tools.validation import SchemaError, argument_violations


class StepOutcome:
    """What one step did (plain strings so they print and serialise as they read)."""

    ANSWERED = "answered"
    PASSED = "passed"
    FAILED = "failed"
    DEADLINE = "deadline"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class StepAttempt:
    """The record of one step.

    Attributes:
        index: position in the chain.
        kind: responder kind.
        outcome: one of :class:`StepOutcome`'s values.
        duration_s: time spent in the step.
        message: pass reason, error message, deadline note, or the answer's note.
    """

    index: int
    kind: ResponderKind
    outcome: str
    duration_s: float
    message: str = ""


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome of running a chain for one call.

    Attributes:
        output: the text to send, or ``None`` when nothing should be sent.
        is_error: ``output`` reports a failure.
        responder: kind of the step that produced ``output`` (``""`` when none did).
        duration_s: from the start of the chain to the answer.
        attempts: every step that ran, in order.
        messages: clear messages for the call (failures, why nothing was sent).
    """

    output: str | None
    is_error: bool
    responder: str
    duration_s: float
    attempts: tuple[StepAttempt, ...]
    messages: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        """Whether there is an output to send."""
        return self.output is not None


class _OverBudgetError(Exception):
    """A step went past its time budget (distinct from a deadline, which falls back)."""


_SELF_BUDGETED = frozenset({ResponderKind.TEMPLATE, ResponderKind.RULES})


async def _within_budget(
    work: Coroutine[Any, Any, Answer | Pass], budget_s: float
) -> Answer | Pass:
    try:
        return await asyncio.wait_for(work, budget_s)
    except TimeoutError:
        raise _OverBudgetError from None


def error_output(message: str) -> str:
    """The seed's failure output: ``Error: <message>``."""
    return message if message.startswith("Error:") else f"Error: {message}"


class ChainRunner:
    """Runs chains with responders from a factory.

    Args:
        factory: builds each step's responder.
        clock: time source for durations.
    """

    def __init__(self, factory: ResponderFactory, clock: Clock | None = None) -> None:
        self.factory = factory
        self._clock = clock or SystemClock()

    async def run(
        self,
        chain: ResponderChain,
        request: CallRequest,
        *,
        manual: bool = True,
        automatic: bool = True,
    ) -> ChainResult:
        """Try the steps in order until one answers.

        Args:
            chain: the tool's chain.
            request: the call.
            manual: let manual steps wait for a person (``False``: they pass at once).
            automatic: run automatic steps (``False`` leaves only manual steps, which is
                what Manual mode in the call desk means).

        Never raises for responder problems: failures become messages and, depending on
        the chain's error policy, an ``Error: …`` output. Cancellation propagates.
        """
        start = self._clock.monotonic()
        attempts: list[StepAttempt] = []
        messages: list[str] = []
        last_failure: tuple[ResponderKind, str] | None = None
        for index, step in enumerate(chain.steps):
            kind = step.config.kind
            if not step.enabled:
                continue
            if kind is not ResponderKind.MANUAL and not automatic:
                attempts.append(
                    StepAttempt(index, kind, StepOutcome.SKIPPED, 0.0, "automatic answers are off")
                )
                continue
            limits = step.limits
            responder = self.factory.build(step.config, manual=manual, limits=limits)
            step_start = self._clock.monotonic()
            try:
                result = await self._respond(responder, request, step.deadline_s, limits.time_s)
                output = to_output_text(result.output) if isinstance(result, Answer) else None
                if output is not None and len(output) > limits.max_output:
                    raise ResponderError(
                        f"the answer is {len(output):,} characters, more than the "
                        f"{limits.max_output:,} this step allows (max_output)"
                    )
            except _OverBudgetError:
                message = f"{kind} took longer than its {limits.time_s:g} s budget and was stopped"
                attempts.append(
                    StepAttempt(index, kind, StepOutcome.FAILED, self._since(step_start), message)
                )
                messages.append(message)
                last_failure = (kind, message)
                if chain.on_error is ErrorPolicy.NEXT:
                    continue
                return self._failure(chain.on_error, kind, message, start, attempts, messages)
            except TimeoutError:
                note = f"no answer within {step.deadline_s:g} s"
                attempts.append(
                    StepAttempt(index, kind, StepOutcome.DEADLINE, self._since(step_start), note)
                )
                messages.append(f"{kind}: {note}")
                continue
            except (ResponderError, TypeError) as exc:
                message = exc.message if isinstance(exc, ResponderError) else str(exc)
                attempts.append(
                    StepAttempt(index, kind, StepOutcome.FAILED, self._since(step_start), message)
                )
                messages.append(f"{kind}: {message}")
                last_failure = (kind, message)
                if chain.on_error is ErrorPolicy.NEXT:
                    continue
                return self._failure(chain.on_error, kind, message, start, attempts, messages)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (a responder bug must never kill the call)
                message = f"{kind} responder crashed: {type(exc).__name__}: {exc}"
                attempts.append(
                    StepAttempt(index, kind, StepOutcome.FAILED, self._since(step_start), message)
                )
                messages.append(message)
                last_failure = (kind, message)
                if chain.on_error is ErrorPolicy.NEXT:
                    continue
                return self._failure(chain.on_error, kind, message, start, attempts, messages)
            if isinstance(result, Pass):
                attempts.append(
                    StepAttempt(
                        index, kind, StepOutcome.PASSED, self._since(step_start), result.reason
                    )
                )
                continue
            assert output is not None
            attempts.append(
                StepAttempt(index, kind, StepOutcome.ANSWERED, self._since(step_start), result.note)
            )
            if result.is_error:
                # Deliberate error answers (injected rule errors, static errors) are worth a
                # line on the call too, like failures.
                messages.append(f"{kind}: {output}")
            return ChainResult(
                output=output,
                is_error=result.is_error,
                responder=str(kind),
                duration_s=self._since(start),
                attempts=tuple(attempts),
                messages=tuple(messages),
            )
        if last_failure is not None:
            # NEXT policy ran out of steps: the last failure is what the model hears.
            return self._failure(ErrorPolicy.SEND, *last_failure, start, attempts, messages)
        messages.append(
            "no responder answered"
            + (f" ({attempts[-1].message})" if attempts else " (no responders)")
        )
        return ChainResult(None, False, "", self._since(start), tuple(attempts), tuple(messages))

    @staticmethod
    async def _respond(
        responder: Responder,
        request: CallRequest,
        deadline_s: float | None,
        budget_s: float | None,
    ) -> Answer | Pass:
        """``responder.respond``, under the step's deadline (fall back) and budget (fail).

        Templates and rules enforce their budget themselves, in the sandbox (where the
        work is really stopped, and rule delays do not count); the chain bounds the other
        kinds when their step sets a budget.
        """
        work = responder.respond(request)
        if budget_s is not None and responder.kind not in _SELF_BUDGETED:
            work = _within_budget(work, budget_s)
        if deadline_s is None:
            return await work
        return await asyncio.wait_for(work, deadline_s)

    def _failure(
        self,
        policy: ErrorPolicy,
        kind: ResponderKind,
        message: str,
        start: float,
        attempts: list[StepAttempt],
        messages: list[str],
    ) -> ChainResult:
        if policy is ErrorPolicy.SILENT:
            messages.append("nothing sent: the chain is set to stay silent on errors")
            return ChainResult(
                None, True, str(kind), self._since(start), tuple(attempts), tuple(messages)
            )
        return ChainResult(
            output=error_output(message),
            is_error=True,
            responder=str(kind),
            duration_s=self._since(start),
            attempts=tuple(attempts),
            messages=tuple(messages),
        )

    def _since(self, start: float) -> float:
        return max(0.0, self._clock.monotonic() - start)


@dataclass(frozen=True, slots=True)
class TestCallResult:
    """What "fire test call" reports: the chain's result plus argument problems."""

    request: CallRequest
    result: ChainResult
    violations: tuple[str, ...] = ()


async def fire_test_call(
    runner: ChainRunner,
    entry: ToolEntry,
    arguments: dict[str, Any] | str,
    *,
    variables: dict[str, str] | None = None,
) -> TestCallResult:
    """Run a synthetic call through ``entry``'s chain, without any connection.

    Manual steps pass at once (nobody is waiting at a call desk); everything else runs
    for real (webhooks are sent, scripts run if trusted).

    Args:
        runner: the chain runner (its factory decides what webhooks/scripts can do).
        entry: the tool.
        arguments: an object, or JSON text as typed by the user.
        variables: the tool set's variables.
    """
    if isinstance(arguments, str):
        raw = arguments
        try:
            parsed: Any = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            parsed = None
            violations = [
                f"arguments are not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ]
        else:
            violations = []
    else:
        raw = json.dumps(arguments, ensure_ascii=False)
        parsed = arguments
        violations = []
    if parsed is not None and not isinstance(parsed, dict):
        violations.append(f"arguments must be a JSON object, not {type(parsed).__name__}")
        parsed = None
    if parsed is not None:
        try:
            violations.extend(argument_violations(entry.tool, parsed))
        except SchemaError as exc:
            violations.append(f"the tool's parameter schema is invalid: {exc}")
    request = CallRequest(
        call_id="test_" + secrets.token_hex(8),
        name=entry.name,
        arguments=parsed,
        raw_arguments=raw,
        variables=dict(variables or {}),
        is_test=True,
    )
    result = await runner.run(entry.chain, request, manual=False)
    return TestCallResult(request, result, tuple(violations))
