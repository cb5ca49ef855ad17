"""Answering a session's function calls through each tool's responder chain.

The call desk's three modes map onto :class:`DispatchMode`:

* ``MANUAL`` — nothing runs by itself; every call waits for :meth:`Dispatcher.answer_manually`
  (or :meth:`Dispatcher.run_now` for one call).
* ``AUTO`` — each call runs its tool's chain; manual steps wait for the desk (with their
  deadline fallback); chains marked ``approve`` still produce drafts.
* ``APPROVE`` — automatic answers become drafts that wait for :meth:`Dispatcher.approve`
  (optionally edited) or :meth:`Dispatcher.reject`.

Every call gets a :class:`DispatchRecord` (status, responder, duration, step attempts,
messages) and every change is reported to listeners; failures are also written to the
session's timeline, next to the call's frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.calls.dispatch_record import (
    DispatcherListener,
    DispatchMode,
    DispatchRecord,
    DispatchStatus,
)
from navtalk_desktop.core.json_value import to_output_text
from navtalk_desktop.core.ports import Clock, SystemClock
from navtalk_desktop.core.responders.base import Answer, CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner, error_output
from navtalk_desktop.core.responders.config import ResponderChain
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import CallError, Session, SessionListenerBase
from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.core.tools.toolset import ToolSet

# The record types moved to dispatch_record; they stay importable from here for existing callers.
__all__ = [
    "LOCAL_RESPONDER",
    "DispatchMode",
    "DispatchRecord",
    "DispatchStatus",
    "Dispatcher",
    "DispatcherListener",
    "describe_arguments",
]

logger = logging.getLogger(__name__)

LOCAL_RESPONDER = "local.responder"


class Dispatcher(SessionListenerBase):
    """Subscribes to a session's calls and answers them through responder chains.

    Args:
        session: the session whose calls to answer.
        toolset: chains per tool and the variables templates see.
        factory: builds responders (HTTP client, script runner, trust).
        mode: initial mode.
        unanswered_error: when no responder produces an answer (no chain, every step
            passed, unknown tool), send an explicit ``Error: …`` output instead of waiting
            for a person. Headless runs use this; the app leaves such calls to the desk.
        desk: whether a person can answer (a call desk exists). Without one, manual steps
            pass at once instead of waiting (headless runs).
        clock: time source.
        max_calls: handle at most this many calls (``respond --max-calls``); later calls
            are noted in the timeline and left alone. ``None``: no limit.
    """

    def __init__(
        self,
        session: Session,
        toolset: ToolSet | None = None,
        *,
        factory: ResponderFactory | None = None,
        mode: DispatchMode = DispatchMode.AUTO,
        unanswered_error: bool = False,
        desk: bool = True,
        clock: Clock | None = None,
        max_calls: int | None = None,
    ) -> None:
        self.session = session
        self.max_calls = max_calls
        self.desk = desk
        self.mode = mode
        self.unanswered_error = unanswered_error
        self._toolset = toolset if toolset is not None else ToolSet()
        self._factory = factory or ResponderFactory()
        # Manual steps of chains wait on this dispatcher.
        self._factory.manual = self
        self._runner = ChainRunner(self._factory, clock or SystemClock())
        self._records: dict[str, DispatchRecord] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._manual: dict[str, asyncio.Future[Answer]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._listeners: list[DispatcherListener] = []
        self._started = False

    # ------------------------------------------------------------------ setup

    @property
    def toolset(self) -> ToolSet:
        """The tool set whose chains answer calls."""
        return self._toolset

    def set_toolset(self, toolset: ToolSet) -> None:
        """Use new chains/variables for calls that arrive from now on."""
        self._toolset = toolset

    def set_mode(self, mode: DispatchMode) -> None:
        """Switch mode for calls that arrive from now on (use :meth:`run_now` for waiting ones)."""
        self.mode = mode

    def start(self) -> None:
        """Begin answering the session's calls."""
        if not self._started:
            self.session.add_listener(self)
            self._started = True

    async def stop(self) -> None:
        """Stop answering: cancel running chains and forget pending manual waits."""
        if self._started:
            self.session.remove_listener(self)
            self._started = False
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def add_listener(self, listener: DispatcherListener) -> None:
        """Report every record change to ``listener``."""
        self._listeners.append(listener)

    def remove_listener(self, listener: DispatcherListener) -> None:
        """Stop reporting to ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def wait_idle(self) -> None:
        """Wait until no chain is running (drafts and manual waits do not count as running)."""
        await self._idle.wait()

    # ------------------------------------------------------------------ queries

    def record(self, key: str) -> DispatchRecord | None:
        """The record of the call with this key (or call id)."""
        record = self._records.get(key)
        if record is None:
            call = self.session.calls.get(key)
            record = self._records.get(call.key) if call is not None else None
        return record

    # Queries may come from another thread than the one the dispatcher runs on (the GUI
    # reads while the engine thread adds records): they iterate over a snapshot, which
    # list(dict.values()) takes atomically in CPython, never over the live dict.

    def records(self) -> list[DispatchRecord]:
        """All records, in arrival order."""
        return list(self._records.values())

    def drafts(self) -> list[DispatchRecord]:
        """Calls whose automatic answer waits for approval."""
        return [r for r in self.records() if r.status is DispatchStatus.DRAFT]

    def waiting(self) -> list[DispatchRecord]:
        """Calls waiting for a person."""
        return [r for r in self.records() if r.status is DispatchStatus.WAITING]

    # ------------------------------------------------------------------ desk actions

    async def answer_manually(
        self, key: str, output: object, *, is_error: bool = False
    ) -> FunctionCall:
        """Answer a call by hand (from any status except answered).

        If a chain's manual step is waiting, it receives the answer (and the chain records
        it); otherwise the answer is sent directly.

        Raises:
            CallError: unknown call, already answered, abandoned, or sending failed.
            TypeError: ``output`` is not JSON.
        """
        text = to_output_text(output)
        record = self._require(key)
        future = self._manual.get(record.key)
        task = self._tasks.get(record.key)
        if future is not None and not future.done() and task is not None:
            future.set_result(Answer(text, is_error=is_error))
            with contextlib.suppress(asyncio.CancelledError):
                await task
            call = self.session.calls.get(record.key)
            if call is None or record.status is not DispatchStatus.ANSWERED:
                raise CallError(
                    f"call {record.key}: "
                    + (record.messages[-1] if record.messages else "not sent")
                )
            return call
        self._cancel_task(record.key)
        return await self._send(
            record, text, is_error=is_error, responder="manual", duration_s=None
        )

    async def approve(self, key: str, output: object | None = None) -> FunctionCall:
        """Send a draft, optionally edited.

        Raises:
            CallError: no draft for this call, or sending failed.
        """
        record = self._require(key)
        if record.status is not DispatchStatus.DRAFT or record.draft is None:
            raise CallError(f"call {record.key} has no draft to approve")
        text = record.draft if output is None else to_output_text(output)
        edited = output is not None and text != record.draft
        responder = (
            f"{record.responder} (edited)" if edited and record.responder else record.responder
        )
        return await self._send(
            record,
            text,
            is_error=record.is_error and not edited,
            responder=responder or "manual",
            duration_s=record.duration_s,
        )

    def reject(self, key: str) -> None:
        """Discard a draft; the call waits for a manual answer."""
        record = self._require(key)
        if record.status is DispatchStatus.DRAFT:
            record.draft = None
            record.status = DispatchStatus.WAITING
            record.messages.append("draft rejected; waiting for a manual answer")
            self._changed(record)

    async def run_now(self, key: str) -> DispatchRecord:
        """Run the call's automatic steps now ("Auto-answer"), skipping its manual steps.

        Works on a call that waits in Manual mode, and on one whose chain waits at a
        manual step (that wait ends: the automatic steps after it answer).

        Raises:
            CallError: the call is closed, its chain is already running automatic steps,
                or it has no automatic step to run (the message says why).
        """
        record = self._require(key)
        call = self.session.calls.get(record.key)
        if call is None or not call.state.is_open:
            raise CallError(f"call {record.key} can no longer be answered")
        chain = self._chain_for(call.name)
        if chain is not None and not chain.has_automatic:
            raise CallError(
                f"Auto-answer: {call.name}'s responders are manual only, so nothing "
                "automatic can answer it. Answer it here, or add a responder in "
                "Tools → Responders."
            )
        if record.key in self._tasks:
            future = self._manual.get(record.key)
            if future is None or future.done():
                raise CallError(f"call {record.key} is already being answered")
            # The chain waits at a manual step: stop that wait, run the automatic steps.
            task = self._tasks[record.key]
            self._cancel_task(record.key)
            with contextlib.suppress(asyncio.CancelledError):
                await task
        record.messages.append("Auto-answer: manual steps skipped")
        self._start_chain(call, record, DispatchMode.AUTO, manual=False)
        await self._tasks[record.key]
        return record

    # ------------------------------------------------------------------ ManualAnswers

    async def wait_for_answer(self, request: CallRequest) -> Answer:
        """Called by manual steps: wait until the desk answers this call."""
        key = request.call_key
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._manual[key] = future
        record = self._records.get(key)
        if record is not None:
            record.status = DispatchStatus.WAITING
            self._changed(record)
        try:
            return await future
        finally:
            if self._manual.get(key) is future:
                del self._manual[key]
            if record is not None and record.status is DispatchStatus.WAITING:
                record.status = DispatchStatus.RUNNING
                self._changed(record)

    # ------------------------------------------------------------------ session events

    def call_received(self, call: FunctionCall) -> None:
        """A call arrived: start its chain (or park it for the desk)."""
        if self.max_calls is not None and len(self._records) >= self.max_calls:
            # Checked before anything starts, so exactly max_calls calls are handled.
            self.session.timeline.append(
                Direction.LOCAL,
                LOCAL_RESPONDER,
                "",
                summary=f"{call.name or 'call'} not handled: the run handles at most "
                f"{self.max_calls} call{'s' * (self.max_calls != 1)}",
                call_id=call.call_id or None,
            )
            return
        record = DispatchRecord(call.key, call.call_id, call.name)
        self._records[call.key] = record
        if call.duplicate_of is not None:
            # The server repeated a call_id: answering again would send a second output
            # for one call. The repeat is flagged in the timeline and left unanswered.
            record.status = DispatchStatus.SILENT
            record.messages.append(
                f"duplicate call_id {call.call_id}: already received as call "
                f"{call.duplicate_of}, which is the one answered; this repeat is not answered"
            )
            self._note(record, record.messages[-1], error=True)
            self._changed(record)
            return
        if not call.call_id:
            record.status = DispatchStatus.SILENT
            record.messages.append("cannot answer: the call has no call_id")
            self._note(record, record.messages[-1], error=True)
            self._changed(record)
            return
        if call.argument_error is not None:
            record.messages.append(call.argument_error)
            self._note(record, call.argument_error, error=True)
            if self.mode is DispatchMode.MANUAL:
                record.status = DispatchStatus.WAITING
                self._changed(record)
                return
            self._start_task(call, self._refuse(record, call.argument_error))
            return
        if self.mode is DispatchMode.MANUAL:
            record.status = DispatchStatus.WAITING
            self._changed(record)
            return
        self._start_chain(call, record, self.mode)

    def call_updated(self, call: FunctionCall) -> None:
        """A call changed: if it ended elsewhere, stop working on it."""
        record = self._records.get(call.key)
        if record is None or not call.state.is_final:
            return
        if record.status in (DispatchStatus.SENDING, DispatchStatus.ANSWERED):
            return
        self._cancel_task(call.key)
        if record.status is not DispatchStatus.CLOSED:
            record.status = DispatchStatus.CLOSED
            record.draft = None
            reason = (
                "abandoned"
                if call.state is CallState.ABANDONED
                else f"{call.state.value} elsewhere"
            )
            record.messages.append(f"call {reason}")
            self._changed(record)

    # ------------------------------------------------------------------ internals

    def _chain_for(self, name: str) -> ResponderChain | None:
        entry = self._toolset.find(name)
        if entry is None or not entry.enabled:
            return None
        return entry.chain

    def _start_chain(
        self,
        call: FunctionCall,
        record: DispatchRecord,
        mode: DispatchMode,
        *,
        manual: bool = True,
    ) -> None:
        record.status = DispatchStatus.RUNNING
        self._changed(record)
        self._start_task(call, self._answer(call, record, mode, manual=manual))

    async def _refuse(self, record: DispatchRecord, message: str) -> None:
        """Answer with an error without running responders (e.g. arguments too large)."""
        with contextlib.suppress(CallError):
            await self._send(
                record, error_output(message), is_error=True, responder="dispatcher", duration_s=0.0
            )

    def _start_task(self, call: FunctionCall, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work, name=f"dispatch-{call.key}")
        self._tasks[call.key] = task
        self._idle.clear()
        task.add_done_callback(functools.partial(self._task_done, call.key))

    def _task_done(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not self._tasks:
            self._idle.set()

    def _cancel_task(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        future = self._manual.pop(key, None)
        if future is not None and not future.done():
            future.cancel()

    async def _answer(
        self, call: FunctionCall, record: DispatchRecord, mode: DispatchMode, *, manual: bool
    ) -> None:
        try:
            await self._run_chain(call, record, mode, manual=manual)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must leave a clear trace, not a stuck call
            logger.exception("answering call %s failed", call.key)
            record.status = DispatchStatus.SILENT
            record.messages.append(f"answering failed: {type(exc).__name__}: {exc}")
            self._note(record, record.messages[-1], error=True)
            self._changed(record)

    async def _run_chain(
        self, call: FunctionCall, record: DispatchRecord, mode: DispatchMode, *, manual: bool
    ) -> None:
        chain = self._chain_for(call.name)
        if chain is None:
            why = (
                f"no tool named {call.name!r} in the tool set"
                if call.name
                else "the call has no function name"
            )
            await self._unanswered(record, why)
            return
        request = CallRequest(
            call_id=call.call_id,
            name=call.name,
            arguments=call.arguments,
            raw_arguments=call.raw_arguments,
            variables=dict(self._toolset.variables),
            key=call.key,
        )
        # Approve mode: a person approves drafts, so manual steps need not wait for one.
        # "Auto-answer" (manual=False) skips manual steps too.
        result = await self._runner.run(
            chain, request, manual=manual and self.desk and mode is not DispatchMode.APPROVE
        )
        record.result = result
        record.messages.extend(result.messages)
        for message in result.messages:
            self._note(record, message, error=True)
        if result.output is None:
            if result.is_error:  # silent error policy
                record.status = DispatchStatus.SILENT
                self._changed(record)
                return
            await self._unanswered(record, "no responder answered", chain_ran=True)
            return
        record.responder = result.responder
        record.duration_s = result.duration_s
        record.is_error = result.is_error
        if mode is DispatchMode.APPROVE or chain.approve:
            record.draft = result.output
            record.status = DispatchStatus.DRAFT
            self._changed(record)
            return
        with contextlib.suppress(CallError):
            await self._send(
                record,
                result.output,
                is_error=result.is_error,
                responder=result.responder,
                duration_s=result.duration_s,
            )

    async def _unanswered(
        self, record: DispatchRecord, why: str, *, chain_ran: bool = False
    ) -> None:
        if not self.unanswered_error:
            record.status = DispatchStatus.WAITING
            if not chain_ran:
                record.messages.append(f"{why}; waiting for a manual answer")
            self._changed(record)
            return
        message = f"no automatic responder answered {record.name or 'this call'}: {why}"
        if not chain_ran:
            record.messages.append(message)
        self._note(record, message, error=True)
        with contextlib.suppress(CallError):
            await self._send(
                record, error_output(message), is_error=True, responder="dispatcher", duration_s=0.0
            )

    async def _send(
        self,
        record: DispatchRecord,
        output: str,
        *,
        is_error: bool,
        responder: str,
        duration_s: float | None,
    ) -> FunctionCall:
        record.status = DispatchStatus.SENDING
        record.draft = None
        self._changed(record)
        try:
            call = await self.session.answer_call(
                record.key, output, responder=responder, is_error=is_error
            )
        except CallError as exc:
            record.status = DispatchStatus.SILENT
            record.messages.append(f"answer not sent: {exc.message}")
            self._changed(record)
            raise
        record.status = DispatchStatus.ANSWERED
        record.output = output
        record.is_error = is_error
        record.responder = responder
        record.duration_s = duration_s
        if duration_s is not None:
            self._note(
                record, f"{record.name} answered by {responder} in {duration_s * 1000:.0f} ms"
            )
        self._changed(record)
        return call

    def _require(self, key: str) -> DispatchRecord:
        record = self.record(key)
        if record is None:
            call = self.session.calls.get(key)
            if call is None:
                raise CallError(f"no call {key!r}")
            record = DispatchRecord(call.key, call.call_id, call.name, DispatchStatus.WAITING)
            self._records[call.key] = record
        return record

    def _note(self, record: DispatchRecord, message: str, *, error: bool = False) -> None:
        self.session.timeline.append(
            Direction.LOCAL,
            LOCAL_RESPONDER,
            "",
            summary=message,
            call_id=record.call_id or None,
            error=message if error else None,
        )

    def _changed(self, record: DispatchRecord) -> None:
        for listener in list(self._listeners):
            try:
                listener.dispatch_changed(record)
            except Exception:  # a listener bug must not stop answering
                logger.exception("dispatcher listener %r failed", listener)


def describe_arguments(arguments: Mapping[str, object] | None, raw: str) -> str:
    """Compact one-line arguments for logs and headless output."""
    if arguments is None:
        return raw
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
