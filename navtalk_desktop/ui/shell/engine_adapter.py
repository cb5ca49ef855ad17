"""EngineAdapter: the GUI's side of the engine — commands out, event batches in, Qt signals.

The engine (:class:`~navtalk_desktop.core.engine.engine.Engine`: session, dispatcher,
timeline) runs behind a host (:mod:`~navtalk_desktop.core.engine.host`): on an engine
thread in the app, inline on the GUI loop in tests, or in another process. The adapter is
the only way between the GUI and it:

* GUI → engine: every action is a command (:mod:`~navtalk_desktop.core.engine.commands`)
  handed to the host; a failure comes back as ``CommandFailed`` → ``error_reported``.
* engine → GUI: the host delivers events in ordered batches on the GUI thread, one wake-up
  per batch. The adapter applies a batch to what the GUI shows (state, calls, tools, mode)
  and emits typed signals carrying immutable snapshots; transcript deltas of a batch go
  out as one ``transcripts`` signal, before any later signal of the batch.

Widgets read snapshots only (:attr:`EngineAdapter.calls`), never engine-owned objects; the
one exception is the timeline store, whose reader methods are thread-safe by design.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject

from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.engine import DispatcherFactory, Engine
from navtalk_desktop.core.engine.engine_thread import EngineRunner, InlineEngine
from navtalk_desktop.core.engine.events import (
    EngineEvent,
    FramesAppended,
)
from navtalk_desktop.core.engine.host import EngineHost
from navtalk_desktop.core.engine.thread_host import ThreadHost
from navtalk_desktop.core.media import PeerFactory
from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.secrets import SIMULATOR_LICENSE, SessionSecrets
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.shell.engine_view import UI_TICK_MS, EngineView
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.tasks import TaskRunner

log = logging.getLogger(__name__)

ANSWER_MODES = tuple(DispatchMode)

__all__ = [
    "ANSWER_MODES",
    "SIMULATOR_LICENSE",
    "UI_TICK_MS",
    "DispatcherFactory",
    "EngineAdapter",
    "SessionSecrets",
]


class EngineAdapter(EngineView):
    """The Qt face of one engine: commands out, event batches in (see :class:`EngineView`
    for the signals and what the GUI keeps). The engine's session is re-created when the
    profile changes.

    Args:
        profile: the connection profile to start with.
        transport_factory: new transport per connection (infra, injected by the app).
        secrets: the keychain port (infra, injected by the app); None: no keychain at all.
        tasks: runs the coroutines the adapter starts on the GUI loop.
        timeline: the frame store to start with (default: a new one).
        tools: tools to register.
        toolset: tools with their responder chains (its enabled tools are registered).
        dispatcher_factory: builds the automatic-answer dispatcher for a session.
        simulator_url: WebSocket URL of the in-process simulator, used by profiles with
            ``local_simulator`` set (see also :meth:`expect_simulator`).
        engine: where the engine runs: an
            :class:`~navtalk_desktop.core.engine.engine_thread.EngineThread` (the app; it
            stops the thread after :meth:`close`); by default inline on the GUI loop.
        host: a host that runs an engine built elsewhere (e.g. in a child process:
            ``engine_process.ProcessHost``); the adapter then keeps its own copy of the
            timeline, built from ``FramesAppended`` rows, and ignores ``transport_factory``,
            ``dispatcher_factory`` and ``engine``.
        media_peers: the avatar's WebRTC peer port for an engine built here (None: media
            offers are refused).
    """

    def __init__(
        self,
        *,
        profile: ConnectionProfile,
        transport_factory: TransportFactory,
        secrets: SecretStore | None,
        tasks: TaskRunner,
        timeline: Timeline | None = None,
        tools: list[ToolDefinition] | None = None,
        toolset: ToolSet | None = None,
        dispatcher_factory: DispatcherFactory | None = None,
        simulator_url: str | None = None,
        engine: EngineRunner | None = None,
        host: EngineHost | None = None,
        media_peers: PeerFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        if tools is None and toolset is not None:
            tools = toolset.definitions()
        built: Engine | None = None
        # Whether the timeline shown is the GUI's copy (the engine is in another process).
        self._replica = host is not None
        if host is None:
            built = Engine(
                profile=profile,
                transport_factory=transport_factory,
                secrets=secrets,
                dispatcher_factory=dispatcher_factory,
                tools=list(tools or []),
                toolset=toolset,
                simulator_url=simulator_url,
                timeline=timeline,
                media_peers=media_peers,
            )
            timeline = built.timeline
        super().__init__(
            timeline if timeline is not None else Timeline(), list(tools or []), parent
        )
        runner: EngineRunner = engine if engine is not None else InlineEngine()
        # A session on another Python thread: garbage cycles that hold Qt objects must
        # still be destroyed on this thread (see GuiThreadCollector).
        self._collector: GuiThreadCollector | None = None
        if not isinstance(runner, InlineEngine):
            self._collector = GuiThreadCollector(parent=self)
            self._collector.start()
        self._tasks = tasks
        # The GUI's copy of the keychain port plus the licenses it handed to the engine
        # for this run (the connection panel reads and edits the keychain here).
        self._secrets = SessionSecrets(secrets)
        self._toolset = toolset
        # A host built elsewhere answers with the options it was built with.
        self._has_dispatcher = dispatcher_factory is not None or host is not None
        self._profile = profile
        self._simulator_url = simulator_url
        # Set while the in-process simulator starts (see expect_simulator); a connect
        # requested meanwhile is deferred once (_connect_deferred).
        self._simulator_ready: asyncio.Future[str | None] | None = None
        self._connect_deferred = False
        self._gui_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._gui_thread = threading.current_thread()
        self._host: EngineHost
        if built is not None:
            self._host = ThreadHost(built, runner)
        else:
            assert host is not None
            self._host = host
        self._remember_gui_loop()
        # The receiver reaches the adapter weakly: the engine thread must never hold the
        # last reference to a Qt object (it would be destroyed on the wrong thread).
        self._host.start(_receiver(weakref.ref(self)), self._post)

    # ------------------------------------------------------------------ properties
    @property
    def host(self) -> EngineHost:
        """The host running the engine."""
        return self._host

    @property
    def engine(self) -> EngineRunner | None:
        """Where the engine runs in this process (its thread, or inline); None when it
        runs in another process."""
        return self._host.runner if isinstance(self._host, ThreadHost) else None

    @property
    def profile(self) -> ConnectionProfile:
        """The connection profile in use (as the user edits it; see :meth:`effective_profile`)."""
        return self._profile

    @property
    def tasks(self) -> TaskRunner:
        """The runner that owns the adapter's coroutines (panels use it too)."""
        return self._tasks

    @property
    def secrets(self) -> SessionSecrets:
        """The keychain, plus memory-only licenses."""
        return self._secrets

    @property
    def has_dispatcher(self) -> bool:
        """Whether calls can be answered automatically (the app provided responders)."""
        return self._has_dispatcher

    @property
    def toolset(self) -> ToolSet | None:
        """The tool set whose chains answer calls (None: tools only, no responders)."""
        return self._toolset

    @property
    def simulator_url(self) -> str | None:
        """URL of the in-process simulator, if the app started one."""
        return self._simulator_url

    def effective_profile(self) -> ConnectionProfile:
        """The profile actually connected (the simulator's real URL swapped in)."""
        profile = self._profile
        if profile.local_simulator and self._simulator_url:
            return profile.with_changes(url=self._simulator_url)
        return profile

    def connect_url_masked(self) -> str:
        """The URL that connect opens, license masked."""
        return self.effective_profile().masked_url()

    # ------------------------------------------------------------------ configuration
    def set_profile(self, profile: ConnectionProfile) -> None:
        """Use ``profile``; an idle session is replaced at once, a live one on next connect."""
        if profile == self._profile:
            return
        self._profile = profile
        self._send(cmd.SetProfile(profile))

    def set_simulator_url(self, url: str | None) -> None:
        """Tell the engine where the in-process simulator listens."""
        self._simulator_url = url
        self._send(cmd.SetSimulatorUrl(url))

    def expect_simulator(self, ready: asyncio.Future[str | None]) -> None:
        """The in-process simulator is still starting; ``ready`` gives its URL.

        Its URL is used as soon as ``ready`` resolves (None, an error or cancellation:
        there is no simulator), and connecting a local-simulator profile before then
        waits for it instead of opening the profile's placeholder URL.
        """
        self._simulator_ready = ready
        ready.add_done_callback(self._take_simulator_url)

    def _take_simulator_url(self, ready: asyncio.Future[str | None]) -> None:
        if ready is not self._simulator_ready:
            return  # already taken, or replaced by a later expect_simulator
        self._simulator_ready = None
        if ready.cancelled() or ready.exception() is not None:
            return  # the app reports why the simulator is missing
        url = ready.result()
        if url:
            self.set_simulator_url(url)

    async def _connect_when_simulator_ready(self, ready: asyncio.Future[str | None]) -> None:
        try:
            # wait() neither raises the simulator's error nor cancels its start when this
            # connect is cancelled.
            await asyncio.wait([ready])
        finally:
            self._connect_deferred = False
        self._take_simulator_url(ready)  # no-op when the done callback already ran
        self.connect_session()

    def set_tools(self, tools: list[ToolDefinition]) -> None:
        """Replace the tools sent at registration (takes effect on the next registration)."""
        self._tools = list(tools)
        self._send(cmd.SetTools(tuple(tools)))

    def set_toolset(self, toolset: ToolSet) -> None:
        """Use ``toolset``: its enabled tools are registered, its chains answer new calls."""
        self._toolset = toolset
        self._tools = toolset.definitions()
        self._send(cmd.SetToolSet(toolset))

    def set_answer_mode(self, mode: DispatchMode | str) -> None:
        """Switch between manual answering, automatic answering and approve-drafts."""
        if mode not in ANSWER_MODES:
            modes = tuple(m.value for m in ANSWER_MODES)
            raise ValueError(f"unknown answer mode {mode!r}; expected one of {modes}")
        mode = DispatchMode(mode)
        if mode is self._answer_mode:
            return
        # Shown at once; the engine's AnswerModeChanged confirms it.
        self._answer_mode = mode
        self._send(cmd.SetAnswerMode(mode))
        self.answer_mode_changed.emit(mode)

    def set_session_license(self, profile_name: str, value: str | None) -> None:
        """Use ``value`` as ``profile_name``'s license for this run only (None forgets it)."""
        self._secrets.remember(profile_name, value)
        self._send(cmd.SetSessionLicense(profile_name, value))

    def has_session_license(self, profile_name: str) -> bool:
        """Whether ``profile_name`` uses a memory-only license."""
        return self._secrets.in_memory(profile_name)

    def secrets_in_use(self) -> list[str]:
        """Licenses this run may have used (memory-only ones, the simulator's)."""
        found = self._secrets.memory_values()
        if self.effective_profile().local_simulator:
            found.append(SIMULATOR_LICENSE)
        return found

    async def known_secrets(self) -> list[str]:
        """Licenses to redact from exports: in use, memory-only, and the profile's stored one."""
        found = set(self.secrets_in_use())
        if not self._profile.local_simulator:
            try:
                stored = await self._secrets.get(self._profile.name)
            except SecretStoreUnavailable:
                stored = None
            if stored:
                found.add(stored)
        return sorted(found)

    def replace_timeline(self, timeline: Timeline, source: str = "") -> None:
        """Show ``timeline`` (an opened session file) instead of the current frames.

        The recording is for review only: connecting later starts a new, empty timeline
        instead of appending live frames to it.

        Raises:
            RuntimeError: while connected (the live session writes into its timeline).
        """
        if self.is_active:
            raise RuntimeError("disconnect before opening a saved session")
        self._reviewing = True
        self._show_timeline(timeline)
        self._send(cmd.ReplaceTimeline(timeline, source))

    def clear_timeline(self) -> None:
        """Empty the timeline (the engine does it; views follow its ``TimelineReset``)."""
        self._send(cmd.ClearTimeline())

    # ------------------------------------------------------------------ actions
    def connect_session(self) -> None:
        """Connect (in the background); progress arrives through ``state_changed``."""
        if self.is_active:
            return
        ready = self._simulator_ready
        if ready is not None and self._profile.local_simulator:
            if not self._connect_deferred:
                self._connect_deferred = True
                # Waits on the GUI loop (the simulator's future lives there).
                self._tasks.start(self._connect_when_simulator_ready(ready), name="session-connect")
            return
        restart = getattr(self._host, "restart", None)
        if not self._host.alive and restart is not None:
            restart()  # the engine process ended: Connect starts a new one
        command = cmd.Connect()
        # Until the engine reports a state, the GUI still counts the session as active
        # (a second click disconnects instead of connecting twice).
        self._connects_pending.add(command.command_id)
        self._send(command)

    def disconnect_session(self) -> None:
        """Disconnect (in the background); open calls become abandoned."""
        self._send(cmd.Disconnect())

    def send_text(self, text: str) -> None:
        """Send a typed user turn."""
        text = text.strip()
        if text:
            self._send(cmd.SendText(text))

    def send_frame(self, text: str) -> None:
        """Send one raw frame as it is (the Frame Composer checked it first)."""
        self._send(cmd.SendFrame(text))

    def answer_call(
        self, call_id: str, output: str | dict[str, Any] | list[Any], is_error: bool = False
    ) -> None:
        """Answer a call by hand with the profile's result style (``call_id``: key or call id).

        With a dispatcher, a chain's waiting manual step receives the answer (so the chain
        records it); otherwise it is sent directly.
        """
        self._send(cmd.AnswerCall(call_id, output, is_error))

    def approve_draft(self, key: str, output: str | dict[str, Any] | None = None) -> None:
        """Send a call's drafted answer, optionally edited (approve mode)."""
        self._send(cmd.ApproveDraft(key, output))

    def reject_draft(self, key: str) -> None:
        """Discard a call's draft; the call waits for a manual answer."""
        self._send(cmd.RejectDraft(key))

    def request_media_stats(self) -> None:
        """Measure the avatar's media connection (``media`` gets the stats or an error)."""
        self._send(cmd.RequestMediaStats())

    def run_responders(self, key: str) -> None:
        """Run the call's responder chain now (e.g. for a call waiting in manual mode)."""
        self._send(cmd.RunResponders(key))

    async def close(self) -> None:
        """Stop the dispatcher and disconnect (app shutdown), on the engine.

        State changes of the disconnect are delivered as usual. An engine thread passed in
        keeps running: whoever passed it in stops it afterwards.
        """
        try:
            await self._host.stop()
        finally:
            if self._collector is not None:
                self._collector.stop()

    # ------------------------------------------------------------------ internals
    def _current_timeline(self) -> Timeline:
        if isinstance(self._host, ThreadHost):
            return self._host.engine.timeline
        return Timeline()  # the GUI's copy starts again as a new store; rows follow

    def _frames_arrived(self, event: FramesAppended) -> None:
        if not self._replica:
            return
        # The GUI's copy of the timeline gains the rows (the engine is elsewhere).
        timeline = self._timeline
        if len(timeline) != event.first_row:
            log.error(
                "timeline copy out of step: %d rows, %d arrived", len(timeline), event.first_row
            )
        for entry, fold_key in zip(event.rows, event.fold_keys, strict=True):
            timeline.append(
                entry.direction,
                entry.type,
                entry.raw,
                summary=entry.summary,
                call_id=entry.call_id,
                error=entry.error,
                fold_key=fold_key,
                size=entry.size,
                wall_time=entry.wall_time,
                mono_time=entry.mono_time,
            )

    def _send(self, command: cmd.EngineCommand) -> None:
        self._remember_gui_loop()
        self._host.send(command)

    def _remember_gui_loop(self) -> None:
        # The adapter is built and used on the GUI thread: the loop running here is where
        # the engine's batches are delivered.
        with contextlib.suppress(RuntimeError):  # no loop yet: the first action finds it
            self._gui_loop = weakref.ref(asyncio.get_running_loop())

    def _post(self, deliver: Callable[[], None]) -> None:
        """The host's ``post``: run ``deliver`` on the GUI thread (any thread may call)."""
        loop = self._gui_loop() if self._gui_loop is not None else None
        if loop is None and threading.current_thread() is self._gui_thread:
            self._remember_gui_loop()
            loop = self._gui_loop() if self._gui_loop is not None else None
            if loop is None:
                deliver()  # no loop at all (set-up): nothing runs elsewhere either
                return
        if loop is None:
            raise RuntimeError("no GUI loop known yet")  # the host retries with the next event
        if threading.current_thread() is self._gui_thread and loop.is_running():
            loop.call_soon(deliver)
        else:
            loop.call_soon_threadsafe(deliver)


def _receiver(adapter: weakref.ref[EngineAdapter]) -> Callable[[Sequence[EngineEvent]], None]:
    def receive(batch: Sequence[EngineEvent]) -> None:
        target = adapter()
        if target is not None:
            target.apply(batch)

    return receive
