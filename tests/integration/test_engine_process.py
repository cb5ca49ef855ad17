"""The engine in its own process: real child processes, a real socket pair, the real simulator.

The GUI side here is a plain asyncio loop (``post`` = ``loop.call_soon_threadsafe``), as
qasync gives the app; GUI tests of the adapter over this host are in
``tests/gui/test_engine_process_gui.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import pytest_asyncio

from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import (
    CommandFailed,
    EngineEvent,
    FramesAppended,
    HostDied,
    StateChanged,
    TimelineReset,
)
from navtalk_desktop.core.engine.factory import EngineOptions
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.session import SessionState
from navtalk_desktop.engine_process.host import ProcessHost
from navtalk_desktop.engine_process.recipe import EngineRecipe
from navtalk_desktop.infra.keyring_store import KeyringSecretStore
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer

WAIT_S = 30.0


class Received:
    """What the GUI side received: every batch, in order."""

    def __init__(self) -> None:
        self.batches: list[list[EngineEvent]] = []
        self.changed = asyncio.Event()

    def __call__(self, batch: Sequence[EngineEvent]) -> None:
        self.batches.append(list(batch))
        self.changed.set()

    @property
    def events(self) -> list[EngineEvent]:
        return [event for batch in self.batches for event in batch]

    def states(self) -> list[SessionState]:
        return [e.state for e in self.events if isinstance(e, StateChanged)]

    async def until(self, condition: Callable[[], object]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorConfig.fast()) as server:
        yield server


def _recipe(sim: SimulatorServer, *, local: bool = True) -> EngineRecipe:
    profile = ConnectionProfile(
        name="sim" if local else "Staging",
        url=sim.ws_url,
        avatar_name="navtalk.Emily",
        local_simulator=local,
        reconnect=False,
    )
    return EngineRecipe(EngineOptions(profile=profile, simulator_url=sim.ws_url if local else None))


def _start(host: ProcessHost) -> Received:
    received = Received()
    host.start(received, asyncio.get_running_loop().call_soon_threadsafe)
    return received


def _ready(received: Received) -> Callable[[], bool]:
    return lambda: SessionState.READY in received.states()


def _raw_frames(received: Received) -> str:
    return "".join(
        row.raw for e in received.events if isinstance(e, FramesAppended) for row in e.rows
    )


def _mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, not yet reaped by its new parent


@pytest.mark.asyncio
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_the_child_runs_the_engine_without_qt(sim: SimulatorServer) -> None:
    # The full desktop recipe (responders, sandbox, HTTP client), connected: every
    # lazy import the engine makes has happened by then.
    host = ProcessHost(_recipe(sim))
    received = _start(host)
    host.send(cmd.Connect())
    await received.until(_ready(received))
    assert host.pid is not None
    maps = _mapped_files(host.pid)
    assert "python" in maps.lower()  # the check reads the right kind of process
    assert "PySide6" not in maps
    assert "libQt6" not in maps
    await host.stop()


@pytest.mark.asyncio
async def test_events_arrive_in_order_across_the_pipe(sim: SimulatorServer) -> None:
    host = ProcessHost(_recipe(sim))
    received = _start(host)
    host.send(cmd.Connect())
    await received.until(_ready(received))
    for n in range(5):
        host.send(cmd.SendText(f"message {n}"))
    await received.until(lambda: "message 4" in _raw_frames(received))
    await host.stop()

    events = received.events
    # The first batch is the engine's initial state; rows are dense and in order.
    assert isinstance(events[0], StateChanged)
    next_row = 0
    sent_texts: list[str] = []
    for event in events:
        if isinstance(event, FramesAppended):
            assert event.first_row == next_row
            next_row = event.last_row + 1
            sent_texts += [row.raw for row in event.rows if "message " in row.raw]
    assert next_row > 0
    order = [n for n in range(5) for raw in sent_texts if f"message {n}" in raw]
    assert order == sorted(order)
    assert set(order) == set(range(5))
    states = received.states()
    assert states.index(SessionState.CONNECTING) < states.index(SessionState.READY)
    assert states[-1] is SessionState.CLOSED  # the stop's disconnect arrived before stop returned


@pytest.mark.asyncio
async def test_a_composer_frame_crosses_to_the_child_and_goes_out_unchanged(
    sim: SimulatorServer,
) -> None:
    host = ProcessHost(_recipe(sim))
    received = _start(host)
    host.send(cmd.Connect())
    await received.until(_ready(received))
    frame = '{"type": "conversation.item.create", "item": {"type": "message", "role": "user", '
    frame += '"content": [{"type": "input_text", "text": "from the composer"}]}}'
    host.send(cmd.SendFrame(frame))
    await received.until(lambda: frame in _raw_frames(received))
    assert not [e for e in received.events if isinstance(e, CommandFailed)]
    await host.stop()


@pytest.mark.asyncio
async def test_a_failed_command_comes_back_as_an_event(sim: SimulatorServer) -> None:
    host = ProcessHost(_recipe(sim))
    received = _start(host)
    command = cmd.RunResponders(key="no-such-call")
    host.send(command)
    await received.until(lambda: any(isinstance(e, CommandFailed) for e in received.events))
    failed = [e for e in received.events if isinstance(e, CommandFailed)]
    assert failed[0].command_id == command.command_id
    assert "no-such-call" in failed[0].message
    assert host.alive
    await host.stop()


@pytest.mark.asyncio
async def test_killing_the_child_reports_it_and_a_restart_carries_on(
    sim: SimulatorServer,
) -> None:
    host = ProcessHost(_recipe(sim))
    received = _start(host)
    host.send(cmd.SetAnswerMode(DispatchMode.AUTO))
    host.send(cmd.Connect())
    await received.until(_ready(received))
    assert host.pid is not None
    os.kill(host.pid, signal.SIGKILL)

    await received.until(lambda: any(isinstance(e, HostDied) for e in received.events))
    died = [e for e in received.events if isinstance(e, HostDied)]
    assert died[0].reason == "engine process ended (killed by signal SIGKILL)"
    assert received.events[-1] is died[0]
    assert not host.alive
    # The GUI side goes on: commands are refused with a reason, not lost in silence.
    late = cmd.SendText("anyone there?")
    host.send(late)
    refused = [e for e in received.events if isinstance(e, CommandFailed)]
    assert [e.command_id for e in refused] == [late.command_id]

    seen = len(received.events)
    host.restart()
    host.send(cmd.Connect())
    await received.until(
        lambda: any(
            isinstance(e, StateChanged) and e.state is SessionState.READY
            for e in received.events[seen:]
        )
    )
    after = received.events[seen:]
    assert isinstance(after[0], TimelineReset)  # the old engine's rows are gone with it
    modes = [e for e in after if type(e).__name__ == "AnswerModeChanged"]
    assert modes
    assert modes[-1].mode is DispatchMode.AUTO  # the GUI's choice survived
    await host.stop()


@pytest.mark.asyncio
async def test_the_keychain_of_the_gui_process_answers_the_child(sim: SimulatorServer) -> None:
    # A real (non-simulator) profile: the license comes from the GUI process's keychain
    # (the test suite's memory keyring), which the child reaches through the pipe.
    store = KeyringSecretStore()
    await store.set("Staging", "sk_navtalk_from_the_gui_keychain")
    host = ProcessHost(_recipe(sim, local=False), secrets=store)
    received = _start(host)
    host.send(cmd.Connect())
    await received.until(_ready(received))
    assert sim.active_sessions == 1
    await host.stop()


@pytest.mark.asyncio
async def test_without_a_license_in_the_gui_keychain_the_child_says_so(
    sim: SimulatorServer,
) -> None:
    host = ProcessHost(_recipe(sim, local=False), secrets=KeyringSecretStore())
    received = _start(host)
    host.send(cmd.Connect())
    await received.until(lambda: SessionState.FAILED in received.states())
    errors = [
        e for e in received.events if isinstance(e, StateChanged) and e.state is SessionState.FAILED
    ]
    assert "license" in errors[-1].message.lower()
    await host.stop()


GUI_SCRIPT = """
import asyncio, sys
from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import StateChanged
from navtalk_desktop.core.engine.factory import EngineOptions
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.session import SessionState
from navtalk_desktop.engine_process.host import ProcessHost
from navtalk_desktop.engine_process.recipe import EngineRecipe

