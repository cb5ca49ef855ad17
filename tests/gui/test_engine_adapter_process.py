"""EngineAdapter over the process host: the engine in a child process, the GUI hears in order.

The same adapter the app builds with ``--engine process`` (real child process, real socket
pair, real simulator on 127.0.0.1). Most GUI tests keep the in-process host for speed;
these check what only the process design promises: answers never wait for the GUI
process, the GUI's copy of the timeline follows the engine's, a dead engine process is
reported and can be restarted while the window stays responsive.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.engine.factory import EngineOptions
from navtalk_desktop.core.profile import default_profiles
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.engine_process.host import ProcessHost
from navtalk_desktop.engine_process.recipe import EngineRecipe
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from tests.gui.ui_support import make_bridge, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

QUESTION = "What's the weather in Beijing?"
STATIC_OUTPUT = '{"forecast": "sunny"}'
WAIT_MS = 30_000


@dataclass
class Rig:
    bridge: EngineAdapter
    host: ProcessHost
    sim: SimulatorServer
    errors: list[str]
    threads: set[str]

    def outputs_received(self) -> list[str]:
        """``function_call_output`` items the simulator received (read from any thread)."""
        return [
            json.dumps(entry.frame)
            for entry in list(self.sim.session_log.entries)
            if entry.direction == "in" and "function_call_output" in json.dumps(entry.frame)
        ]


@pytest.fixture
def sim_engine() -> Iterator[EngineThread]:
    engine = EngineThread(name="test-simulator")
    yield engine
    assert engine.stop() == []


@pytest.fixture
def rig(qloop: Any, qtbot: Any, await_in_qt: Any, sim_engine: EngineThread) -> Iterator[Rig]:
    sim = SimulatorServer(SimulatorConfig.fast())
    sim_engine.run(sim.start("127.0.0.1", 0)).result(10)
    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(STATIC_OUTPUT)),))
    )
    toolset = ToolSet(name="Static", tools=(entry,))
    profile = default_profiles()[0]  # the Local simulator
    recipe = EngineRecipe(
        EngineOptions(profile=profile, toolset=toolset, simulator_url=sim.ws_url),
        keychain=False,
        responders=False,
    )
    host = ProcessHost(recipe)
    tasks = TaskRunner()
    bridge = make_bridge(
        tasks, profile=profile, toolset=toolset, simulator_url=sim.ws_url, host=host
    )
    errors: list[str] = []
    threads: set[str] = set()
    bridge.error_reported.connect(errors.append)
    bridge.state_changed.connect(lambda *_: threads.add(threading.current_thread().name))
    try:
        yield Rig(bridge, host, sim, errors, threads)
    finally:
        await_in_qt(bridge.close())
        await_in_qt(tasks.cancel_all())
        sim_engine.run(sim.stop()).result(10)
    assert not host.alive


def _connect(rig: Rig, qtbot: Any) -> None:
    rig.bridge.connect_session()
    qtbot.waitUntil(lambda: rig.bridge.state == "ready", timeout=WAIT_MS)


def test_an_automatic_answer_comes_from_the_child_while_the_gui_thread_is_blocked(
    qtbot: Any, rig: Rig
) -> None:
    rig.bridge.set_answer_mode("auto")
    _connect(rig, qtbot)
    rig.bridge.send_text(QUESTION)
    # Block the GUI thread until the simulator has the answer: nothing in this process
    # runs the engine, so the answer cannot be waiting for it.
    deadline = time.monotonic() + WAIT_MS / 1000
    while not rig.outputs_received() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert rig.outputs_received(), "the answer waited for the GUI process"
    assert STATIC_OUTPUT.replace('"', '\\"') in rig.outputs_received()[0]
    # The GUI catches up: the call as a snapshot, its frames in the GUI's timeline copy.
    qtbot.waitUntil(
        lambda: any(call.state is CallState.ANSWERED for call in rig.bridge.calls),
        timeout=WAIT_MS,
    )
    (call,) = list(rig.bridge.calls)
    assert call.output == STATIC_OUTPUT
    timeline = rig.bridge.timeline
    qtbot.waitUntil(
        lambda: any(row.type.endswith("function_call_output") for row in timeline),
        timeout=WAIT_MS,
    )
    assert [row.seq for row in timeline] == list(range(1, len(timeline) + 1))
    assert rig.threads == {threading.main_thread().name}
    assert rig.errors == []


def test_a_killed_engine_process_is_reported_and_restarted_while_the_gui_responds(
    qtbot: Any, rig: Rig
) -> None:
    _connect(rig, qtbot)
    pid = rig.host.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(rig.errors), timeout=WAIT_MS)
    assert rig.errors == [
        "The session engine stopped: engine process ended (killed by signal SIGKILL)"
    ]
    assert rig.bridge.state == "failed"  # Connect is offered again
    # The GUI thread is free: its own timers keep firing.
    ticks: list[int] = []
    rig.bridge.ui_tick.connect(lambda: ticks.append(1))
    rig.bridge.request_ui_tick()
    qtbot.waitUntil(lambda: bool(ticks), timeout=WAIT_MS)
    # Connect starts a new engine process; the session works again.
    rig.bridge.connect_session()
    assert rig.host.pid != pid
    qtbot.waitUntil(lambda: rig.bridge.state == "ready", timeout=WAIT_MS)


def test_the_app_runs_its_engine_in_a_child_process(qtbot: Any, workbench_factory: Any) -> None:
    workbench = workbench_factory("--engine", "process", "--connect")
    bridge = workbench.bridge
    assert isinstance(bridge.host, ProcessHost)
    assert bridge.engine is None  # no engine thread in this process
    qtbot.waitUntil(lambda: bridge.state == "ready", timeout=WAIT_MS)
    panel = workbench.panels["timeline"]
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=WAIT_MS)
    assert len(bridge.timeline) > 0
