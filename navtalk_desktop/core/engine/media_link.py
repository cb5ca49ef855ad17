"""The engine's avatar media: one :class:`MediaController` per connection, on the one stream.

The session hands the link the frames media needs (``webrtc.signaling.*``, ``iceServers`` of
``conversation.connected.success``, audio deltas, ``audio.done``/``response.completed``,
``speech_started``). The link feeds its controller in order (one worker task), sends the
controller's :class:`SignalToSend` messages on the session socket, records signalling, ICE,
DTLS and peer states and failures in the timeline as local entries, and puts every other
media value on the engine's event stream as a :class:`MediaUpdate`.

The WebRTC stack is a port (:data:`~navtalk_desktop.core.media.PeerFactory`), given by
whoever builds the engine (``infra.webrtc.AnsweringPeer`` in the app and ``respond``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.engine.events import EngineEvent, MediaEvent
from navtalk_desktop.core.media import (
    AudioChunk,
    IceServer,
    MediaController,
    MediaError,
    MediaPhase,
    MediaState,
    MediaStats,
    PeerFactory,
    PeerListener,
    PeerPort,
    PeerStateChanged,
    SignalToSend,
    VideoFrame,
)
from navtalk_desktop.core.media import MediaEvent as MediaValue
from navtalk_desktop.core.session import protocol
from navtalk_desktop.core.session.session import Session, SessionError

log = logging.getLogger(__name__)

LOCAL_MEDIA = "local.media"
"""Timeline type of the media path's local entries (states, failures)."""

VIDEO = "avatar-video"
AUDIO = "avatar-audio"
CONTROL = "avatar-media"


@dataclass(frozen=True, slots=True)
class MediaUpdate(MediaEvent):
    """One avatar media value on the engine's stream (state, frame, chunk, stats, …).

    ``stream`` is :data:`VIDEO` for frames (a consumer may keep only the latest of a batch),
    :data:`AUDIO` for voice (never skipped) and :data:`CONTROL` for the rest.

    Attributes:
        value: the media value (:mod:`navtalk_desktop.core.media.values`).
    """

    value: MediaValue

    @classmethod
    def of(cls, value: MediaValue) -> MediaUpdate:
        """Wrap ``value`` with its stream and presentation time."""
        if isinstance(value, VideoFrame):
            return cls(VIDEO, value.timestamp, value)
        if isinstance(value, AudioChunk):
            return cls(AUDIO, value.timestamp, value)
        return cls(CONTROL, 0.0, value)


def coalesce_video(batch: list[EngineEvent]) -> list[EngineEvent]:
    """``batch`` with every video frame but the last dropped (audio and the rest kept, in order)."""
    last = -1
    for index, event in enumerate(batch):
        if isinstance(event, MediaUpdate) and event.stream == VIDEO:
            last = index
    if last < 0:
        return batch
    return [
        event
        for index, event in enumerate(batch)
        if index == last or not (isinstance(event, MediaUpdate) and event.stream == VIDEO)
    ]