async def main():
    url = sys.argv[1]
    profile = ConnectionProfile(name="sim", url=url, avatar_name="navtalk.Emily",
                                local_simulator=True, reconnect=False)
    host = ProcessHost(EngineRecipe(EngineOptions(profile=profile, simulator_url=url)))
    ready = asyncio.Event()
    def receive(batch):
        if any(isinstance(e, StateChanged) and e.state is SessionState.READY for e in batch):
            ready.set()
    host.start(receive, asyncio.get_running_loop().call_soon_threadsafe)
    host.send(cmd.Connect())
    await ready.wait()
    print(host.pid, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.mark.asyncio
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_when_the_gui_process_dies_the_child_closes_the_session_and_exits(
    sim: SimulatorServer,
) -> None:
    gui = await asyncio.create_subprocess_exec(
        sys.executable, "-c", GUI_SCRIPT, sim.ws_url, stdout=subprocess.PIPE
    )
    assert gui.stdout is not None
    try:
        async with asyncio.timeout(WAIT_S):
            child_pid = int(await gui.stdout.readline())
        assert sim.active_sessions == 1
    finally:
        gui.kill()  # SIGKILL: no chance to stop anything in order
        await gui.wait()
    async with asyncio.timeout(WAIT_S):
        while not (_gone(child_pid) and sim.active_sessions == 0):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
