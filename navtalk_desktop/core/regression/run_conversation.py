"""Conversation tests: a user turn through a real session, its calls and the avatar's reply.

Each test opens its own session (so tests can run concurrently and never see each
other's calls), types the user's text, lets the dispatcher answer the calls with the tool
set's responders (or the test's given outputs), and waits for the avatar's final reply
after the last expected call was answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchRecord, DispatchStatus
from navtalk_desktop.core.ports import TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.regression.expect import (
    Mismatch,
    Observed,
    check,
    pretty,
    subset_mismatch,
    unified_diff,
)
from navtalk_desktop.core.regression.ports import BudgetedRegex
from navtalk_desktop.core.regression.results import CaseResult, SeenCall, Status
from navtalk_desktop.core.regression.suite import ConversationTest
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import (
    Session,
    SessionError,
    SessionListenerBase,
    SessionState,
    StateChange,
    Transcript,
)
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.toolset import ToolSet

_SETTLED = frozenset({DispatchStatus.ANSWERED, DispatchStatus.SILENT, DispatchStatus.CLOSED})


@dataclass
class _Watch(SessionListenerBase):
    """Collects settled calls and final avatar turns, in arrival order."""

    calls: list[DispatchRecord] = field(default_factory=list)
    replies: list[tuple[int, str, float]] = field(default_factory=list)  # (calls before, text, t)
    failure: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _seen: set[str] = field(default_factory=set)

    def transcript_received(self, transcript: Transcript) -> None:
        if transcript.role == "avatar" and transcript.final:
            self.replies.append((len(self.calls), transcript.text, time.monotonic()))
            self.changed.set()

    def session_state_changed(self, change: StateChange) -> None:
        if change.state in (SessionState.FAILED, SessionState.CLOSED) and self.failure is None:
            self.failure = change.message or str(change.state)
            self.changed.set()

    def dispatch_changed(self, record: DispatchRecord) -> None:
        if record.status in _SETTLED and record.key not in self._seen:
            self._seen.add(record.key)
            self.calls.append(record)
            self.changed.set()


class ConversationRunner:
    """Runs conversation tests against one endpoint.

    Args:
        profile: where to connect (the built-in simulator or a NavTalk URL).
        transport_factory: the WebSocket transport.
        license: the license sent to the endpoint.
        toolset: the tools registered and their responders.
        factory: builds the responders (with this run's consent).
        regex: budgeted regex search for ``regex`` expectations.
    """

    def __init__(
        self,
        profile: ConnectionProfile,
        transport_factory: TransportFactory,
        license: str,
        toolset: ToolSet,
        factory: ResponderFactory,
        regex: BudgetedRegex,
    ) -> None:
        self.profile = profile
        self.transport_factory = transport_factory
        self.license = license
        self.toolset = toolset
        self.factory = factory
        self.regex = regex

    def _toolset_for(self, case: ConversationTest) -> ToolSet:
        """The tool set with the test's given outputs in place of those tools' responders."""
        given: dict[str, str] = {}
        for call in case.calls:
            if call.output is not None:
                given.setdefault(call.tool, call.output)
        if not given:
            return self.toolset
        tools = [
            entry.replace(
                chain=ResponderChain(steps=(ResponderStep(StaticConfig(output=given[entry.name])),))
            )
            if entry.name in given
            else entry
            for entry in self.toolset.tools
        ]
        return self.toolset.replace(tools=tools)

    async def run(self, suite: str, case: ConversationTest) -> CaseResult:
        """Run one conversation test; never raises for what happens in the session."""
        start = time.monotonic()
        if case.say is None:
            return CaseResult(
                suite,
                case.name,
                case.kind,
                Status.SKIPPED,
                0.0,
                (
                    Mismatch(
                        "speak",
                        f"speaking a file ({case.speak}) is not supported by the runner yet",
                    ),
                ),
            )
        toolset = self._toolset_for(case)
        session = Session(
            self.profile,
            self.transport_factory,
            None,
            Timeline(),
            tools=toolset.definitions(),
            license=self.license,
            connect_timeout_s=min(case.timeout_s, 15.0),
        )
        watch = _Watch()
        session.add_listener(watch)
        dispatcher = Dispatcher(
            session, toolset, factory=self.factory, unanswered_error=True, desk=False
        )
        dispatcher.add_listener(watch)
        dispatcher.start()
        said_at = start
        try:
            try:
                async with asyncio.timeout(case.timeout_s):
                    await session.connect()
                    await session.wait_for_state(SessionState.READY, timeout=case.timeout_s)
                    said_at = time.monotonic()
                    await session.send_text(case.say)
                    await self._wait_for_reply(case, watch)
            except TimeoutError:
                return self._timed_out(suite, case, start, watch, session)
            except SessionError as exc:
                return CaseResult(
                    suite,
                    case.name,
                    case.kind,
                    Status.ERROR,
                    time.monotonic() - start,
                    (Mismatch("session", f"session failed: {exc.message}"),),
                )
            return await self._check(suite, case, start, watch, session, said_at)
        finally:
            await dispatcher.stop()
            with contextlib.suppress(SessionError):
                await session.disconnect()

    @staticmethod
    async def _wait_for_reply(case: ConversationTest, watch: _Watch) -> None:
        wanted = len(case.calls)
        while True:
            if watch.failure is not None:
                return
            if any(before >= wanted for before, _t, _at in watch.replies):
                return
            if wanted == 0 and watch.calls:
                return  # an unexpected call: enough to fail
            watch.changed.clear()
            await watch.changed.wait()

    @staticmethod
    def _timed_out(
        suite: str, case: ConversationTest, start: float, watch: _Watch, session: Session
    ) -> CaseResult:
        seen = ", ".join(record.name or "?" for record in watch.calls) or "none"
        message = (
            f"no reply after {len(case.calls)} call(s) within {case.timeout_s:g} s "
            f"(calls seen: {seen}; replies: {len(watch.replies)})"
        )
        return CaseResult(
            suite,
            case.name,
            case.kind,
            Status.FAILED,
            time.monotonic() - start,
            (Mismatch("reply", message),),
            calls=tuple(_seen(record, session) for record in watch.calls),
        )

    async def _check(
        self,
        suite: str,
        case: ConversationTest,
        start: float,
        watch: _Watch,
        session: Session,
        said_at: float,
    ) -> CaseResult:
        problems: list[Mismatch] = []
        if watch.failure is not None:
            problems.append(Mismatch("session", f"the session ended: {watch.failure}"))
        reply = next((r for r in watch.replies if r[0] >= len(case.calls)), None)
        # The calls of this turn: those before the reply (every call seen when none came).
        calls = watch.calls[: reply[0]] if reply is not None else watch.calls
        expected_names = [call.tool for call in case.calls]
        actual_names = [record.name for record in calls]
        if actual_names != expected_names:
            problems.append(
                Mismatch(
                    "calls",
                    f"expected calls {expected_names}, got {actual_names}",
                    unified_diff("\n".join(expected_names), "\n".join(actual_names), what="calls"),
                )
            )
        for index, (want, record) in enumerate(zip(case.calls, calls, strict=False)):
            if want.tool != record.name:
                continue
            call = session.calls.get(record.key)
            arguments = call.arguments if call is not None else None
            where = subset_mismatch(want.arguments, arguments if arguments is not None else {})
            if where is not None:
                problems.append(
                    Mismatch(
                        "arguments",
                        f"call {index + 1} ({want.tool}): arguments do not match: {where}",
                        unified_diff(pretty(want.arguments), pretty(arguments), what="arguments"),
                    )
                )
            if record.status is not DispatchStatus.ANSWERED:
                problems.append(
                    Mismatch(
                        "answered",
                        f"call {index + 1} ({want.tool}) was not answered ({record.status})",
                    )
                )
                continue
            for problem in await check(
                want.expect,
                Observed(record.output, record.is_error, record.duration_s),
                self.regex,
                what=f"output of call {index + 1} ({want.tool})",
            ):
                problems.append(problem)
        reply_text = reply[1] if reply is not None else None
        if reply is not None:
            problems += await check(
                case.reply,
                Observed(reply_text, False, reply[2] - said_at),
                self.regex,
                what="reply",
            )
        elif watch.failure is None and case.calls:
            problems.append(Mismatch("reply", "no reply from the avatar"))
        return CaseResult(
            suite,
            case.name,
            case.kind,
            Status.FAILED if problems else Status.PASSED,
            time.monotonic() - start,
            tuple(problems),
            reply_text,
            tuple(_seen(record, session) for record in watch.calls),
        )


def _seen(record: DispatchRecord, session: Session) -> SeenCall:
    """A settled call of the test's session, for the result details."""
    call = session.calls.get(record.key)
    answered = record.status is DispatchStatus.ANSWERED
    return SeenCall(
        tool=record.name or "?",
        arguments=call.arguments if call is not None else None,
        output=record.output if answered else None,
        is_error=record.is_error,
        status=str(record.status),
    )
