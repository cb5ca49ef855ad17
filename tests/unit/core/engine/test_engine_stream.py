"""The engine's outside: commands in, one ordered stream of immutable events out.

A real simulator on 127.0.0.1 and the real WebSocket transport; the engine runs on the
test's own loop (the sink is a list), or on an EngineThread behind a ThreadHost.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import pytest
import pytest_asyncio

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.dispatcher import DispatchMode, DispatchStatus
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.engine.events import (
    AnswerModeChanged,
    CallReceived,
    CallUpdated,
    CommandFailed,
    DispatchChanged,
    EngineEvent,
    FramesAppended,
    StateChanged,
    TimelineReset,
    ToolsChanged,
    TranscriptDelta,
    TranscriptKind,
)
from navtalk_desktop.core.engine.factory import (
    EngineOptions,
    EnginePorts,
    build_engine,
)
from navtalk_desktop.core.engine.thread_host import ThreadHost
from navtalk_desktop.core.profile import default_profiles
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.session.session import SessionState
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer

QUESTION = "What's the weather in Beijing?"
STATIC_OUTPUT = '{"forecast": "sunny"}'
WAIT_S = 20.0


def static_toolset() -> ToolSet:
    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(STATIC_OUTPUT)),))
    )
    return ToolSet(name="Static", tools=(entry,))


class Stream:
    """Every event the engine emitted, in order, with a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[EngineEvent]) -> list[EngineEvent]:
        return [event for event in self.events if isinstance(event, kind)]

    async def until(self, found: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not found():
                self._changed.clear()
                await self._changed.wait()

    def states(self) -> list[SessionState]:
        return [e.state for e in self.events if isinstance(e, StateChanged)]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorConfig.fast()) as server:
        yield server


def make_engine(sim: SimulatorServer, **options: object) -> Engine:
    profile = default_profiles()[0]
    settings = EngineOptions(profile=profile, simulator_url=sim.ws_url, **options)  # type: ignore[arg-type]
    return build_engine(settings, EnginePorts(transport_factory=WebSocketTransport))


@pytest.mark.asyncio
async def test_connect_reports_states_and_frames_in_one_ordered_stream(
    sim: SimulatorServer,
) -> None:
    engine = make_engine(sim)
    stream = Stream()
    engine.attach(stream)
    # The first events are the current state: a receiver needs nothing else.
    assert isinstance(stream.events[0], StateChanged)
    assert stream.events[0].state is SessionState.IDLE
    assert [type(e) for e in stream.events[1:3]] == [ToolsChanged, AnswerModeChanged]

    engine.submit(cmd.Connect())
    await stream.until(lambda: SessionState.READY in stream.states())
    await engine.handle(cmd.Disconnect())

    assert stream.states()[1:] == [
        SessionState.CONNECTING,
        SessionState.OPEN,
        SessionState.CONNECTED,
        SessionState.READY,
        SessionState.CLOSED,
    ]
    # Frames arrive as dense row ranges carrying the entries themselves…
    frames = [e for e in stream.events if isinstance(e, FramesAppended)]
    rows = [row for event in frames for row in event.rows]
    assert [e.first_row for e in frames] == [
        sum(len(e.rows) for e in frames[:i]) for i in range(len(frames))
    ]
    assert rows == list(engine.timeline)
    assert all(len(e.fold_keys) == len(e.rows) for e in frames)
    # …and in order with the rest: each state change follows the frame that records it.
    for index, event in enumerate(stream.events):
        if isinstance(event, StateChanged) and event.state is not SessionState.IDLE:
            seen = [
                r for e in stream.events[:index] if isinstance(e, FramesAppended) for r in e.rows
            ]
            assert seen[-1].summary.startswith(event.state.value), event.state


@pytest.mark.asyncio
async def test_calls_arrive_as_immutable_snapshots_with_their_dispatch_record(
    sim: SimulatorServer,
) -> None:
    engine = make_engine(sim, toolset=static_toolset(), answer_mode=DispatchMode.AUTO)
    stream = Stream()
    engine.attach(stream)
    await engine.handle(cmd.Connect())
    await stream.until(lambda: SessionState.READY in stream.states())
    engine.submit(cmd.SendText(QUESTION))

    def answered() -> bool:
        return any(
            isinstance(e, CallUpdated | DispatchChanged)
            and e.call.dispatch is not None
            and e.call.dispatch.status is DispatchStatus.ANSWERED
            for e in stream.events
        )

    def finished() -> bool:
        return any(
            isinstance(e, TranscriptDelta) and e.kind is TranscriptKind.RESPONSE_FINISHED
            for e in stream.events
        )

    await stream.until(answered)
    await stream.until(finished)
    await engine.close()

    (received,) = stream.of(CallReceived)
    assert isinstance(received, CallReceived)
    first = received.call
    # The snapshot kept the state of its moment while the engine's call moved on.
    assert first.state is CallState.RECEIVED
    assert engine.calls.get(first.key).state is CallState.ANSWERED  # type: ignore[union-attr]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.state = CallState.ANSWERED  # type: ignore[misc]
    arguments = first.arguments
    assert arguments is not None
    arguments["changed"] = True
    assert first.arguments is not None
    assert "changed" not in first.arguments
    last = [e for e in stream.events if isinstance(e, CallUpdated | DispatchChanged)][-1]
    assert isinstance(last, CallUpdated | DispatchChanged)
    assert last.call.output == STATIC_OUTPUT or (
        last.call.dispatch is not None and last.call.dispatch.output == STATIC_OUTPUT
    )
    # Snapshots cross process boundaries as they are.
    assert pickle.loads(pickle.dumps(last)) == last
    # The conversation came as transcript deltas, response by response.
    kinds = [e.kind for e in stream.of(TranscriptDelta) if isinstance(e, TranscriptDelta)]
    assert kinds[0] is TranscriptKind.RESPONSE_STARTED
    assert TranscriptKind.RESPONSE_FINISHED in kinds


