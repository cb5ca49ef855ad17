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

from PySide6.QtCore import QObject, QTimer, Signal

from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.engine import DispatcherFactory, Engine
from navtalk_desktop.core.engine.engine_thread import EngineRunner, InlineEngine
from navtalk_desktop.core.engine.events import (
    AnswerModeChanged,
    CallOverdue,
    CallReceived,
    CallSnapshot,
    CallUpdated,
    CommandFailed,
    DispatchChanged,
    DispatchSnapshot,
    EngineEvent,
    FramesAppended,
    HostDied,
    Notice,
    NoticeLevel,
    SessionReplaced,
    StateChanged,
    TimelineReset,
    ToolsChanged,
    TranscriptDelta,
)
from navtalk_desktop.core.engine.replica import CallReplica
from navtalk_desktop.core.engine.thread_host import ThreadHost
from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.secrets import SIMULATOR_LICENSE, SessionSecrets
from navtalk_desktop.core.session.session import SessionState, StateChange
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.tasks import TaskRunner

log = logging.getLogger(__name__)

ANSWER_MODES = tuple(DispatchMode)
UI_TICK_MS = 50
"""Streaming views apply their queued changes at most this often (see ``ui_tick``)."""

__all__ = [
    "ANSWER_MODES",
    "SIMULATOR_LICENSE",
    "UI_TICK_MS",
    "DispatcherFactory",
    "EngineAdapter",
    "SessionSecrets",
]


