"""EngineAdapter: core session events become Qt signals; actions run through the TaskRunner."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.engine.engine_thread import EngineRunner, EngineThread, InlineEngine
from navtalk_desktop.core.profile import default_profiles
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.simulator.timings import Timings
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from tests.gui.ui_support import engine_of, make_bridge, transcript_items

QUESTION = "What's the weather in Beijing?"


@pytest.fixture
def simulator(qloop: Any, await_in_qt: Callable[..., Any]) -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(server.start("127.0.0.1", 0))
    yield server
    await_in_qt(server.stop())


@pytest.fixture(params=["thread", "inline"])
def engine(request: pytest.FixtureRequest) -> Iterator[EngineRunner]:
    """The app's engine thread, and the inline engine the bridge uses by default."""
    if request.param == "inline":
        yield InlineEngine()
        return
    engine = EngineThread()
    try:
        yield engine
    finally:
        # The bridge was closed before (fixture order): nothing may be left running.
        leftovers = engine.stop()
        assert not engine.thread.is_alive()
        assert leftovers == []


@pytest.fixture
def bridge(
    engine: EngineRunner, simulator: SimulatorServer, await_in_qt: Callable[..., Any]
) -> Iterator[EngineAdapter]:
    from navtalk_desktop.core.tools.templates import FUNCTION_CALL_JUDGE

    tasks = TaskRunner()
    bridge = make_bridge(
        tasks, tools=[FUNCTION_CALL_JUDGE], simulator_url=simulator.ws_url, engine=engine
    )
    yield bridge
    await_in_qt(bridge.close())
    await_in_qt(tasks.cancel_all())


class Recorder:
    """Collects every signal of a bridge as (name, args)."""

    NAMES = (
        "state_changed",
        "call_received",
        "call_updated",
        "error_reported",
        "answer_mode_changed",
    )

    def __init__(self, bridge: EngineAdapter) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self.batches: list[list[Any]] = []
        for name in self.NAMES:
            getattr(bridge, name).connect(lambda *args, n=name: self.events.append((n, args)))
        bridge.transcripts.connect(self._transcripts)

    def _transcripts(self, batch: list[Any]) -> None:
        self.batches.append(list(batch))
        self.events.extend(transcript_items(batch))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.events if n == name]


def test_a_whole_turn_arrives_as_signals(qtbot: Any, bridge: EngineAdapter) -> None:
    seen = Recorder(bridge)
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
    states = [args[0] for args in seen.of("state_changed")]
    assert states[:2] == ["connecting", "open"]
    assert states[-1] == "ready"
    assert "license=***" in seen.of("state_changed")[0][1]  # the URL, masked

    bridge.send_text(QUESTION)
    qtbot.waitUntil(lambda: bool(seen.of("call_received")), timeout=20_000)
    (received,) = seen.of("call_received")[0]
    key = received.key
    call = bridge.calls.get(key)
    assert call is not None
    assert call.name == "function_call_judge"

    bridge.answer_call(key, {"forecast": "sunny"})
    qtbot.waitUntil(lambda: bool(seen.of("response_finished")), timeout=20_000)
    call = bridge.calls.get(key)  # snapshots: the latest one says how it ended
    assert call is not None
    assert call.state is CallState.ANSWERED
    assert call.output == '{"forecast": "sunny"}'
    assert key in [updated.key for (updated,) in seen.of("call_updated")]
    started = seen.of("response_started")
    deltas = seen.of("transcript_delta")
    done = seen.of("transcript_done")
    assert started
    assert deltas
    assert done
    response_id = started[0][0]
    assert all(role == "avatar" and rid == response_id for role, rid, _ in deltas)
    assert done[-1][0] == "avatar"
    assert "".join(text for *_, text in deltas) == done[-1][2]
    assert "sunny" in done[-1][2]
    # Typed turns are not echoed back (the conversation panel shows them when sent).
    assert all(role != "user" for role, *_ in done)
    assert seen.of("error_reported") == []


def _kinds_of(seen: Recorder, response_id: str) -> list[str]:
    """The transcript items of one response, in the order they were delivered."""
    return [
        item.kind for batch in seen.batches for item in batch if item.response_id == response_id
    ]


