"""SessionBridge: the Qt face of the core Session and its automatic-answer dispatcher.

Core objects know nothing about Qt. In the app the session, its transport and the
dispatcher live on an engine thread (:class:`~navtalk_desktop.core.engine.engine_thread.EngineThread`)
so that painting and model updates on the GUI thread never delay an answer. The bridge is
the only way between the two threads:

* GUI → engine: every coroutine runs on the engine loop and is awaited on the GUI loop by a
  task of the app's :class:`TaskRunner` (which owns and reports it); setters are handed
  over with ``call_soon``, in order.
* engine → GUI: session and dispatcher callbacks (and the timeline's change
  notifications) are queued on the engine thread and delivered on the GUI thread in
  order, one wake-up per batch; only there are the bridge's Qt signals emitted. PySide6
  would call Python slots directly in the emitting thread, so no signal is ever emitted on
  the engine thread. Transcript events of one batch become one ``transcripts`` signal.

Objects the GUI reads directly (the call book, calls, dispatch records) may be a little
ahead of the signals already delivered; :attr:`SessionBridge.state` is not: it is the
state as of the last ``state_changed``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final, NamedTuple

from PySide6.QtCore import QObject, QTimer, Signal

from navtalk_desktop.core.calls.book import CallBook, CallState, FunctionCall
from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchMode, DispatchRecord
from navtalk_desktop.core.engine.engine_thread import Engine, EngineStoppedError, InlineEngine
from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.session import Session, SessionState, StateChange, Transcript
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.tasks import TaskRunner

log = logging.getLogger(__name__)

ANSWER_MODES = ("manual", "auto", "approve")
# The built-in simulator accepts any non-empty license; this one never leaves the process.
SIMULATOR_LICENSE = "sk_navtalk_local_simulator"
UI_TICK_MS = 50
"""Streaming views apply their queued changes at most this often (see ``ui_tick``)."""

# Built by app.py: given the bridge's session, an object that answers its calls
# through responder chains (core.dispatcher). Injected: its responders need infra ports.
# It is called on the GUI thread; the dispatcher then runs on the bridge's engine.
DispatcherFactory = Callable[[Session], Dispatcher]

RESPONSE_STARTED: Final = "started"
TRANSCRIPT_DELTA: Final = "delta"
TRANSCRIPT_DONE: Final = "done"
RESPONSE_FINISHED: Final = "finished"


class TranscriptEvent(NamedTuple):
    """One item of the ``transcripts`` signal.

    Attributes:
        kind: :data:`RESPONSE_STARTED` (the avatar began a response; text empty),
            :data:`TRANSCRIPT_DELTA` (a fragment of the avatar's speech),
            :data:`TRANSCRIPT_DONE` (the full text of a user or avatar turn; typed turns
            are not echoed: the conversation panel shows them when sent) or
            :data:`RESPONSE_FINISHED` (the response ended; text empty).
        role: "avatar" or "user" (only ``done`` events come from the user).
        response_id: the response (or item) the text belongs to; may be empty.
        text: the fragment or the full text.
    """

    kind: str
    role: str
    response_id: str
    text: str


class _Source:
    """Where queued callbacks come from; the GUI drops them once the source is retired.

    A replaced session (or a stopped dispatcher) may still report something on the engine
    thread before it hears that nobody listens any more: such callbacks must not reach
    the panels, which already show the new session.
    """

    __slots__ = ("active",)

    def __init__(self) -> None:
        self.active = True


_ALWAYS = _Source()  # the timeline's notifications: it outlives sessions


class _GuiQueue:
    """Callbacks from the engine thread, delivered on the GUI thread in order and in batches.

    ``post`` may be called on any thread. The first post after a delivery wakes the GUI
    loop once, and that delivery runs everything queued until then: under load (thousands
    of frames a second) one wake-up per batch instead of one per event.

    On the engine thread the wake-up is deferred by ``WAKE_DELAY_S`` on the engine's own
    loop rather than done inside ``post``: waking the GUI loop (qasync emits a Qt signal
    across threads) costs ~20 µs, and up to the interpreter's switch interval when the GUI
    thread grabs the GIL meanwhile. Done inside ``post`` it would sit between a function
    call frame and its automatic answer; deferred, the answer is on the wire first.
    """

    WAKE_DELAY_S = 0.001

    def __init__(self, drained: Callable[[], None] | None = None) -> None:
        self._items: deque[tuple[_Source, Callable[..., None], tuple[Any, ...]]] = deque()
        # Runs after each delivery (the bridge emits what it collected during the batch).
        self._drained = drained
        self._wake_pending = False  # a wake-up from another thread is on its way
        self._gui_pending = False  # a delivery was scheduled on the GUI thread itself
        # Weak: the engine keeps this queue alive (through the session's listener and the
        # timeline), and the last reference to a qasync loop must not go away on the
        # engine thread, which would destroy its Qt timers on the wrong thread.
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The GUI thread's loop (None until known, or once it is gone)."""
        return self._loop() if self._loop is not None else None

    @loop.setter
    def loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)

    def post(self, source: _Source, handler: Callable[..., None], *args: Any) -> None:
        """Queue ``handler(*args)`` for the GUI thread (dropped if ``source`` retires first)."""
        # No lock: deque.append/popleft are atomic, and deliver() clears the flags *before*
        # draining, so an item appended while a flag still reads True is drained by the
        # delivery that is about to run, and one appended after it was cleared wakes anew.
        self._items.append((source, handler, args))
        gui = self.loop
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if gui is None or here is gui:
            # The GUI thread itself (an inline engine; the timeline appended to by the
            # GUI), or no loop known yet, so nothing runs elsewhere either.
            if not self._gui_pending:
                self._gui_pending = True
                if here is None:
                    self.deliver()
                else:
                    here.call_soon(self.deliver)
            return
        if not self._wake_pending:
            self._wake_pending = True
            if here is None:
                self._wake()
            else:
                here.call_later(self.WAKE_DELAY_S, self._wake)

    def schedule(self, callback: Callable[[], None]) -> None:
        """The timeline's ``schedule``: its flushes join the batch, in order with events."""
        self.post(_ALWAYS, callback)

    def _wake(self) -> None:
        loop = self.loop
        try:
            if loop is None:
                raise RuntimeError("the GUI loop is gone")
            loop.call_soon_threadsafe(self.deliver)
        except RuntimeError:  # the GUI loop is closed: the app is gone
            log.debug("GUI loop closed; %d queued callbacks dropped", len(self._items))

    def deliver(self) -> None:
        """Run every queued callback (GUI thread)."""
        self._wake_pending = False
        self._gui_pending = False
        items = self._items
        while items:
            source, handler, args = items.popleft()
            if not source.active:
                continue
            try:
                handler(*args)
            except Exception:  # a slot's bug must not stop the rest (as Session._emit)
                log.exception("session bridge callback %r failed", handler)
        if self._drained is not None:
            try:
                self._drained()
            except Exception:
                log.exception("session bridge batch end %r failed", self._drained)