class EngineAdapter(QObject):
    """The Qt face of one engine (its session is re-created when the profile changes).

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

    Signals:
        state_changed(str, str): the connection state's name (``SessionState`` value)
            and a readable message (the server's own words when it sent any; masked).
        call_received(object): a function call arrived (a :class:`CallSnapshot`).
        call_updated(object): a call changed state (answering, answered, expired…).
        call_overdue(object): a call passed its answer deadline unanswered.
        dispatch_changed(object): the dispatcher's record of a call changed (the call's
            snapshot, with ``dispatch``).
        transcripts(object): a list of :class:`TranscriptDelta` of one batch (shared by
            every slot: read it, do not change it), emitted before any later signal.
        frames_appended(object): a :class:`FramesAppended` (rows the timeline gained).
        timeline_cleared(): the timeline was emptied (same store).
        error_reported(str): something failed that the user should read.
        warning_reported(str): something the user should know (the session goes on).
        answer_mode_changed(object): the :class:`DispatchMode` now in use.
        profile_changed(): the session was replaced (new profile or opened file): calls,
            state and responses start fresh.
        timeline_replaced(object): another timeline store is shown (opened recording, or
            a fresh one on connecting after a review).
        ui_tick(): the shared ~50 ms tick for coalesced view updates; runs only after
            :meth:`request_ui_tick` (once per request burst), so an idle app has no timer.
    """

    state_changed = Signal(str, str)
    call_received = Signal(object)
    call_updated = Signal(object)
    call_overdue = Signal(object)
    dispatch_changed = Signal(object)
    # object, not list: PySide converts (copies) a list argument on every emit.
    transcripts = Signal(object)
    frames_appended = Signal(object)
    timeline_cleared = Signal()
    error_reported = Signal(str)
    warning_reported = Signal(str)
    answer_mode_changed = Signal(object)
    profile_changed = Signal()
    timeline_replaced = Signal(object)
    ui_tick = Signal()

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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        runner: EngineRunner = engine if engine is not None else InlineEngine()
        # A session on another Python thread: garbage cycles that hold Qt objects must
        # still be destroyed on this thread (see GuiThreadCollector).
        self._collector: GuiThreadCollector | None = None
        if not isinstance(runner, InlineEngine):
            self._collector = GuiThreadCollector(parent=self)
            self._collector.start()
        if tools is None and toolset is not None:
            tools = toolset.definitions()
        self._tasks = tasks
        # The GUI's copy of the keychain port plus the licenses it handed to the engine
        # for this run (the connection panel reads and edits the keychain here).
        self._secrets = SessionSecrets(secrets)
        self._toolset = toolset
        self._has_dispatcher = dispatcher_factory is not None
        # What the GUI shows: the engine's facts as of the last event (or as last asked for).
        self._tools: list[ToolDefinition] = list(tools or [])
        self._answer_mode = DispatchMode.MANUAL
        self._profile = profile
        self._simulator_url = simulator_url
        self._state = SessionState.IDLE
        self._last_change = StateChange(SessionState.IDLE)
        self._connection = 0
        self._session_id: str | None = None
        self._reviewing = False
        self._connects_pending: set[int] = set()
        self._calls = CallReplica()
        self._transcript_batch: list[TranscriptDelta] = []
        # Set while the in-process simulator starts (see expect_simulator); a connect
        # requested meanwhile is deferred once (_connect_deferred).
        self._simulator_ready: asyncio.Future[str | None] | None = None
        self._connect_deferred = False
        self._gui_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._gui_thread = threading.current_thread()
        # One timer for every view that streams: under load frames arrive thousands of
        # times a second, and each view repainting per frame is what starves the loop.
        self._ui_timer = QTimer(self)
        self._ui_timer.setSingleShot(True)
        self._ui_timer.setInterval(UI_TICK_MS)
        self._ui_timer.timeout.connect(self.ui_tick)
        built = Engine(
            profile=profile,
            transport_factory=transport_factory,
            secrets=secrets,
            dispatcher_factory=dispatcher_factory,
            tools=list(self._tools),
            toolset=toolset,
            simulator_url=simulator_url,
            timeline=timeline,
        )
        self._timeline = built.timeline
        self._host = ThreadHost(built, runner)
        self._remember_gui_loop()
        # The receiver reaches the adapter weakly: the engine thread must never hold the
        # last reference to a Qt object (it would be destroyed on the wrong thread).
        self._host.start(_receiver(weakref.ref(self)), self._post)

    # ------------------------------------------------------------------ properties
    @property
    def host(self) -> ThreadHost:
        """The host running the engine."""
        return self._host

    @property
    def engine(self) -> EngineRunner:
        """Where the engine runs (its thread, or inline)."""
        return self._host.runner

    @property
    def calls(self) -> CallReplica:
        """Every function call of the current session, as its latest snapshot."""
        return self._calls

    @property
    def timeline(self) -> Timeline:
        """The frame store shown (read-only here: its reader methods are thread-safe)."""
        return self._timeline

    @property
    def profile(self) -> ConnectionProfile:
        """The connection profile in use (as the user edits it; see :meth:`effective_profile`)."""
        return self._profile

    @property
    def tools(self) -> list[ToolDefinition]:
        """The tools registered on connect (a copy)."""
        return list(self._tools)

    @property
    def tasks(self) -> TaskRunner:
        """The runner that owns the adapter's coroutines (panels use it too)."""
        return self._tasks

    @property
    def secrets(self) -> SessionSecrets:
        """The keychain, plus memory-only licenses."""
        return self._secrets

    @property
    def answer_mode(self) -> DispatchMode:
        """The answer mode in use."""
        return self._answer_mode

    @property
    def has_dispatcher(self) -> bool:
        """Whether calls can be answered automatically (the app provided responders)."""
        return self._has_dispatcher

    @property
    def toolset(self) -> ToolSet | None:
        """The tool set whose chains answer calls (None: tools only, no responders)."""
        return self._toolset

    @property
    def session_id(self) -> str | None:
        """The server's session id of the current connection, once known."""
        return self._session_id

    @property
    def connection_count(self) -> int:
        """How many connections the session opened so far (as of the last state change)."""
        return self._connection

    def dispatch_record(self, key: str) -> DispatchSnapshot | None:
        """What the dispatcher did with a call, as of the last event about it."""
        call = self._calls.get(key)
        return call.dispatch if call is not None else None

    @property
    def state(self) -> str:
        """Name of the connection state as of the last ``state_changed``."""
        return self._state.value

    @property
    def is_active(self) -> bool:
        """Whether the session is connecting, connected or reconnecting (or a connect is on
        its way to the engine)."""
        return self._state.is_active or bool(self._connects_pending)

    @property
    def is_live(self) -> bool:
        """Whether frames can be sent now (as of the last ``state_changed``)."""
        return self._state.is_live

    @property
    def simulator_url(self) -> str | None:
        """URL of the in-process simulator, if the app started one."""
        return self._simulator_url

    @property
    def reviewing(self) -> bool:
        """Whether the timeline holds an opened recording (replaced on the next connect)."""
        return self._reviewing

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

    def request_ui_tick(self) -> None:
        """Ask for one ``ui_tick`` within ``UI_TICK_MS`` (requests meanwhile share it)."""
        if not self._ui_timer.isActive():
            self._ui_timer.start()

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

    def _show_timeline(self, timeline: Timeline) -> None:
        if timeline is self._timeline:
            return
        self._timeline = timeline
        self.timeline_replaced.emit(timeline)

    def _flush_transcripts(self) -> None:
        if self._transcript_batch:
            batch, self._transcript_batch = self._transcript_batch, []
            self.transcripts.emit(batch)

    def apply(self, batch: Sequence[EngineEvent]) -> None:
        """GUI thread: apply one batch of events, in order, and emit what changed."""
        transcripts = self._transcript_batch
        frames: FramesAppended | None = None
        for event in batch:
            if isinstance(event, TranscriptDelta):
                # Collected, not emitted: one emit per batch instead of one per delta.
                # Under load an emit costs the GUI thread ~13 µs (PySide hands the GIL
                # over while the engine thread wants it), and there are thousands a second.
                transcripts.append(event)
                continue
            if isinstance(event, FramesAppended):
                # Merged into one emit per batch, for the same reason; views of the frames
                # do not depend on their order with the other signals.
                frames = event if frames is None else _merge(frames, event)
                continue
            self._flush_transcripts()
            try:
                self._apply(event)
            except Exception:  # a slot's bug must not stop the rest of the batch
                log.exception("applying %s failed", type(event).__name__)
        self._flush_transcripts()
        if frames is not None:
            self.frames_appended.emit(frames)

    def _apply(self, event: EngineEvent) -> None:
        if isinstance(event, StateChanged):
            if event.change == self._last_change:
                return  # what the GUI already shows (the first batch, a new session)
            self._last_change = event.change
            self._state = event.state
            self._connection = event.change.connection
            self._session_id = event.session_id
            # The engine has reported on the connect: from here the state alone says
            # whether the session is active (a failed connect must read "Connect").
            self._connects_pending.clear()
            self.state_changed.emit(event.state.value, event.message)
        elif isinstance(event, CallReceived):
            self._calls.put(event.call)
            self.call_received.emit(event.call)
        elif isinstance(event, CallOverdue):
            self._calls.put(event.call)
            self.call_overdue.emit(event.call)
        elif isinstance(event, CallUpdated):
            self._calls.put(event.call)
            self.call_updated.emit(event.call)
        elif isinstance(event, DispatchChanged):
            self._calls.put(event.call)
            self.dispatch_changed.emit(event.call)
        elif isinstance(event, Notice):
            if event.level is NoticeLevel.ERROR:
                self.error_reported.emit(event.text)
            else:
                self.warning_reported.emit(event.text)
        elif isinstance(event, CommandFailed):
            self._connects_pending.discard(event.command_id)
            self.error_reported.emit(event.text)
        elif isinstance(event, AnswerModeChanged):
            if event.mode is not self._answer_mode:
                self._answer_mode = event.mode
                self.answer_mode_changed.emit(event.mode)
        elif isinstance(event, ToolsChanged):
            self._tools = list(event.tools)
        elif isinstance(event, SessionReplaced):
            self._calls.clear()
            self._state = SessionState.IDLE
            self._last_change = StateChange(SessionState.IDLE)
            self._session_id = None
            self.profile_changed.emit()
        elif isinstance(event, TimelineReset):
            self._reviewing = event.reviewing
            current = self._host.engine.timeline
            if current is self._timeline:
                self.timeline_cleared.emit()
            else:
                self._show_timeline(current)
        elif isinstance(event, HostDied):
            self.error_reported.emit(f"The session engine stopped: {event.reason}")


def _merge(first: FramesAppended, then: FramesAppended) -> FramesAppended:
    """One event for two consecutive appends (a reset in between restarts at row 0)."""
    if then.first_row != first.first_row + len(first.rows):
        return then
    return FramesAppended(first.first_row, first.rows + then.rows, first.fold_keys + then.fold_keys)


def _receiver(adapter: weakref.ref[EngineAdapter]) -> Callable[[Sequence[EngineEvent]], None]:
    def receive(batch: Sequence[EngineEvent]) -> None:
        target = adapter()
        if target is not None:
            target.apply(batch)

    return receive


def snapshot_of(adapter: EngineAdapter, key: str) -> CallSnapshot | None:
    """The latest snapshot of call ``key`` (None when unknown)."""
    return adapter.calls.get(key)
