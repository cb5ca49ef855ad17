"""SessionBridge: core session events become Qt signals; actions run through the TaskRunner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from navtalk_desktop.core.calls import CallState
from navtalk_desktop.core.engine_thread import Engine, EngineThread, InlineEngine
from navtalk_desktop.core.profile import default_profiles
from navtalk_desktop.core.timeline import Direction, Timeline
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.ui.session_bridge import SessionBridge
from navtalk_desktop.ui.tasks import TaskRunner

QUESTION = "What's the weather in Beijing?"


@pytest.fixture
def simulator(qloop: Any, await_in_qt: Callable[..., Any]) -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(server.start("127.0.0.1", 0))
    yield server
    await_in_qt(server.stop())


@pytest.fixture(params=["thread", "inline"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
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
    engine: Engine, simulator: SimulatorServer, await_in_qt: Callable[..., Any]
) -> Iterator[SessionBridge]:
    from navtalk_desktop.core.tool_templates import FUNCTION_CALL_JUDGE

    tasks = TaskRunner()
    bridge = SessionBridge(
        profile=default_profiles()[0],
        transport_factory=WebSocketTransport,
        secrets=None,
        tasks=tasks,
        tools=[FUNCTION_CALL_JUDGE],
        simulator_url=simulator.ws_url,
        engine=engine,
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
        "transcript_delta",
        "transcript_done",
        "response_started",
        "response_finished",
        "error_reported",
        "answer_mode_changed",
    )

    def __init__(self, bridge: SessionBridge) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in self.NAMES:
            getattr(bridge, name).connect(lambda *args, n=name: self.events.append((n, args)))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.events if n == name]


def test_a_whole_turn_arrives_as_signals(qtbot: Any, bridge: SessionBridge) -> None:
    seen = Recorder(bridge)
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=10_000)
    states = [args[0] for args in seen.of("state_changed")]
    assert states[:2] == ["connecting", "open"]
    assert states[-1] == "ready"
    assert "license=***" in seen.of("state_changed")[0][1]  # the URL, masked

    bridge.send_text(QUESTION)
    qtbot.waitUntil(lambda: bool(seen.of("call_received")), timeout=10_000)
    (key,) = seen.of("call_received")[0]
    call = bridge.calls.get(key)
    assert call is not None
    assert call.name == "function_call_judge"

    bridge.answer_call(key, {"forecast": "sunny"})
    qtbot.waitUntil(lambda: bool(seen.of("response_finished")), timeout=10_000)
    assert call.state is CallState.ANSWERED
    assert call.output == '{"forecast": "sunny"}'
    assert (key,) in seen.of("call_updated")
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


def test_failures_become_readable_errors_not_exceptions(qtbot: Any, bridge: SessionBridge) -> None:
    seen = Recorder(bridge)
    bridge.send_text("hello")  # not connected
    qtbot.waitUntil(lambda: bool(seen.of("error_reported")), timeout=5000)
    assert seen.of("error_reported")[0][0].startswith(
        "Sending the message failed: cannot send text"
    )
    bridge.answer_call("call_nope", "x")
    qtbot.waitUntil(lambda: len(seen.of("error_reported")) == 2, timeout=5000)
    assert "call_nope" in seen.of("error_reported")[1][0]
    assert bridge.tasks.pending == 0


def test_answer_mode_is_validated_and_announced(qtbot: Any, bridge: SessionBridge) -> None:
    seen = Recorder(bridge)
    bridge.set_answer_mode("auto")
    bridge.set_answer_mode("auto")  # no change, no signal
    assert seen.of("answer_mode_changed") == [("auto",)]
    with pytest.raises(ValueError, match="unknown answer mode"):
        bridge.set_answer_mode("sometimes")
    assert bridge.answer_mode == "auto"


def test_profile_change_replaces_an_idle_session_and_keeps_the_timeline(
    qtbot: Any, bridge: SessionBridge
) -> None:
    old_session = bridge.session
    timeline = bridge.timeline
    with qtbot.waitSignal(bridge.profile_changed, timeout=1000):
        bridge.set_profile(bridge.profile.with_changes(voice="cedar"))
    assert bridge.session is not old_session
    assert bridge.timeline is timeline
    assert bridge.session.profile.voice == "cedar"
    # The simulator's real URL is what connects; the profile keeps its placeholder.
    assert bridge.session.profile.url == bridge.simulator_url
    assert bridge.profile.url != bridge.simulator_url


def test_an_opened_timeline_replaces_the_frames_only_while_disconnected(
    qtbot: Any, bridge: SessionBridge
) -> None:
    opened = Timeline()
    opened.append(Direction.IN, "realtime.session.created", '{"type":"realtime.session.created"}')
    with qtbot.waitSignal(bridge.timeline_replaced, timeout=1000) as blocker:
        bridge.replace_timeline(opened)
    assert blocker.args == [opened]
    assert bridge.timeline is opened
    assert bridge.session.timeline is opened
    bridge.connect_session()
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=10_000)
    with pytest.raises(RuntimeError, match="disconnect"):
        bridge.replace_timeline(Timeline())


def test_session_only_license_stays_in_memory_and_is_redacted(
    qtbot: Any, bridge: SessionBridge, await_in_qt: Callable[..., Any]
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
    bridge = SessionBridge(
        profile=default_profiles()[0],
        transport_factory=WebSocketTransport,
        secrets=None,
        tasks=tasks,
    )
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
        qtbot.waitUntil(lambda: bridge.state == "ready", timeout=5000)
        assert bridge.simulator_url == server.ws_url
        assert bridge.session.profile.url == server.ws_url
        assert [args[0] for args in recorder.of("state_changed")].count("connecting") == 1
        assert recorder.of("error_reported") == []
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        await_in_qt(server.stop())