class SessionSecrets:
    """The app's secret store plus licenses kept in memory for this run only.

    Used when there is no keychain and the user chose "use for this session only": the
    license then lives in this object and nowhere else (never a file).
    """

    def __init__(self, store: SecretStore | None) -> None:
        self._store = store
        self._memory: dict[str, str] = {}

    def remember(self, key: str, value: str | None) -> None:
        """Keep ``value`` for ``key`` in memory (None forgets it)."""
        if value:
            self._memory[key] = value
        else:
            self._memory.pop(key, None)

    def in_memory(self, key: str) -> bool:
        """Whether ``key`` has a memory-only license."""
        return key in self._memory

    def memory_values(self) -> list[str]:
        """Every memory-only license (for redaction)."""
        return list(self._memory.values())

    async def get(self, key: str) -> str | None:
        """The memory-only license, else the keychain's (may raise SecretStoreUnavailable)."""
        if key in self._memory:
            return self._memory[key]
        if self._store is None:
            raise SecretStoreUnavailable("no keychain is configured")
        return await self._store.get(key)

    async def set(self, key: str, value: str) -> None:
        """Store in the keychain (raises SecretStoreUnavailable when there is none)."""
        if self._store is None:
            raise SecretStoreUnavailable("no keychain is configured")
        await self._store.set(key, value)
        self._memory.pop(key, None)

    async def delete(self, key: str) -> None:
        """Forget ``key`` in memory and in the keychain."""
        self._memory.pop(key, None)
        if self._store is None:
            return
        await self._store.delete(key)


