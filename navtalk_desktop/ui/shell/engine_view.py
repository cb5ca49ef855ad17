"""EngineView: what the GUI shows of an engine, kept from its event stream, as Qt signals.

The view applies batches of engine events (:mod:`~navtalk_desktop.core.engine.events`) on
the GUI thread: it keeps the engine's facts as of the last event (connection state, calls as
snapshots, tools, answer mode) and emits typed signals carrying immutable values. It never
touches engine-owned objects; the :class:`~navtalk_desktop.ui.shell.engine_adapter.EngineAdapter`
adds the way to the engine (commands, host). Where the engine runs (a thread, another
process) does not matter here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine.events import (
    AnswerModeChanged,
    CallOverdue,
    CallReceived,
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
from navtalk_desktop.core.engine.media_link import MediaUpdate, coalesce_video
from navtalk_desktop.core.engine.replica import CallReplica
from navtalk_desktop.core.session.session import SessionState, StateChange
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition

log = logging.getLogger(__name__)

UI_TICK_MS = 50
"""Streaming views apply their queued changes at most this often (see ``ui_tick``)."""


class EngineView(QObject):
    """The GUI's copy of an engine's facts, fed by event batches (GUI thread only).

    Args:
        timeline: the frame store shown first.
        tools: the tools registered, as last asked for.
        parent: the Qt parent.

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
        media(object): a list of the batch's avatar media values (``core.media``: states,
            frames, voice chunks, stats), in order; only the batch's last video frame is
            kept (the GUI shows the latest picture when it is behind), voice never skipped.
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
    media = Signal(object)

    def __init__(
        self,
        timeline: Timeline,
        tools: list[ToolDefinition],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # The engine's facts as of the last event (or as last asked for).
        self._timeline = timeline
        self._tools = list(tools)
        self._answer_mode = DispatchMode.MANUAL
        self._state = SessionState.IDLE
        self._last_change = StateChange(SessionState.IDLE)
        self._connection = 0
        self._session_id: str | None = None
        self._reviewing = False
        self._connects_pending: set[int] = set()
        self._calls = CallReplica()
        self._transcript_batch: list[TranscriptDelta] = []
        # One timer for every view that streams: under load frames arrive thousands of
        # times a second, and each view repainting per frame is what starves the loop.
        self._ui_timer = QTimer(self)
        self._ui_timer.setSingleShot(True)
        self._ui_timer.setInterval(UI_TICK_MS)
        self._ui_timer.timeout.connect(self.ui_tick)

    def _current_timeline(self) -> Timeline:
        """The store the engine writes now (after a ``TimelineReset``)."""
        return self._timeline

    def _frames_arrived(self, event: FramesAppended) -> None:
        """Rows arrived, in stream order (before the views hear of them); a GUI that keeps
        its own copy of the timeline (engine in another process) adds them here."""

    @property
    def calls(self) -> CallReplica:
        """Every function call of the current session, as its latest snapshot."""
        return self._calls

    @property
    def timeline(self) -> Timeline:
        """The frame store shown (read-only here: its reader methods are thread-safe)."""
        return self._timeline

    @property
    def tools(self) -> list[ToolDefinition]:
        """The tools registered on connect (a copy)."""
        return list(self._tools)

    @property
    def answer_mode(self) -> DispatchMode:
        """The answer mode in use."""
        return self._answer_mode

    @property
    def session_id(self) -> str | None:
        """The server's session id of the current connection, once known."""
        return self._session_id

    @property
    def connection_count(self) -> int:
        """How many connections the session opened so far (as of the last state change)."""
        return self._connection

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
    def reviewing(self) -> bool:
        """Whether the timeline holds an opened recording (replaced on the next connect)."""
        return self._reviewing

    def dispatch_record(self, key: str) -> DispatchSnapshot | None:
        """What the dispatcher did with a call, as of the last event about it."""
        call = self._calls.get(key)
        return call.dispatch if call is not None else None

    def request_ui_tick(self) -> None:
        """Ask for one ``ui_tick`` within ``UI_TICK_MS`` (requests meanwhile share it)."""
        if not self._ui_timer.isActive():
            self._ui_timer.start()

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
        frames: list[FramesAppended] = []
        media: list[EngineEvent] = []
        for event in batch:
            if isinstance(event, MediaUpdate):
                media.append(event)
                continue
            if isinstance(event, TranscriptDelta):
                # Collected, not emitted: one emit per batch instead of one per delta.
                # Under load an emit costs the GUI thread ~13 µs (PySide hands the GIL
                # over while the engine thread wants it), and there are thousands a second.
                transcripts.append(event)
                continue
            if isinstance(event, FramesAppended):
                self._frames_arrived(event)
                # Merged into one emit per batch, for the same reason; views of the frames
                # do not depend on their order with the other signals.
                frames.append(event)
                continue
            self._flush_transcripts()
            try:
                self._apply(event)
            except Exception:  # a slot's bug must not stop the rest of the batch
                log.exception("applying %s failed", type(event).__name__)
        self._flush_transcripts()
        if frames:
            self.frames_appended.emit(frames[0] if len(frames) == 1 else _merge(frames))
        if media:
            values = [e.value for e in coalesce_video(media) if isinstance(e, MediaUpdate)]
            self.media.emit(values)

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
            current = self._current_timeline()
            if current is self._timeline:
                self.timeline_cleared.emit()
            else:
                self._show_timeline(current)
        elif isinstance(event, HostDied):
            self._connects_pending.clear()
            if self._state.is_active:
                # The connection died with the engine: say so, so Connect is offered again.
                change = StateChange(SessionState.FAILED, event.reason, connection=self._connection)
                self._last_change = change
                self._state = SessionState.FAILED
                self.state_changed.emit(change.state.value, change.message)
            self.error_reported.emit(f"The session engine stopped: {event.reason}")


def _merge(appends: list[FramesAppended]) -> FramesAppended:
    """One event for consecutive appends, built once (a reset in between restarts at row 0:
    only the rows after the last restart are kept)."""
    start = 0
    for index in range(1, len(appends)):
        before = appends[index - 1]
        if appends[index].first_row != before.first_row + len(before.rows):
            start = index
    kept = appends[start:]
    rows = tuple(row for event in kept for row in event.rows)
    keys = tuple(key for event in kept for key in event.fold_keys)
    return FramesAppended(kept[0].first_row, rows, keys)