class MediaLink:
    """A session's avatar media (the engine makes one per session).

    Args:
        session: the session whose frames feed it and whose socket carries the answers.
        peers: builds the WebRTC peer (None: media offers are recorded and refused).
        emit: the engine's stream.
    """

    def __init__(
        self,
        session: Session,
        peers: PeerFactory | None,
        emit: Callable[[EngineEvent], None],
    ) -> None:
        self._session = session
        self._peers = peers
        self._emit = emit
        self._controller: MediaController | None = None
        self._queue: asyncio.Queue[Callable[[], Any]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._refused = False
        session.media_sink = self.frame

    @property
    def controller(self) -> MediaController | None:
        """The current connection's controller (None before ``connected.success``)."""
        return self._controller

    # ------------------------------------------------------------------ session → link
    def frame(self, event: protocol.ServerEvent) -> None:
        """A media frame arrived (engine loop, in the session's order)."""
        kind = event.kind
        if isinstance(event, protocol.ConnectionEvent):
            self._new_connection(list(event.ice_servers))
            return
        if self._peers is None and kind.startswith(protocol.WEBRTC_PREFIX):
            if not self._refused:
                self._refused = True  # once per session: the offer and its candidates
                self._value(MediaError("offer", "WebRTC is not available in this run"))
            return
        controller = self._controller
        if controller is None:
            return
        if isinstance(event, protocol.AudioEvent) and kind == protocol.AUDIO_DELTA:
            if event.payload and isinstance(event.payload, str):
                controller.handle_audio_delta(event.payload)
        elif kind in (protocol.AUDIO_DONE, protocol.RESPONSE_COMPLETED):
            controller.response_done()
        elif kind == protocol.SPEECH_STARTED:
            controller.speech_started()
        elif kind.startswith(protocol.WEBRTC_PREFIX):
            data = dict(event.data)
            self._run(lambda: controller.handle_signal(kind, data))

    def state_changed(self, live: bool) -> None:
        """The session's connection state changed: media ends with the connection."""
        if not live and self._controller is not None:
            controller, self._controller = self._controller, None
            self._run(lambda: _close(controller, "the session ended"))

    async def stats(self) -> MediaStats | None:
        """A stats snapshot (also on the stream)."""
        if self._controller is None:
            self._value(MediaError("stats", "no media connection: nothing to measure"))
            return None
        return await self._controller.stats()

    async def close(self) -> None:
        """Close the peer and stop the worker (engine shutdown)."""
        self.state_changed(False)
        worker, self._worker = self._worker, None
        queue, self._queue = self._queue, None
        if worker is not None and queue is not None:
            await queue.join()
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    def _new_connection(self, ice_servers: list[Any]) -> None:
        old, self._controller = self._controller, None
        if old is not None:
            self._run(lambda: _close(old, "a new connection started"))
        # Without a peer port the controller still decodes the voice deltas (offers are
        # refused in frame() before they reach it).
        controller = MediaController(self._peers or _no_peers, self._value)
        controller.configure(ice_servers)
        self._controller = controller

    def _run(self, step: Callable[[], Any]) -> None:
        """Run ``step`` (a coroutine factory) after every step before it."""
        if self._queue is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (set-up): nothing can be negotiated
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._work(self._queue), name="media-link")
        self._queue.put_nowait(step)

    async def _work(self, queue: asyncio.Queue[Callable[[], Any]]) -> None:
        while True:
            step = await queue.get()
            try:
                await step()
            except Exception as failure:
                log.exception("media step failed")
                self._value(MediaError("media", f"{type(failure).__name__}: {failure}"))
            finally:
                queue.task_done()

    def _value(self, value: MediaValue) -> None:
        """The controller's ``emit``: signals go out, states go to the timeline too."""
        if isinstance(value, SignalToSend):
            message = value.message()
            self._run(lambda: self._send(message))
            return
        if isinstance(value, MediaState):
            text = value.phase.value + (f": {value.reason}" if value.reason else "")
            failed = value.phase is MediaPhase.FAILED
            self._session.note_local(
                LOCAL_MEDIA, f"media {text}", error=value.reason or text if failed else None
            )
        elif isinstance(value, PeerStateChanged):
            text = f"{value.layer} {value.state}" + (f": {value.reason}" if value.reason else "")
            failed = value.state == "failed"
            self._session.note_local(LOCAL_MEDIA, text, error=text if failed else None)
        elif isinstance(value, MediaError):
            text = f"media {value.stage}: {value.reason}"
            self._session.note_local(LOCAL_MEDIA, text, error=text)
        self._emit(MediaUpdate.of(value))

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            await self._session.send_signal(message)
        except SessionError as error:
            self._value(MediaError("signaling", str(error)))


def _no_peers(servers: tuple[IceServer, ...], listener: PeerListener) -> PeerPort:
    raise AssertionError("offers are refused before the controller without a peer port")


async def _close(controller: MediaController, reason: str) -> None:
    # A connection that never got an offer has no peer: nothing to close or to report.
    if controller.state.phase is not MediaPhase.NOT_OFFERED:
        await controller.close(reason)
