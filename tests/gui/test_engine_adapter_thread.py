"""EngineAdapter on an engine thread: the session answers on its own thread, the GUI hears in order.

The app runs the session, its transport and the dispatcher on an EngineThread; these tests
use that same wiring (real simulator, real sockets on 127.0.0.1) and check what the
threading promises: answers never wait for the GUI thread, signals are emitted on the GUI
thread only, callbacks arrive in order and in batches, and shutdown leaves no thread behind.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.dispatcher import Dispatcher
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import Session, SessionListenerBase
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from tests.gui.ui_support import engine_of, make_bridge, transcript_items, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

QUESTION = "What's the weather in Beijing?"
STATIC_OUTPUT = '{"forecast": "sunny"}'
# Generous: a wait only costs time when it fails, and the suite runs on loaded machines.
WAIT_MS = 20_000

SIGNALS = (
    "state_changed",
    "call_received",
    "call_updated",
    "dispatch_changed",
    "error_reported",
    "warning_reported",
)


class ThreadRecorder:
    """Every signal of a bridge as (name, args, thread the slot ran on)."""

    def __init__(self, bridge: EngineAdapter) -> None:
        self.events: list[tuple[str, tuple[Any, ...], str]] = []
        self.batches: list[list[Any]] = []
        for name in SIGNALS:
            getattr(bridge, name).connect(
                lambda *args, n=name: self.events.append((n, args, threading.current_thread().name))
            )
        bridge.transcripts.connect(self._transcripts)

    def _transcripts(self, batch: list[Any]) -> None:
        # One entry per item, as if each were a signal of its own (with the batch's thread).
        self.batches.append(list(batch))
        thread = threading.current_thread().name
        self.events.extend((name, args, thread) for name, args in transcript_items(batch))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args, _ in self.events if n == name]


@dataclass
class Rig:
    bridge: EngineAdapter
    engine: EngineThread
    sim: SimulatorServer
    seen: ThreadRecorder

    def outputs_received(self) -> list[str]:
        """``function_call_output`` items the simulator received (read from any thread)."""
        return [
            json.dumps(entry.frame)
            for entry in list(self.sim.session_log.entries)
            if entry.direction == "in" and "function_call_output" in json.dumps(entry.frame)
        ]


@pytest.fixture
def sim_engine() -> Iterator[EngineThread]:
    # The simulator gets its own loop too: while a test blocks the GUI thread, only the
    # app's engine and the simulator can make progress, which is the point.
    engine = EngineThread(name="test-simulator")
    yield engine
    assert engine.stop() == []


@pytest.fixture
def rig(qloop: Any, qtbot: Any, await_in_qt: Any, sim_engine: EngineThread) -> Iterator[Rig]:
    sim = SimulatorServer(SimulatorConfig.fast())
    sim_engine.run(sim.start("127.0.0.1", 0)).result(10)
    engine = EngineThread()
    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(STATIC_OUTPUT)),))
    )
    toolset = ToolSet(name="Static", tools=(entry,))

    def dispatcher(session: Session) -> Dispatcher:
        return Dispatcher(session, factory=ResponderFactory())

    tasks = TaskRunner()
    bridge = make_bridge(
        tasks,
        toolset=toolset,
        dispatcher_factory=dispatcher,
        simulator_url=sim.ws_url,
        engine=engine,
    )
    seen = ThreadRecorder(bridge)
    try:
        yield Rig(bridge, engine, sim, seen)
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        leftovers = engine.stop()
        sim_engine.run(sim.stop()).result(10)
        assert not engine.thread.is_alive()
        assert leftovers == []  # disconnecting ended every task of the session


def _connect(rig: Rig, qtbot: Any) -> None:
    rig.bridge.connect_session()
    qtbot.waitUntil(lambda: rig.bridge.state == "ready", timeout=WAIT_MS)


def test_session_callbacks_run_on_the_engine_and_signals_on_the_gui_thread(
    qtbot: Any, rig: Rig
) -> None:
    where: list[str] = []

    class Probe(SessionListenerBase):
        def call_received(self, call: Any) -> None:
            where.append(threading.current_thread().name)

    rig.engine.call(lambda: engine_of(rig.bridge).session.add_listener(Probe()))
    rig.bridge.set_answer_mode("auto")
    _connect(rig, qtbot)
    rig.bridge.send_text(QUESTION)
    qtbot.waitUntil(lambda: bool(rig.seen.of("response_finished")), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "dispatch_changed" in {n for n, *_ in rig.seen.events}, timeout=WAIT_MS)

    assert where == [rig.engine.thread.name]
    assert {thread for *_, thread in rig.seen.events} == {threading.main_thread().name}
    (received,) = rig.seen.of("call_received")[0]
    key = received.key
    call = rig.bridge.calls.get(key)
    assert call is not None
    assert call.state is CallState.ANSWERED
    assert call.output == STATIC_OUTPUT
    assert rig.bridge.dispatch_record(key) is not None
    assert rig.seen.of("error_reported") == []


def test_an_automatic_answer_does_not_wait_for_a_busy_gui_thread(qtbot: Any, rig: Rig) -> None:
    rig.bridge.set_answer_mode("auto")
    _connect(rig, qtbot)
    seen_before = len(rig.seen.events)
    rig.bridge.send_text(QUESTION)
    # Block the GUI thread (no Qt or asyncio event runs here) until the simulator has the
    # answer: the question goes out, the call comes in and is answered on the engine.
    deadline = time.monotonic() + WAIT_MS / 1000
    while not rig.outputs_received() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert rig.outputs_received(), "the answer waited for the GUI thread"
    assert STATIC_OUTPUT.replace('"', '\\"') in rig.outputs_received()[0]
    # Nothing was delivered while the GUI thread was busy…
    assert len(rig.seen.events) == seen_before
    # …and everything arrives, in order, once it is free again.
    qtbot.waitUntil(lambda: bool(rig.seen.of("response_finished")), timeout=WAIT_MS)
    names = [n for n, *_ in rig.seen.events[seen_before:]]
    assert names.index("call_received") < names.index("call_updated")
    (received,) = rig.seen.of("call_received")[0]
    key = received.key
    call = rig.bridge.calls.get(key)
    assert call is not None
    assert call.state is CallState.ANSWERED


def test_callbacks_queued_while_the_gui_is_busy_arrive_in_order_in_one_wake_up(
    qtbot: Any, qloop: Any, monkeypatch: pytest.MonkeyPatch, rig: Rig
) -> None:
    _connect(rig, qtbot)
    wakes: list[str] = []
    original = qloop.call_soon_threadsafe

    def counting(callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        wakes.append(getattr(callback, "__name__", repr(callback)))
        return original(callback, *args, **kwargs)

    monkeypatch.setattr(qloop, "call_soon_threadsafe", counting)
    # Told on the engine thread, after the bridge's own listener (listeners are called in
    # the order they were added), so once it fires, the bridge has queued the whole reply.
    reply_queued = threading.Event()

    class Probe(SessionListenerBase):
        def transcript_received(self, transcript: Any) -> None:
            if transcript.role == "avatar" and transcript.final:
                reply_queued.set()

    rig.engine.call(lambda: engine_of(rig.bridge).session.add_listener(Probe()))
    rig.bridge.set_answer_mode("auto")
    rig.bridge.send_text(QUESTION)
    # Let the call be answered and the whole spoken reply stream in while the GUI thread
    # is busy (blocked here: no Qt or asyncio event runs until the wait returns).
    assert reply_queued.wait(WAIT_MS / 1000), "the reply never came"
    wakes_while_busy = wakes.count("deliver")
    assert rig.seen.of("call_received") == []
    assert rig.seen.of("transcript_delta") == []
    qtbot.waitUntil(lambda: bool(rig.seen.of("response_finished")), timeout=WAIT_MS)

    names = [n for n, *_ in rig.seen.events]
    assert names.index("call_received") < names.index("call_updated")
    assert names.index("call_updated") < names.index("response_started")
    assert names.index("response_started") < names.index("transcript_delta")
    assert names.index("transcript_done") < names.index("response_finished")
    deltas = rig.seen.of("transcript_delta")
    assert len(deltas) >= 2
    assert "".join(text for *_, text in deltas) == rig.seen.of("transcript_done")[-1][2]
    # One wake-up for the whole burst, not one per event (nor per timeline flush).
    assert wakes_while_busy == 1 < len(names)
    # The whole reply, queued meanwhile, reached the GUI as ONE transcripts emit, in order
    # (nothing else was said between its start and its end).
    (batch,) = rig.seen.batches
    kinds = [item.kind for item in batch]
    assert kinds == ["started", *["delta"] * len(deltas), "done", "finished"]


def test_reports_of_a_replaced_session_never_reach_the_panels_after_the_new_one(
    qtbot: Any, rig: Rig
) -> None:
    old = engine_of(rig.bridge).session
    order: list[str] = []
    rig.bridge.warning_reported.connect(lambda _text: order.append("warning"))
    rig.bridge.profile_changed.connect(lambda: order.append("profile_changed"))
    # Reported on the engine while the GUI thread is inside this test function…
    rig.engine.call(lambda: old._warn("late news from the old session"))
    # …and the session is replaced before the GUI thread gets to deliver it.
    with qtbot.waitSignal(rig.bridge.profile_changed, timeout=20_000):
        rig.bridge.set_profile(rig.bridge.profile.with_changes(voice="cedar"))
    assert engine_of(rig.bridge).session is not old
    # One ordered stream: what the old session said comes before the panels switch to
    # the new one, never after (the panels then start fresh).
    assert order == ["warning", "profile_changed"]
    # The new session is heard as usual, and nothing of the old one follows.
    _connect(rig, qtbot)
    assert rig.seen.of("state_changed")[-1][0] == "ready"
    assert order == ["warning", "profile_changed"]


def test_state_is_the_gui_view_and_a_pending_connect_counts_as_active(qtbot: Any, rig: Rig) -> None:
    assert rig.bridge.state == "idle"
    assert not rig.bridge.is_active
    rig.bridge.connect_session()
    # Before the engine reported anything, a second press must not connect twice.
    assert rig.bridge.is_active
    rig.bridge.connect_session()
    qtbot.waitUntil(lambda: rig.bridge.state == "ready", timeout=WAIT_MS)
    states = [args[0] for args in rig.seen.of("state_changed")]
    assert states.count("connecting") == 1
    assert states[-1] == "ready"  # the state property never runs ahead of the signals
    assert rig.seen.of("error_reported") == []
    rig.bridge.disconnect_session()
    qtbot.waitUntil(lambda: rig.bridge.state == "closed", timeout=WAIT_MS)
    assert not rig.bridge.is_active


def test_the_app_stops_its_engine_thread_when_it_closes(
    qtbot: Any, tmp_path: Path, workbench_factory: Callable[..., Any], await_in_qt: Any
) -> None:
    workbench = workbench_factory("--connect")
    engine = workbench.engine
    assert isinstance(engine, EngineThread)
    assert workbench.bridge.engine is engine
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=WAIT_MS)
    assert engine.thread.is_alive()
    await_in_qt(workbench.close(), timeout=20)
    assert workbench.bridge.state == "closed"  # disconnected first, and the GUI heard it
    assert not engine.thread.is_alive()
    assert workbench.engine is None
    assert not [t for t in threading.enumerate() if t is engine.thread]
