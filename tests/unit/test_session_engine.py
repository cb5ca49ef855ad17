"""Session behaviour that needs no socket: deadlines, answering states, listeners, guards.

The transport here is an in-memory port implementation (the architecture's "fakes for ports"
in unit tests); the wire behaviour is covered against a real server in tests/integration.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.ports import SecretStoreUnavailable, TransportClosed
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.session import (
    CallError,
    Session,
    SessionError,
    SessionListenerBase,
    SessionState,
)
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition

CALL = (
    '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"f",'
    '"call_id":"call_1","arguments":{}}}'
)
SUCCESS = '{"type":"conversation.connected.success","data":{"sessionId":"s"}}'
UPDATED = '{"type":"realtime.session.updated","data":{}}'


class QueueTransport:
    """Frames pushed by the test arrive in order; ``close`` ends ``receive``."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.sent: list[str] = []

    async def connect(self, url: str, *, open_timeout: float | None = None) -> None:
        self.url = url

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def receive(self) -> str | bytes:
        frame = await self.inbox.get()
        if frame is None:
            raise TransportClosed(1000, "")
        return frame

    async def receive_many(self) -> list[str | bytes]:
        return [await self.receive()]  # batches of one: the engine's per-frame behaviour

    async def close(self) -> None:
        self.inbox.put_nowait(None)


class Secrets:
    def __init__(self, value: str | None = None, *, broken: bool = False) -> None:
        self.value = value
        self.broken = broken

    async def get(self, key: str) -> str | None:
        if self.broken:
            raise SecretStoreUnavailable("no keychain here")
        return self.value

    async def set(self, key: str, value: str) -> None:
        self.value = value

    async def delete(self, key: str) -> None:
        self.value = None