def test_transcript_batches_deliver_start_deltas_done_and_finish_in_order(
    qtbot: Any, bridge: EngineAdapter
) -> None:
    seen = Recorder(bridge)
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
    bridge.send_text(QUESTION)
    qtbot.waitUntil(lambda: bool(seen.of("call_received")), timeout=20_000)
    bridge.answer_call(seen.of("call_received")[0][0].key, {"forecast": "sunny"})
    qtbot.waitUntil(lambda: bool(seen.of("response_finished")), timeout=20_000)
    ((response_id,),) = seen.of("response_started")
    kinds = _kinds_of(seen, response_id)
    assert kinds[0] == "started"
    assert kinds[-2:] == ["done", "finished"]
    assert set(kinds[1:-2]) == {"delta"}
    assert len(kinds) >= 5  # it streamed
    items = [item for batch in seen.batches for item in batch if item.response_id == response_id]
    assert all(item.role == "avatar" for item in items)
    assert all(item.text == "" for item in items if item.kind in ("started", "finished"))
    deltas = "".join(item.text for item in items if item.kind == "delta")
    assert deltas == next(item.text for item in items if item.kind == "done")
    # Batches are never empty, and they are batches: the reply took fewer emits than items.
    assert all(seen.batches)
    assert len(seen.batches) <= len(seen.events)


def test_a_response_cut_by_a_disconnect_finishes_before_the_state_changes(
    qtbot: Any, engine: EngineRunner, await_in_qt: Callable[..., Any]
) -> None:
    # Slow streaming: the disconnect surely comes in the middle of the reply.
    config = SimulatorConfig(timings=replace(Timings.fast(), delta_interval=1.0), speech="tone")
    server = SimulatorServer(config)
    await_in_qt(server.start("127.0.0.1", 0))
    tasks = TaskRunner()
    bridge = make_bridge(tasks, simulator_url=server.ws_url, engine=engine)
    seen = Recorder(bridge)
    try:
        bridge.connect_session()
        qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
        bridge.send_text("Hello, who are you?")
        qtbot.waitUntil(lambda: bool(seen.of("transcript_delta")), timeout=20_000)
        bridge.disconnect_session()
        qtbot.waitUntil(lambda: not bridge.is_active, timeout=20_000)
        ((response_id,),) = seen.of("response_started")
        assert "done" not in _kinds_of(seen, response_id)  # really cut short
        names = [name for name, _args in seen.events]
        ended = names.index("response_finished")
        assert seen.events[ended][1] == (response_id,)
        after_start = names.index("response_started")
        # The connection stopped being live only after the response was finished.
        states = [
            i
            for i, (name, args) in enumerate(seen.events)
            if name == "state_changed" and i > after_start
        ]
        assert states
        assert ended < states[0]
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        await_in_qt(server.stop())
        # The simulator was stopped mid-reply: its cancelled sleeps leave garbage cycles
        # holding qasync timers (Qt objects). Collect them here, on the GUI thread; left
        # to chance, a later test's engine thread may collect them and crash Qt.
        gc.collect()


def test_failures_become_readable_errors_not_exceptions(qtbot: Any, bridge: EngineAdapter) -> None:
    seen = Recorder(bridge)
    bridge.send_text("hello")  # not connected
    qtbot.waitUntil(lambda: bool(seen.of("error_reported")), timeout=20_000)
    assert seen.of("error_reported")[0][0].startswith(
        "Sending the message failed: cannot send text"
    )
    bridge.answer_call("call_nope", "x")
    qtbot.waitUntil(lambda: len(seen.of("error_reported")) == 2, timeout=20_000)
    assert "call_nope" in seen.of("error_reported")[1][0]
    assert bridge.tasks.pending == 0


def test_answer_mode_is_validated_and_announced(qtbot: Any, bridge: EngineAdapter) -> None:
    seen = Recorder(bridge)
    bridge.set_answer_mode("auto")
    bridge.set_answer_mode("auto")  # no change, no signal
    assert seen.of("answer_mode_changed") == [("auto",)]
    with pytest.raises(ValueError, match="unknown answer mode"):
        bridge.set_answer_mode("sometimes")
    assert bridge.answer_mode == "auto"


def test_profile_change_replaces_an_idle_session_and_keeps_the_timeline(
    qtbot: Any, bridge: EngineAdapter
) -> None:
    old_session = engine_of(bridge).session
    timeline = bridge.timeline
    with qtbot.waitSignal(bridge.profile_changed, timeout=20_000):
        bridge.set_profile(bridge.profile.with_changes(voice="cedar"))
    session = engine_of(bridge).session
    assert session is not old_session
    assert bridge.timeline is timeline
    assert session.timeline is timeline
    assert session.profile.voice == "cedar"
    # The simulator's real URL is what connects; the profile keeps its placeholder.
    assert session.profile.url == bridge.simulator_url
    assert bridge.profile.url != bridge.simulator_url