class SessionBridge(QObject):
    """Adapts one core :class:`Session` (re-created when the profile changes) to Qt signals.

    Args:
        profile: the connection profile to start with.
        transport_factory: new transport per connection (infra, injected by app.py).
        secrets: the keychain port (infra, injected by app.py); None: no keychain at all.
        tasks: runs every coroutine the bridge starts.
        timeline: the frame store (a new one by default, whose change notifications
            reach its listeners on the GUI thread; one passed in must do the same when
            ``engine`` is a thread).
        tools: tools to register.
        toolset: tools with their responder chains (its enabled tools are registered).
        dispatcher_factory: builds the automatic-answer dispatcher for a session.
        simulator_url: WebSocket URL of the in-process simulator, used by profiles with
            ``local_simulator`` set (see also :meth:`expect_simulator`).
        engine: where the session, its transport and the dispatcher run. The app passes
            an :class:`~navtalk_desktop.core.engine.engine_thread.EngineThread` (and stops it
            after :meth:`close`); by default they run inline on the GUI loop.

    Signals:
        state_changed(str, str): the connection state's name (``SessionState`` value:
            idle, connecting, open, connected, ready, reconnecting, closed, failed) and a
            readable message (the server's own words when it sent any; license masked).
        call_received(str): a function call arrived; argument is its key in ``calls``.
        call_updated(str): a call changed state (answering, answered, expired…).
        call_overdue(str): a call passed its answer deadline unanswered.
        transcripts(object): a list of :class:`TranscriptEvent` (shared by every slot:
            read it, do not change it), in order: responses starting, speech fragments,
            finished turns, responses ending. Under load the session reports thousands
            of them a second: they come in batches (one emit per delivery from the
            engine), each emitted before any other signal that followed it, so ordering
            across signals holds (a response that a dropped connection ends is
            ``finished`` before that ``state_changed``).
        error_reported(str): something failed that the user should read.
        warning_reported(str): something the user should know (the session goes on).
        answer_mode_changed(str): "manual", "auto" or "approve".
        dispatch_changed(str): the dispatcher's record of a call changed (draft ready,
            waiting for a person, answered…); argument is the call key.
        profile_changed(): the session was replaced (new profile or opened file): calls,
            state and responses start fresh.
        timeline_replaced(object): an opened session file replaced the timeline.
        ui_tick(): the shared ~50 ms tick for coalesced view updates; runs only after
            :meth:`request_ui_tick` (once per request burst), so an idle app has no timer.
    """

    state_changed = Signal(str, str)
    call_received = Signal(str)
    call_updated = Signal(str)
    call_overdue = Signal(str)
    # object, not list: PySide converts (copies) a list argument on every emit.
    transcripts = Signal(object)
    error_reported = Signal(str)
    warning_reported = Signal(str)
    answer_mode_changed = Signal(str)
    dispatch_changed = Signal(str)
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
        engine: Engine | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine: Engine = engine if engine is not None else InlineEngine()
        # A session on another Python thread: garbage cycles that hold Qt objects must
        # still be destroyed on this thread (see GuiThreadCollector).
        self._collector: GuiThreadCollector | None = None
        if not isinstance(self._engine, InlineEngine):
            self._collector = GuiThreadCollector(parent=self)
            self._collector.start()
        # Transcript events of the delivery under way (see _flush_transcripts). The queue
        # reaches the bridge weakly: the engine holds the queue.
        self._transcript_batch: list[TranscriptEvent] = []
        self._queue = _GuiQueue(
            drained=functools.partial(_to_bridge, weakref.ref(self), "_flush_transcripts")
        )
        self._remember_gui_loop()
        self._transport_factory = transport_factory
        self._secrets = SessionSecrets(secrets)
        self._tasks = tasks
        self._timeline = timeline if timeline is not None else self._new_timeline()
        self._toolset = toolset
        if tools is None and toolset is not None:
            tools = toolset.definitions()
        self._tools: list[ToolDefinition] = list(tools or [])
        self._dispatcher_factory = dispatcher_factory
        self._dispatcher: Dispatcher | None = None
        self._answer_mode = "manual"
        self._profile = profile
        self._simulator_url = simulator_url
        # Set while the in-process simulator starts (see expect_simulator); a connect
        # requested meanwhile is deferred once (_connect_deferred).
        self._simulator_ready: asyncio.Future[str | None] | None = None
        self._connect_deferred = False
        self._active_responses: set[str] = set()
        self._reviewing = False
        # The GUI's view of the connection: the state of the last state_changed delivered
        # (the session itself, on the engine thread, may already be further).
        self._state = SessionState.IDLE
        self._connects_pending = 0
        self._listener: _SessionListener | None = None
        self._dispatch_listener: _DispatchListener | None = None
        # One timer for every view that streams: under load frames arrive thousands of
        # times a second, and each view repainting per frame is what starves the loop.
        self._ui_timer = QTimer(self)
        self._ui_timer.setSingleShot(True)
        self._ui_timer.setInterval(UI_TICK_MS)
        self._ui_timer.timeout.connect(self.ui_tick)
        self._session = self._build_session()

    # ------------------------------------------------------------------ properties
    @property
    def session(self) -> Session:
        """The current core session (replaced when the profile changes)."""
        return self._session

    @property
    def calls(self) -> CallBook:
        """Every function call of the current session, by key (and call id)."""
        return self._session.calls

    @property
    def timeline(self) -> Timeline:
        """The frame store."""
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
        """The runner that owns the bridge's coroutines (panels use it too)."""
        return self._tasks

    @property
    def secrets(self) -> SessionSecrets:
        """The keychain, plus memory-only licenses."""
        return self._secrets

    @property
    def answer_mode(self) -> str:
        """ "manual", "auto" or "approve"."""
        return self._answer_mode

    @property
    def dispatcher(self) -> Dispatcher | None:
        """The automatic-answer dispatcher of the current session, if app.py provided one.

        It runs on :attr:`engine`: read it, but hand calls into it to the engine.
        """
        return self._dispatcher

    @property
    def engine(self) -> Engine:
        """Where the session and the dispatcher run."""
        return self._engine

    @property
    def toolset(self) -> ToolSet | None:
        """The tool set whose chains answer calls (None: tools only, no responders)."""
        return self._toolset

    def dispatch_record(self, key: str) -> DispatchRecord | None:
        """What the dispatcher did with a call (None without a dispatcher or record)."""
        return self._dispatcher.record(key) if self._dispatcher is not None else None

    @property
    def state(self) -> str:
        """Name of the connection state as of the last ``state_changed`` (``SessionState`` value)."""
        return self._state.value

    @property
    def is_active(self) -> bool:
        """Whether the session is connecting, connected or reconnecting (or a connect is on
        its way to the engine)."""
        return self._state.is_active or self._connects_pending > 0

    @property
    def is_live(self) -> bool:
        """Whether frames can be sent now (as of the last ``state_changed``)."""
        return self._state.is_live

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
        if not self.is_active:
            self._replace_session()

    def set_simulator_url(self, url: str | None) -> None:
        """Tell the bridge where the in-process simulator listens."""
        self._simulator_url = url
        if self._profile.local_simulator and not self.is_active:
            self._replace_session()

    def request_ui_tick(self) -> None:
        """Ask for one ``ui_tick`` within ``UI_TICK_MS`` (requests meanwhile share it)."""
        if not self._ui_timer.isActive():
            self._ui_timer.start()

    def expect_simulator(self, ready: asyncio.Future[str | None]) -> None:
        """The in-process simulator is still starting; ``ready`` gives its URL.

        The app starts the simulator after its window is shown. Its URL is used as soon
        as ``ready`` resolves (None, an error or cancellation: there is no simulator),
        and connecting a local-simulator profile before then waits for it instead of
        opening the profile's placeholder URL.
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
        self._on_engine(self._session.set_tools, list(tools))

    def set_toolset(self, toolset: ToolSet) -> None:
        """Use ``toolset``: its enabled tools are registered, its chains answer new calls."""
        self._toolset = toolset
        if self._dispatcher is not None:
            self._on_engine(self._dispatcher.set_toolset, toolset)
        self.set_tools(toolset.definitions())

    def set_answer_mode(self, mode: str) -> None:
        """Switch between manual answering, automatic answering and approve-drafts."""
        if mode not in ANSWER_MODES:
            raise ValueError(f"unknown answer mode {mode!r}; expected one of {ANSWER_MODES}")
        if mode == self._answer_mode:
            return
        self._answer_mode = mode
        self._apply_mode()
        self.answer_mode_changed.emit(mode)

    def set_session_license(self, profile_name: str, value: str | None) -> None:
        """Use ``value`` as ``profile_name``'s license for this run only (None forgets it)."""
        self._secrets.remember(profile_name, value)

    def has_session_license(self, profile_name: str) -> bool:
        """Whether ``profile_name`` uses a memory-only license."""
        return self._secrets.in_memory(profile_name)

    async def known_secrets(self) -> list[str]:
        """Licenses to redact from exports: in use, memory-only, and the profile's stored one."""
        found = set(self._session.secrets_in_use()) | set(self._secrets.memory_values())
        if not self._profile.local_simulator:
            try:
                stored = await self._secrets.get(self._profile.name)
            except SecretStoreUnavailable:
                stored = None
            if stored:
                found.add(stored)
        return sorted(found)

    @property
    def reviewing(self) -> bool:
        """Whether the timeline holds an opened recording (replaced on the next connect)."""
        return self._reviewing

    def replace_timeline(self, timeline: Timeline) -> None:
        """Show ``timeline`` (an opened session file) instead of the current frames.

        The recording is for review only: connecting later starts a new, empty timeline
        instead of appending live frames to it.

        Raises:
            RuntimeError: while connected (the live session writes into its timeline).
        """
        if self.is_active:
            raise RuntimeError("disconnect before opening a saved session")
        self._swap_timeline(timeline)
        self._reviewing = True

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
                self._tasks.start(
                    self._guard(self._connect_when_simulator_ready(ready), "Connect"),
                    name="session-connect",
                )
            return
        if self._reviewing:
            self._reviewing = False
            self._swap_timeline(self._new_timeline())
        elif self._session.profile != self.effective_profile():
            self._replace_session()
        task = self._start(self._session.connect(), "Connect", "session-connect")
        if task is not None:
            # Until the engine reports a state, the GUI still counts the session as active
            # (a second click disconnects instead of connecting twice).
            self._connects_pending += 1
            task.add_done_callback(self._connect_finished)

    def _connect_finished(self, task: asyncio.Task[Any]) -> None:
        del task
        self._connects_pending = max(0, self._connects_pending - 1)

    def disconnect_session(self) -> None:
        """Disconnect (in the background); open calls become abandoned."""
        if self._reviewing and not self.is_active:
            return  # nothing to close, and the recording under review must stay as opened
        self._start(self._session.disconnect(), "Disconnect", "session-disconnect")

    def send_text(self, text: str) -> None:
        """Send a typed user turn."""
        text = text.strip()
        if text:
            self._start(self._session.send_text(text), "Sending the message", "send-text")

    def answer_call(
        self, call_id: str, output: str | dict[str, Any] | list[Any], is_error: bool = False
    ) -> None:
        """Answer a call by hand with the profile's result style (``call_id``: key or call id).

        With a dispatcher, a chain's waiting manual step receives the answer (so the chain
        records it); otherwise it is sent directly.
        """
        coro: Coroutine[Any, Any, Any]
        if self._dispatcher is not None:
            coro = self._dispatcher.answer_manually(call_id, output, is_error=is_error)
        else:
            coro = self._session.answer_call(call_id, output, responder="manual", is_error=is_error)
        self._start(coro, "Answering the call", f"answer-{call_id}")

    def approve_draft(self, key: str, output: str | dict[str, Any] | None = None) -> None:
        """Send a call's drafted answer, optionally edited (approve mode)."""
        if self._dispatcher is None:
            self.error_reported.emit("Approving failed: automatic answering is not available")
            return
        self._start(self._dispatcher.approve(key, output), "Approving the answer", f"approve-{key}")

    def reject_draft(self, key: str) -> None:
        """Discard a call's draft; the call waits for a manual answer."""
        if self._dispatcher is not None:
            self._start(_reject(self._dispatcher, key), "Rejecting the draft", f"reject-{key}")

    def run_responders(self, key: str) -> None:
        """Run the call's responder chain now (e.g. for a call waiting in manual mode)."""
        if self._dispatcher is None:
            self.error_reported.emit("Running responders failed: no dispatcher is configured")
            return
        self._start(self._dispatcher.run_now(key), "Running the responders", f"run-{key}")

    async def close(self) -> None:
        """Stop the dispatcher and disconnect (app shutdown), on the engine.

        State changes of the disconnect are delivered as usual. The engine itself keeps
        running: whoever passed it in stops it afterwards.
        """
        dispatcher, self._dispatcher = self._dispatcher, None
        listener, self._dispatch_listener = self._dispatch_listener, None
        if listener is not None:
            listener.source.active = False
        try:
            try:
                work = self._engine.run(
                    _close_on_engine(self._session, dispatcher, listener), name="session-close"
                )
            except EngineStoppedError:
                return  # stopping the engine cancelled everything already
            await asyncio.wrap_future(work)
        finally:
            if self._collector is not None:
                self._collector.stop()

    # ------------------------------------------------------------------ internals
    def _remember_gui_loop(self) -> None:
        # The bridge is built and used on the GUI thread: the loop running here is where
        # the engine's callbacks are delivered.
        with contextlib.suppress(RuntimeError):  # no loop yet: the first action finds it
            self._queue.loop = asyncio.get_running_loop()

    def _new_timeline(self) -> Timeline:
        # The session appends on the engine thread; the timeline's listeners (models)
        # must hear about it on the GUI thread, batched with the session's callbacks.
        return Timeline(schedule=self._queue.schedule)

    def _on_engine(self, callback: Callable[..., object], *args: Any) -> None:
        """Hand a synchronous call into the session or dispatcher to the engine, in order."""
        try:
            self._engine.call_soon(callback, *args)
        except EngineStoppedError:
            log.debug("engine stopped; %r not applied", callback)

    def _start(
        self, coro: Coroutine[Any, Any, Any], what: str, name: str
    ) -> asyncio.Task[Any] | None:
        """Run ``coro`` on the engine; a TaskRunner task on the GUI loop awaits and reports it."""
        self._remember_gui_loop()
        try:
            work = self._engine.run(coro, name=name)
        except EngineStoppedError:
            self.error_reported.emit(f"{what} failed: the session has been shut down")
            return None
        task = self._tasks.start(self._guard(work, what), name=name)
        # Cancelled before it even started (shutdown): the engine's work stops too.
        task.add_done_callback(lambda _task: work.cancel())
        return task

    async def _guard(
        self, work: Coroutine[Any, Any, Any] | concurrent.futures.Future[Any], what: str
    ) -> None:
        # Errors become a notification instead of an unhandled task failure: the user
        # should read "Connect failed: …", not a traceback. Session messages are redacted.
        try:
            if isinstance(work, concurrent.futures.Future):
                await asyncio.wrap_future(work)
            else:
                await work
        except Exception as error:  # noqa: BLE001  (shown to the user, then logged)
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            log.warning("%s failed: %s", what, message)
            self.error_reported.emit(f"{what} failed: {message}")

    def _swap_timeline(self, timeline: Timeline) -> None:
        old = self._timeline
        self._timeline = timeline
        self._replace_session()
        self.timeline_replaced.emit(timeline)
        old.close()

    def _replace_session(self) -> None:
        # Only while inactive: the old session has nothing left to say, and whatever it
        # still queued is dropped (the panels start fresh with profile_changed).
        if self._listener is not None:
            self._listener.source.active = False
            self._on_engine(self._session.remove_listener, self._listener)
        self._session = self._build_session()
        self._state = self._session.state
        self._active_responses.clear()
        self._transcript_batch = []  # the old session's, like its queued callbacks
        self.profile_changed.emit()

    def _build_session(self) -> Session:
        # Built on the GUI thread: nothing runs on the new objects until work for them is
        # handed to the engine (asyncio primitives bind to a loop on first use).
        self._close_dispatcher()
        profile = self.effective_profile()
        session = Session(
            profile,
            self._transport_factory,
            self._secrets,
            self._timeline,
            list(self._tools),
            license=SIMULATOR_LICENSE if profile.local_simulator else None,
        )
        self._listener = _SessionListener(self, self._queue)
        session.add_listener(self._listener)
        if self._dispatcher_factory is not None:
            dispatcher = self._dispatcher_factory(session)
            if self._toolset is not None:
                dispatcher.set_toolset(self._toolset)
            self._dispatch_listener = _DispatchListener(self, self._queue)
            dispatcher.add_listener(self._dispatch_listener)
            dispatcher.start()
            dispatcher.set_mode(DispatchMode(self._answer_mode))
            self._dispatcher = dispatcher
        return session

    def _apply_mode(self) -> None:
        if self._dispatcher is not None:
            self._on_engine(self._dispatcher.set_mode, DispatchMode(self._answer_mode))

    def _close_dispatcher(self) -> None:
        dispatcher, self._dispatcher = self._dispatcher, None
        listener, self._dispatch_listener = self._dispatch_listener, None
        if dispatcher is not None:
            if listener is not None:
                listener.source.active = False
            self._start(_stop_dispatcher(dispatcher, listener), "Stopping", "dispatcher-stop")

    # Listener callbacks, delivered on the GUI thread by the queue.
    def _emit(self, signal: str, *args: Any) -> None:
        """Emit the bridge signal named ``signal``, after the transcripts collected so far."""
        self._flush_transcripts()
        getattr(self, signal).emit(*args)

    def _on_state(self, change: StateChange) -> None:
        self._state = change.state
        # The engine has reported on the connect: from here the state alone says whether
        # the session is active (a failed connect must read "Connect" when this is emitted).
        self._connects_pending = 0
        if not change.state.is_live:
            batch = self._transcript_batch
            for response_id in sorted(self._active_responses):
                batch.append(TranscriptEvent(RESPONSE_FINISHED, "avatar", response_id, ""))
            self._active_responses.clear()
        self._flush_transcripts()
        self.state_changed.emit(change.state.value, change.message)

    def _on_transcript(self, transcript: Transcript) -> None:
        # Collected, not emitted: one emit per delivery instead of one per event. Under
        # load an emit costs the GUI thread ~13 µs (PySide hands the GIL over while the
        # engine thread wants it), and there are thousands of deltas a second.
        batch = self._transcript_batch
        response_id = transcript.response_id or ""
        role = transcript.role
        if role == "user":
            if not transcript.typed:
                batch.append(TranscriptEvent(TRANSCRIPT_DONE, role, response_id, transcript.text))
            return
        if response_id not in self._active_responses:
            self._active_responses.add(response_id)
            batch.append(TranscriptEvent(RESPONSE_STARTED, role, response_id, ""))
        if transcript.final:
            batch.append(TranscriptEvent(TRANSCRIPT_DONE, role, response_id, transcript.text))
            self._active_responses.discard(response_id)
            batch.append(TranscriptEvent(RESPONSE_FINISHED, role, response_id, ""))
        else:
            batch.append(TranscriptEvent(TRANSCRIPT_DELTA, role, response_id, transcript.text))

    def _flush_transcripts(self) -> None:
        """Emit the transcript events collected so far as one ``transcripts`` batch.

        Runs at the end of every delivery and before any other signal of a delivery.
        Timeline flushes in the same delivery are not bridge signals and do not split the
        batch: the timeline and the transcript views do not depend on each other's order.
        """
        if self._transcript_batch:
            batch, self._transcript_batch = self._transcript_batch, []
            self.transcripts.emit(batch)