class Waiter(SessionListenerBase):
    """Wakes the test on every report of the session."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def call_received(self, call: FunctionCall) -> None:
        self.event.set()

    def call_updated(self, call: FunctionCall) -> None:
        self.event.set()

    def call_overdue(self, call: FunctionCall) -> None:
        self.event.set()

    def session_state_changed(self, change: object) -> None:
        self.event.set()

    async def until(self, condition: Callable[[], object]) -> None:
        async with asyncio.timeout(5):
            while not condition():
                self.event.clear()
                await self.event.wait()


async def started(**changes: object) -> tuple[Session, QueueTransport, list[FunctionCall]]:
    transport = QueueTransport()
    profile = ConnectionProfile(name="p", url="ws://127.0.0.1:1/x", **changes)  # type: ignore[arg-type]
    session = Session(
        profile,
        lambda: transport,
        Secrets("sk_navtalk_unit"),
        Timeline(),
        tools=[ToolDefinition("f")],
    )
    overdue: list[FunctionCall] = []

    class Overdue(SessionListenerBase):
        def call_overdue(self, call: FunctionCall) -> None:
            overdue.append(call)

    session.add_listener(Overdue())
    await session.connect()
    transport.inbox.put_nowait(SUCCESS)
    transport.inbox.put_nowait(UPDATED)
    await session.wait_for_state(SessionState.READY, timeout=30)
    return session, transport, overdue


@pytest.mark.asyncio
async def test_license_comes_from_the_secret_store() -> None:
    session, transport, _ = await started()
    assert "license=sk_navtalk_unit" in transport.url
    assert session.secrets_in_use() == ["sk_navtalk_unit"]
    await session.disconnect()


@pytest.mark.asyncio
async def test_secret_store_problems_are_session_errors() -> None:
    profile = ConnectionProfile(name="p", url="ws://127.0.0.1:1/x")
    broken = Session(profile, QueueTransport, Secrets(broken=True), Timeline())
    # Said plainly: the keychain's own explanation is the connection panel's business.
    with pytest.raises(SessionError, match=r"^Enter your NavTalk license first \("):
        await broken.connect()
    empty = Session(profile, QueueTransport, Secrets(None), Timeline())
    with pytest.raises(SessionError, match="No license stored for profile 'p'"):
        await empty.connect()
    assert empty.state is SessionState.FAILED


@pytest.mark.asyncio
async def test_slow_responder_deadline_then_fallback() -> None:
    session, transport, overdue = await started(answer_deadline_s=0.05)
    transport.inbox.put_nowait(CALL)
    await session.wait_for_state(SessionState.READY)
    waiter = Waiter()
    session.add_listener(waiter)
    await waiter.until(lambda: session.calls.get("call_1"))
    await session.mark_answering("call_1", "http")
    call = session.calls.get("call_1")
    assert call is not None
    assert call.state is CallState.ANSWERING
    await waiter.until(lambda: overdue)
    assert call.state is CallState.EXPIRED
    assert call.overdue
    await session.answer_call("call_1", "fallback answer", responder="fallback")
    assert [s.name for s in call.steps][:3] == ["received", "answering", "expired"]
    assert call.state is CallState.ANSWERED
    assert call.responder == "fallback"
    await session.disconnect()


@pytest.mark.asyncio
async def test_guards_give_clear_errors() -> None:
    session, _transport, _ = await started(answer_deadline_s=None)
    with pytest.raises(CallError, match="no call 'nope'"):
        await session.answer_call("nope", "x")
    with pytest.raises(SessionError, match="empty"):
        await session.send_text("   ")
    await session.disconnect()
    with pytest.raises(SessionError, match="closed"):
        await session.send_text("hello")
    with pytest.raises(CallError, match="no call"):
        await session.mark_answering("nope", "x")


@pytest.mark.asyncio
async def test_a_failing_listener_does_not_break_the_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session, transport, _ = await started(answer_deadline_s=None)

    class Broken(SessionListenerBase):
        def call_received(self, call: FunctionCall) -> None:
            raise RuntimeError("listener bug")

    session.add_listener(Broken())
    waiter = Waiter()
    session.add_listener(waiter)
    with caplog.at_level(logging.ERROR):
        transport.inbox.put_nowait(CALL)
        transport.inbox.put_nowait(CALL.replace("call_1", "call_2"))
        await waiter.until(lambda: len(session.calls) == 2)
    assert "listener bug" in caplog.text
    assert session.state is SessionState.READY
    await session.disconnect()


@pytest.mark.asyncio
async def test_set_tools_can_register_on_the_live_connection() -> None:
    session, transport, _ = await started(answer_deadline_s=None)
    before = len(transport.sent)
    sent = asyncio.Event()
    original = transport.send

    async def send(text: str) -> None:
        await original(text)
        sent.set()

    transport.send = send  # type: ignore[method-assign]
    session.set_tools([ToolDefinition("g", "new tool")], register_now=True)
    async with asyncio.timeout(5):
        await sent.wait()
    assert len(transport.sent) == before + 1
    frame = json.loads(transport.sent[-1])
    assert frame["type"] == "realtime.input_function_call"
    assert [t["name"] for t in json.loads(frame["data"]["content"])] == ["g"]
    assert [t.name for t in session.tools] == ["g"]
    await session.disconnect()


@pytest.mark.asyncio
async def test_disconnect_while_waiting_to_reconnect_is_immediate() -> None:
    slow = ReconnectPolicy(initial_delay_s=30, max_delay_s=30)
    session, transport, _ = await started(reconnect=slow, answer_deadline_s=None)
    transport.inbox.put_nowait(CALL)
    transport.inbox.put_nowait(None)  # a drop... reported as a normal close: CLOSED, no retry
    await session.wait_for_state(SessionState.CLOSED, timeout=30)
    assert session.calls.get("call_1").state is CallState.ABANDONED  # type: ignore[union-attr]

    session2, transport2, _ = await started(reconnect=slow, answer_deadline_s=None)
    transport2.inbox.put_nowait(
        '{"type":"conversation.connected.gpu_full","data":{},"message":"full"}'
    )
    await session2.wait_for_state(SessionState.RECONNECTING, timeout=30)
    async with asyncio.timeout(1):
        await session2.disconnect()
    assert session2.state is SessionState.CLOSED


@pytest.mark.asyncio
async def test_two_concurrent_answers_send_only_one() -> None:
    session, transport, _ = await started(answer_deadline_s=None)
    waiter = Waiter()
    session.add_listener(waiter)
    transport.inbox.put_nowait(CALL)
    await waiter.until(lambda: session.calls.get("call_1"))
    gate = asyncio.Event()
    entered = asyncio.Event()
    original = transport.send

    async def slow_send(text: str) -> None:
        entered.set()
        await gate.wait()
        await original(text)

    transport.send = slow_send  # type: ignore[method-assign]
    first = asyncio.ensure_future(session.answer_call("call_1", "a", responder="auto"))
    await entered.wait()  # the first answer is on the wire now
    with pytest.raises(CallError, match="already being answered by auto"):
        await session.answer_call("call_1", "b")
    gate.set()
    call = await first
    assert call.output == "a"
    assert sum('"call_id":"call_1"' in frame for frame in transport.sent) == 1
    await session.disconnect()