def test_an_opened_timeline_replaces_the_frames_only_while_disconnected(
    qtbot: Any, bridge: EngineAdapter
) -> None:
    opened = Timeline()
    opened.append(Direction.IN, "realtime.session.created", '{"type":"realtime.session.created"}')
    with qtbot.waitSignal(bridge.timeline_replaced, timeout=20_000) as blocker:
        bridge.replace_timeline(opened)
    assert blocker.args == [opened]
    assert bridge.timeline is opened
    qtbot.waitUntil(lambda: engine_of(bridge).session.timeline is opened, timeout=20_000)
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
    with pytest.raises(RuntimeError, match="disconnect"):
        bridge.replace_timeline(Timeline())


def test_session_only_license_stays_in_memory_and_is_redacted(
    qtbot: Any, bridge: EngineAdapter, await_in_qt: Callable[..., Any]
) -> None:
    v2 = default_profiles()[1]
    bridge.set_profile(v2)
    bridge.set_session_license(v2.name, "sk_navtalk_memory_only")
    assert bridge.has_session_license(v2.name)
    assert await_in_qt(bridge.secrets.get(v2.name)) == "sk_navtalk_memory_only"
    assert await_in_qt(bridge.known_secrets()) == ["sk_navtalk_memory_only"]
    bridge.set_session_license(v2.name, None)
    assert not bridge.has_session_license(v2.name)


def test_connect_waits_for_a_simulator_that_is_still_starting(
    qtbot: Any, qloop: Any, await_in_qt: Callable[..., Any]
) -> None:
    # The app shows its window before the simulator listens: a connect requested in
    # between must open the simulator's real URL, not the profile's placeholder.
    tasks = TaskRunner()
    bridge = make_bridge(tasks)
    assert bridge.profile.local_simulator
    ready = qloop.create_future()
    bridge.expect_simulator(ready)
    recorder = Recorder(bridge)
    bridge.connect_session()
    bridge.connect_session()  # pressed twice: still one connect
    server = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(server.start("127.0.0.1", 0))
    try:
        assert recorder.of("state_changed") == []  # nothing tried before the URL is known
        ready.set_result(server.ws_url)
        qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
        assert bridge.simulator_url == server.ws_url
        assert engine_of(bridge).session.profile.url == server.ws_url
        assert [args[0] for args in recorder.of("state_changed")].count("connecting") == 1
        assert recorder.of("error_reported") == []
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        await_in_qt(server.stop())


def test_a_threaded_engine_moves_garbage_collection_to_the_gui_thread(
    bridge: EngineAdapter, engine: EngineRunner, await_in_qt: Callable[..., Any]
) -> None:
    import gc

    threaded = isinstance(engine, EngineThread)
    # With the session on another thread, that thread must never run a collection
    # (it could destroy Qt objects there); an inline engine changes nothing.
    assert gc.isenabled() is not threaded
    await_in_qt(bridge.close())
    assert gc.isenabled()


def test_frames_reach_the_timeline_view_through_the_event_stream_only(
    qtbot: Any, bridge: EngineAdapter
) -> None:
    from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel

    panel = TimelinePanel(bridge)
    qtbot.addWidget(panel)
    # The engine is the store's only listener: the view follows FramesAppended events.
    assert bridge.timeline._listeners == [engine_of(bridge)]
    appended: list[Any] = []
    bridge.frames_appended.connect(appended.append)
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=20_000)
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == bridge.timeline.logical_count() > 0, timeout=20_000
    )
    rows = [row for event in appended for row in event.rows]
    assert rows == list(bridge.timeline)[: len(rows)]
    # Clearing is a command; the view empties when the engine's reset arrives.
    bridge.clear_timeline()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=20_000)


def test_a_batch_is_applied_in_order_with_one_emit_for_its_frames(
    qtbot: Any, bridge: EngineAdapter
) -> None:
    from navtalk_desktop.core.engine.events import FramesAppended, Notice, NoticeLevel

    first = Timeline()
    for n in range(5):
        first.append(Direction.IN, "x", f'{{"n": {n}}}')
    rows = list(first)
    order: list[str] = []
    emitted: list[FramesAppended] = []
    bridge.frames_appended.connect(lambda event: (order.append("frames"), emitted.append(event)))
    bridge.warning_reported.connect(lambda text: order.append(text))
    bridge.apply(
        [
            FramesAppended(0, tuple(rows[:2]), (None, None)),
            Notice(NoticeLevel.WARNING, "first"),
            FramesAppended(2, tuple(rows[2:]), (None, None, None)),
            Notice(NoticeLevel.WARNING, "second"),
        ]
    )
    assert order == ["first", "second", "frames"]
    (merged,) = emitted
    assert merged.first_row == 0
    assert list(merged.rows) == rows