async def _reject(dispatcher: Dispatcher, key: str) -> None:
    dispatcher.reject(key)


async def _stop_dispatcher(dispatcher: Dispatcher, listener: _DispatchListener | None) -> None:
    if listener is not None:
        dispatcher.remove_listener(listener)
    await dispatcher.stop()


async def _close_on_engine(
    session: Session, dispatcher: Dispatcher | None, listener: _DispatchListener | None
) -> None:
    if dispatcher is not None:
        await _stop_dispatcher(dispatcher, listener)
    # The session's own state, not the GUI's view of it: a connect may be under way.
    if session.state.is_active:
        await session.disconnect()


def _to_bridge(bridge: weakref.ref[SessionBridge], method: str, *args: Any) -> None:
    """GUI thread: call a bridge's handler, unless the bridge is gone."""
    target = bridge()
    if target is not None:
        getattr(target, method)(*args)


class _SessionListener:
    """Engine thread: queues one session's callbacks for the bridge (GUI thread).

    Only plain Python runs here. The bridge is referenced weakly: the engine must never
    hold the last reference to a Qt object (it would be destroyed on the wrong thread).
    """

    def __init__(self, bridge: SessionBridge, queue: _GuiQueue) -> None:
        self.source = _Source()
        self._post = queue.post
        self._bridge = weakref.ref(bridge)

    def _send(self, method: str, *args: Any) -> None:
        self._post(self.source, _to_bridge, self._bridge, method, *args)

    def session_state_changed(self, change: StateChange) -> None:
        self._send("_on_state", change)

    def call_received(self, call: FunctionCall) -> None:
        self._send("_emit", "call_received", call.key)

    def call_updated(self, call: FunctionCall) -> None:
        self._send("_emit", "call_updated", call.key)

    def call_overdue(self, call: FunctionCall) -> None:
        self._send("_emit", "call_overdue", call.key)

    def transcript_received(self, transcript: Transcript) -> None:
        self._send("_on_transcript", transcript)

    def session_warning(self, message: str) -> None:
        self._send("_emit", "warning_reported", message)

    def session_error(self, message: str) -> None:
        self._send("_emit", "error_reported", message)


class _DispatchListener:
    """Engine thread: queues dispatcher record changes as ``dispatch_changed``."""

    def __init__(self, bridge: SessionBridge, queue: _GuiQueue) -> None:
        self.source = _Source()
        self._post = queue.post
        self._bridge = weakref.ref(bridge)

    def dispatch_changed(self, record: DispatchRecord) -> None:
        self._post(self.source, _to_bridge, self._bridge, "_emit", "dispatch_changed", record.key)


__all__ = [
    "ANSWER_MODES",
    "RESPONSE_FINISHED",
    "RESPONSE_STARTED",
    "SIMULATOR_LICENSE",
    "TRANSCRIPT_DELTA",
    "TRANSCRIPT_DONE",
    "CallState",
    "SessionBridge",
    "SessionSecrets",
    "SessionState",
    "TranscriptEvent",
]