@pytest.mark.asyncio
async def test_a_command_that_fails_comes_back_as_an_event_with_its_id(
    sim: SimulatorServer,
) -> None:
    engine = make_engine(sim, answering=False)
    stream = Stream()
    engine.attach(stream)
    send = cmd.SendText("hello")
    approve = cmd.ApproveDraft("call_1")
    await engine.handle(send)
    await engine.handle(approve)
    failures = [e for e in stream.events if isinstance(e, CommandFailed)]
    assert [(f.command_id, f.text) for f in failures] == [
        (send.command_id, "Sending the message failed: cannot send text: the session is idle"),
        (approve.command_id, "Approving failed: automatic answering is not available"),
    ]


@pytest.mark.asyncio
async def test_settings_change_once_and_say_so(sim: SimulatorServer) -> None:
    engine = make_engine(sim, toolset=static_toolset())
    stream = Stream()
    engine.attach(stream)
    before = len(stream.events)
    engine.submit(cmd.SetAnswerMode(DispatchMode.APPROVE))
    engine.submit(cmd.SetAnswerMode(DispatchMode.APPROVE))  # no change: no event
    engine.submit(cmd.SetTools(()))
    assert stream.events[before:] == [AnswerModeChanged(DispatchMode.APPROVE), ToolsChanged(())]
    assert engine.dispatcher is not None
    assert engine.dispatcher.mode is DispatchMode.APPROVE
    assert engine.session.tools == []


@pytest.mark.asyncio
async def test_clearing_the_timeline_is_a_command_and_rows_start_again_at_zero(
    sim: SimulatorServer,
) -> None:
    engine = make_engine(sim)
    stream = Stream()
    engine.attach(stream)
    await engine.handle(cmd.Connect())
    await stream.until(lambda: SessionState.READY in stream.states())
    engine.submit(cmd.ClearTimeline())
    assert isinstance(stream.events[-1], TimelineReset)
    mark = len(stream.events)
    await engine.handle(cmd.Disconnect())
    await stream.until(lambda: bool(stream.of(FramesAppended)[-1:]) and mark < len(stream.events))
    after = [e for e in stream.events[mark:] if isinstance(e, FramesAppended)]
    assert after
    assert after[0].first_row == 0


def test_a_thread_host_delivers_batches_in_order_on_the_receiving_thread(
    sim_thread: tuple[SimulatorServer, EngineThread],
) -> None:
    sim, _ = sim_thread
    engine = make_engine(sim, toolset=static_toolset(), answer_mode=DispatchMode.AUTO)
    runner = EngineThread(name="test-engine")
    host = ThreadHost(engine, runner)
    receiving = asyncio.new_event_loop()
    batches: list[tuple[str, Sequence[EngineEvent]]] = []
    ready = asyncio.Event()
    done = asyncio.Event()

    def receive(batch: Sequence[EngineEvent]) -> None:
        batches.append((threading.current_thread().name, list(batch)))
        if any(isinstance(e, StateChanged) and e.state is SessionState.READY for e in batch):
            ready.set()
        if any(isinstance(e, CallUpdated) and e.call.state is CallState.ANSWERED for e in batch):
            done.set()

    async def main() -> None:
        host.start(receive, receiving.call_soon_threadsafe)
        host.send(cmd.Connect())
        async with asyncio.timeout(WAIT_S):
            await ready.wait()
        host.send(cmd.SendText(QUESTION))
        async with asyncio.timeout(WAIT_S):
            await done.wait()
        await host.stop()

    try:
        receiving.run_until_complete(main())
    finally:
        receiving.close()
        assert runner.stop() == []
    assert {thread for thread, _ in batches} == {threading.current_thread().name}
    events = [e for _, batch in batches for e in batch]
    # Fewer wake-ups than events: frames and transcript deltas come in batches.
    assert len(batches) < len(events)
    assert isinstance(events[-1], StateChanged)
    assert events[-1].state is SessionState.CLOSED
    names = [type(e).__name__ for e in events]
    assert names.index("CallReceived") < names.index("CallUpdated")
    # After stop, commands are refused on the stream instead of vanishing.
    late: list[EngineEvent] = []
    host._receiver = late.extend
    command = cmd.SendText("too late")
    host.send(command)
    assert late == [
        CommandFailed(command.command_id, "Sending the message", "the session has been shut down")
    ]


@pytest.fixture
def sim_thread() -> Iterator[tuple[SimulatorServer, EngineThread]]:
    thread = EngineThread(name="test-simulator")
    server = SimulatorServer(SimulatorConfig.fast())
    thread.run(server.start("127.0.0.1", 0)).result(10)
    yield server, thread
    thread.run(server.stop()).result(10)
    assert thread.stop() == []
