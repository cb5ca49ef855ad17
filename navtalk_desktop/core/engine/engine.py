"""The engine: one connection's session, dispatcher, timeline and responders, Qt-free.

Its outside is two things: commands in (:mod:`~navtalk_desktop.core.engine.commands`,
through :meth:`Engine.submit` or :meth:`Engine.handle`) and one ordered stream of typed,
immutable events out (:mod:`~navtalk_desktop.core.engine.events`, to the sink given to
:meth:`Engine.attach`). Every method runs on the engine's own loop (a worker thread in the
app, a child process, or the caller's loop headless); see
:mod:`~navtalk_desktop.core.engine.host` for how a GUI reaches it.

The engine is the one owner of the connection state, the tool list, the answer mode and the
calls; whoever shows them keeps what it last received from events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from navtalk_desktop.core.calls.book import CallBook, FunctionCall
from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchMode, DispatchRecord
from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import (
    AnswerModeChanged,
    CallOverdue,
    CallReceived,
    CallSnapshot,
    CallUpdated,
    CommandFailed,
    DispatchChanged,
    EngineEvent,
    FramesAppended,
    Notice,
    NoticeLevel,
    SessionReplaced,
    StateChanged,
    TimelineReset,
    ToolsChanged,
    TranscriptDelta,
    TranscriptKind,
)
from navtalk_desktop.core.engine.host import EventSink
from navtalk_desktop.core.engine.media_link import MediaLink
from navtalk_desktop.core.media import PeerFactory
from navtalk_desktop.core.ports import SecretStore, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session.secrets import SIMULATOR_LICENSE, SessionSecrets
from navtalk_desktop.core.session.session import Session, StateChange, Transcript
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet

log = logging.getLogger(__name__)

DispatcherFactory = Callable[[Session], Dispatcher]
"""Builds the automatic-answer dispatcher of a session (its responders need infra ports)."""

TimelineFactory = Callable[[], Timeline]

_STARTED = TranscriptKind.RESPONSE_STARTED
_DELTA = TranscriptKind.DELTA
_DONE = TranscriptKind.DONE
_FINISHED = TranscriptKind.RESPONSE_FINISHED


class Engine:
    """One connection's session, answering dispatcher and timeline, driven by commands.

    Build it with :func:`~navtalk_desktop.core.engine.factory.build_engine` (or directly in
    tests) on any thread; from then on use it only on its loop's thread.

    Args:
        profile: the connection profile to start with.
        transport_factory: a new transport per connection.
        secrets: the keychain port (None: no keychain at all).
        dispatcher_factory: builds the automatic-answer dispatcher of each session (None:
            calls are answered by hand only).
        tools: tools to register (default: the tool set's enabled tools).
        toolset: tools with their responder chains.
        answer_mode: the call desk's mode to start in.
        simulator_url: URL of the in-process simulator (profiles with ``local_simulator``).
        timeline: the frame store to start with (default: a new one).
        license: a license to use instead of the keychain (``respond``, benchmarks).
        connect_timeout_s: how long opening the socket may take.
        media_peers: builds the avatar's WebRTC peer (None: media offers are refused).
    """

    def __init__(
        self,
        *,
        profile: ConnectionProfile,
        transport_factory: TransportFactory,
        secrets: SecretStore | None,
        dispatcher_factory: DispatcherFactory | None = None,
        tools: list[ToolDefinition] | None = None,
        toolset: ToolSet | None = None,
        answer_mode: DispatchMode = DispatchMode.MANUAL,
        simulator_url: str | None = None,
        timeline: Timeline | None = None,
        timeline_factory: TimelineFactory = Timeline,
        license: str | None = None,
        connect_timeout_s: float = 15.0,
        media_peers: PeerFactory | None = None,
    ) -> None:
        self._sink: EventSink | None = None
        self._early: list[EngineEvent] = []
        self._transport_factory = transport_factory
        self.secrets = SessionSecrets(secrets)
        self._dispatcher_factory = dispatcher_factory
        self._toolset = toolset
        if tools is None and toolset is not None:
            tools = toolset.definitions()
        self._tools: list[ToolDefinition] = list(tools or [])
        self._mode = answer_mode
        self._profile = profile
        self._simulator_url = simulator_url
        self._license = license
        self._connect_timeout_s = connect_timeout_s
        self._timeline_factory = timeline_factory
        self._reviewing = False
        self._connects_pending = 0
        self._active_responses: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._frames_due = False  # a FramesAppended is pending in the timeline's flush
        self._timeline = timeline if timeline is not None else self._new_timeline()
        self._timeline.set_schedule(self._schedule_flush)
        self._timeline.add_listener(self)
        self._dispatcher: Dispatcher | None = None
        self._media_peers = media_peers
        self._media: MediaLink | None = None
        self._session = self._build_session()

    # ------------------------------------------------------------------ read access
    @property
    def session(self) -> Session:
        """The current session (replaced when the profile changes); engine thread only."""
        return self._session

    @property
    def calls(self) -> CallBook:
        """Every call of the current session; engine thread only."""
        return self._session.calls

    @property
    def dispatcher(self) -> Dispatcher | None:
        """The current automatic-answer dispatcher, if any; engine thread only."""
        return self._dispatcher

    @property
    def timeline(self) -> Timeline:
        """The frame store (its readers may run on other threads; see :class:`Timeline`)."""
        return self._timeline

    @property
    def profile(self) -> ConnectionProfile:
        """The profile in use (as the user edits it; see :meth:`effective_profile`)."""
        return self._profile

    @property
    def answer_mode(self) -> DispatchMode:
        """The call desk's answer mode."""
        return self._mode

    @property
    def tools(self) -> list[ToolDefinition]:
        """The tools registered on connect (a copy)."""
        return list(self._tools)

    @property
    def is_active(self) -> bool:
        """Whether the session is connecting, connected or reconnecting (or about to)."""
        return self._session.state.is_active or self._connects_pending > 0

    def effective_profile(self) -> ConnectionProfile:
        """The profile actually connected (the simulator's real URL swapped in)."""
        profile = self._profile
        if profile.local_simulator and self._simulator_url:
            return profile.with_changes(url=self._simulator_url)
        return profile

    def snapshot(self, call: FunctionCall) -> CallSnapshot:
        """An immutable copy of ``call`` with its dispatch record."""
        dispatcher = self._dispatcher
        return CallSnapshot.of(
            call,
            dispatch=dispatcher.record(call.key) if dispatcher is not None else None,
            answer_deadline_s=self._session.profile.answer_deadline_s,
            session_id=self._session.session_id,
        )

    # ------------------------------------------------------------------ the stream
    def attach(self, sink: EventSink) -> None:
        """Report every event to ``sink``; first the current state."""
        if self._frames_due:
            self._timeline.flush()  # not delivered: every row follows below
        self._sink = sink
        early, self._early = self._early, []
        self._emit(StateChanged(self._session.last_change, self._session.session_id))
        self._emit(ToolsChanged(tuple(self._tools)))
        self._emit(AnswerModeChanged(self._mode))
        if len(self._timeline):
            self._emit(self._frames(0, len(self._timeline)))
        for event in early:
            self._emit(event)

    def _emit(self, event: EngineEvent) -> None:
        # Frames appended before this event go first: one ordered stream.
        if self._frames_due:
            self._timeline.flush()
        sink = self._sink
        if sink is None:
            self._early.append(event)
            return
        try:
            sink(event)
        except Exception:  # a consumer's bug must not break the session
            log.exception("engine event sink failed on %s", type(event).__name__)

    def _frames(self, start: int, stop: int) -> FramesAppended:
        timeline = self._timeline
        return FramesAppended(start, timeline.rows(start, stop), timeline.fold_keys(start, stop))

    # Timeline listener (engine thread: the timeline flushes on the engine loop).
    def _schedule_flush(self, flush: Callable[[], None]) -> None:
        self._frames_due = True
        try:
            asyncio.get_running_loop().call_soon(flush)
        except RuntimeError:
            flush()  # no loop (tests, set-up): deliver at once

    def timeline_appended(self, start: int, count: int) -> None:
        """Rows were appended: one ``FramesAppended`` for the batch."""
        self._frames_due = False
        sink = self._sink
        if sink is not None:
            try:
                sink(self._frames(start, start + count))
            except Exception:
                log.exception("engine event sink failed on FramesAppended")

    def timeline_changed(self, row: int) -> None:
        """A folded group grew: the appended rows say so already (their fold keys)."""

    def timeline_cleared(self) -> None:
        """Every row was removed."""
        self._frames_due = False
        self._emit(TimelineReset())

    # Session listener (engine thread).
    def session_state_changed(self, change: StateChange) -> None:
        """The connection state changed (open responses end when it stops being live)."""
        self._connects_pending = 0
        if self._media is not None:
            self._media.state_changed(change.state.is_live)
        if not change.state.is_live:
            for response_id in sorted(self._active_responses):
                self._emit(TranscriptDelta(_FINISHED, "avatar", response_id, ""))
            self._active_responses.clear()
        self._emit(StateChanged(change, self._session.session_id))

    def call_received(self, call: FunctionCall) -> None:
        """A call arrived."""
        self._emit(CallReceived(self.snapshot(call)))

    def call_updated(self, call: FunctionCall) -> None:
        """A call changed."""
        self._emit(CallUpdated(self.snapshot(call)))

    def call_overdue(self, call: FunctionCall) -> None:
        """A call passed its deadline."""
        self._emit(CallOverdue(self.snapshot(call)))

    def transcript_received(self, transcript: Transcript) -> None:
        """Text arrived: responses start, grow and finish."""
        response_id = transcript.response_id or ""
        role = transcript.role
        if role == "user":
            if not transcript.typed:
                self._emit(TranscriptDelta(_DONE, role, response_id, transcript.text))
            return
        if response_id not in self._active_responses:
            self._active_responses.add(response_id)
            self._emit(TranscriptDelta(_STARTED, role, response_id, ""))
        if transcript.final:
            self._emit(TranscriptDelta(_DONE, role, response_id, transcript.text))
            self._active_responses.discard(response_id)
            self._emit(TranscriptDelta(_FINISHED, role, response_id, ""))
        else:
            self._emit(TranscriptDelta(_DELTA, role, response_id, transcript.text))

    def session_warning(self, message: str) -> None:
        """Something the user should know."""
        self._emit(Notice(NoticeLevel.WARNING, message))

    def session_error(self, message: str) -> None:
        """Something failed."""
        self._emit(Notice(NoticeLevel.ERROR, message))

    # Dispatcher listener (engine thread).
    def dispatch_changed(self, record: DispatchRecord) -> None:
        """The dispatcher's record of a call changed."""
        call = self._session.calls.by_key(record.key)  # exactly this one: call ids repeat
        if call is not None:
            self._emit(DispatchChanged(self.snapshot(call)))

    # ------------------------------------------------------------------ commands
    def submit(self, command: cmd.EngineCommand) -> None:
        """Carry out ``command`` (engine loop), in order with the commands before it.

        Settings apply at once; work that waits (connecting, sending, answering) starts as
        an owned task whose first step runs in order. Failures arrive as ``CommandFailed``.
        """
        try:
            work = self._start(command)
        except Exception as error:  # noqa: BLE001  (reported on the stream)
            self._failed(command, error)
            return
        if work is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                work.close()  # never awaited on purpose: nothing runs without a loop
                self._failed(command, _RefusedError("no event loop runs the engine"))
                return
            task = loop.create_task(
                self._guard(command, work), name=f"engine-{type(command).__name__}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def handle(self, command: cmd.EngineCommand) -> None:
        """Carry out ``command`` and return once it is done (failures become events)."""
        try:
            work = self._start(command)
        except Exception as error:  # noqa: BLE001
            self._failed(command, error)
            return
        if work is not None:
            await self._guard(command, work)

    async def _guard(self, command: cmd.EngineCommand, work: Coroutine[Any, Any, Any]) -> None:
        try:
            await work
        except Exception as error:  # noqa: BLE001  (reported on the stream)
            self._failed(command, error)

    def _failed(self, command: cmd.EngineCommand, error: BaseException) -> None:
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        what = getattr(error, "what", None) or command.what
        log.warning("%s failed: %s", what, message)
        self._emit(CommandFailed(command.command_id, what, message))

    def _start(self, command: cmd.EngineCommand) -> Coroutine[Any, Any, Any] | None:
        """Apply what ``command`` changes now; the coroutine for the rest, if any."""
        match command:
            case cmd.Connect():
                return self._connect()
            case cmd.Disconnect():
                if self._reviewing and not self.is_active:
                    return None  # the recording under review must stay as opened
                return self._session.disconnect()
            case cmd.SendText(text=text):
                text = text.strip()
                return self._session.send_text(text) if text else None
            case cmd.SendFrame(text=text):
                return self._session.send_frame(text)
            case cmd.AnswerCall(call=key, output=output, is_error=is_error):
                if self._dispatcher is not None:
                    return self._dispatcher.answer_manually(key, output, is_error=is_error)
                return self._session.answer_call(key, output, responder="manual", is_error=is_error)
            case cmd.ApproveDraft(key=key, output=output):
                dispatcher = self._need_dispatcher(
                    "Approving", "automatic answering is not available"
                )
                return dispatcher.approve(key, output)
            case cmd.RejectDraft(key=key):
                if self._dispatcher is not None:
                    self._dispatcher.reject(key)
            case cmd.RunResponders(key=key):
                dispatcher = self._need_dispatcher(
                    "Running responders", "no dispatcher is configured"
                )
                return dispatcher.run_now(key)
            case cmd.SetAnswerMode(mode=mode):
                self._set_mode(DispatchMode(mode))
            case cmd.SetTools(tools=tools):
                self._set_tools(list(tools))
            case cmd.SetToolSet(toolset=toolset):
                self._toolset = toolset
                if self._dispatcher is not None:
                    self._dispatcher.set_toolset(toolset)
                self._set_tools(toolset.definitions())
            case cmd.SetProfile(profile=profile):
                if profile != self._profile:
                    self._profile = profile
                    if not self.is_active:
                        self._replace_session()
            case cmd.SetSimulatorUrl(url=url):
                self._simulator_url = url
                if self._profile.local_simulator and not self.is_active:
                    self._replace_session()
            case cmd.SetSessionLicense(profile_name=name, value=value):
                self.secrets.remember(name, value)
            case cmd.ClearTimeline():
                self._timeline.clear()
            case cmd.OpenRecording(records=records, source=source):
                fresh = self._new_timeline()
                fresh.add_records(records)
                self._review(fresh, source)
            case cmd.ReplaceTimeline(timeline=timeline, source=source):
                timeline.set_schedule(self._schedule_flush)
                self._review(timeline, source)
            case cmd.RequestMediaStats():
                media = self._media
                return media.stats() if media is not None else None
            case cmd.Shutdown():
                return self.close()
            case _:
                raise ValueError(f"unknown command {type(command).__name__}")
        return None

    def _need_dispatcher(self, what: str, why: str) -> Dispatcher:
        if self._dispatcher is None:
            raise _RefusedError(why, what)
        return self._dispatcher

    def _connect(self) -> Coroutine[Any, Any, None] | None:
        if self.is_active:
            return None  # a second click while connecting does not connect twice
        if self._reviewing:
            self._reviewing = False
            self._swap_timeline(self._new_timeline(), TimelineReset())
        elif self._session.profile != self.effective_profile():
            self._replace_session()
        # Until the session reports a state, the engine counts it as active (a profile
        # change meanwhile waits for the next connect, as while connected).
        self._connects_pending += 1
        return self._connecting(self._session)

    async def _connecting(self, session: Session) -> None:
        try:
            await session.connect()
        finally:
            self._connects_pending = max(0, self._connects_pending - 1)

    def _set_mode(self, mode: DispatchMode) -> None:
        if mode is self._mode:
            return
        self._mode = mode
        if self._dispatcher is not None:
            self._dispatcher.set_mode(mode)
        self._emit(AnswerModeChanged(mode))

    def _set_tools(self, tools: list[ToolDefinition]) -> None:
        self._tools = tools
        self._session.set_tools(list(tools))
        self._emit(ToolsChanged(tuple(tools)))

    def _review(self, timeline: Timeline, source: str) -> None:
        if self.is_active:
            timeline.close()
            raise _RefusedError("disconnect before opening a saved session")
        self._reviewing = True
        self._swap_timeline(timeline, TimelineReset(reviewing=True, source=source))

    async def close(self) -> None:
        """Stop the dispatcher and disconnect (shutdown); state changes are reported."""
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.remove_listener(self)
            await dispatcher.stop()
        # The session's own state: a connect may be under way.
        if self._session.state.is_active:
            await self._session.disconnect()
        if self._media is not None:
            await self._media.close()
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    def _new_timeline(self) -> Timeline:
        timeline = self._timeline_factory()
        timeline.set_schedule(self._schedule_flush)
        return timeline

    def _swap_timeline(self, timeline: Timeline, reset: TimelineReset) -> None:
        old = self._timeline
        old.remove_listener(self)
        if self._frames_due:
            old.flush()  # rows of the old timeline are not delivered as the new one's
        self._frames_due = False
        self._timeline = timeline
        self._replace_session()
        self._emit(reset)
        timeline.add_listener(self)
        if len(timeline):
            self._emit(self._frames(0, len(timeline)))
        old.close()

    def _replace_session(self) -> None:
        # Only while inactive: the old session has nothing left to say.
        self._session.remove_listener(self)
        self._session = self._build_session()
        self._active_responses.clear()
        self._emit(SessionReplaced(self.effective_profile()))
        self._emit(StateChanged(self._session.last_change, None))

    def _build_session(self) -> Session:
        self._close_dispatcher()
        profile = self.effective_profile()
        license = self._license
        if license is None and profile.local_simulator:
            license = SIMULATOR_LICENSE
        session = Session(
            profile,
            self._transport_factory,
            self.secrets,
            self._timeline,
            list(self._tools),
            license=license,
            connect_timeout_s=self._connect_timeout_s,
        )
        session.add_listener(self)
        old_media = self._media
        if old_media is not None:
            old_media.state_changed(False)  # the old session is inactive: nothing to close
            self._close_later(old_media.close(), "media-close")  # its worker ends too
        self._media = MediaLink(session, self._media_peers, self._emit)
        if self._dispatcher_factory is not None:
            dispatcher = self._dispatcher_factory(session)
            if self._toolset is not None:
                dispatcher.set_toolset(self._toolset)
            dispatcher.add_listener(self)
            dispatcher.start()
            dispatcher.set_mode(self._mode)
            self._dispatcher = dispatcher
        return session

    def _close_dispatcher(self) -> None:
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is None:
            return
        dispatcher.remove_listener(self)
        self._close_later(dispatcher.stop(), "dispatcher-stop")

    def _close_later(self, closing: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``closing`` as an owned task (shutdown awaits it); dropped without a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            closing.close()  # never started on a loop: nothing runs
            return
        task = loop.create_task(closing, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class _RefusedError(Exception):
    """A command that cannot be carried out now (reported as ``CommandFailed``)."""

    def __init__(self, message: str, what: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.what = what
