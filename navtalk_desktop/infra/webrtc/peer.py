"""The app's WebRTC peer (aiortc): answers the server's offers and receives the avatar.

:class:`AnsweringPeer` implements :class:`navtalk_desktop.core.media.PeerPort`. It runs on
whatever asyncio loop calls it (no Qt), reports every signalling/ICE/DTLS/connection state
to its listener, decodes the remote video track into RGB :class:`VideoFrame` values and the
audio track into 48 kHz stereo s16 :class:`AudioChunk` values, and closes without leaving
tasks behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcicetransport import parse_stun_turn_uri
from aiortc.sdp import candidate_from_sdp

from navtalk_desktop.core.media.controller import PeerError, PeerListener
from navtalk_desktop.core.media.signaling import candidates_in
from navtalk_desktop.core.media.values import (
    IceCandidate,
    IceServer,
    MediaStats,
    SessionDescription,
)
from navtalk_desktop.infra.webrtc.frames import audio_value, video_value
from navtalk_desktop.infra.webrtc.ice_addresses import host_addresses, is_loopback
from navtalk_desktop.infra.webrtc.stats import StatsMeter

log = logging.getLogger(__name__)


def rtc_ice_servers(servers: Sequence[IceServer]) -> tuple[list[RTCIceServer], list[str]]:
    """ICE servers aiortc can use, and why the others were left out.

    aiortc uses one STUN and one TURN server and no ``stuns:``; an empty list (never
    ``None``) keeps aiortc from falling back to its built-in public STUN server.
    """
    usable: list[RTCIceServer] = []
    skipped: list[str] = []
    for server in servers:
        urls: list[str] = []
        for url in server.urls:
            try:
                parse_stun_turn_uri(url)
            except ValueError as exc:
                skipped.append(f"{url}: {exc}")
                continue
            urls.append(url)
        if urls:
            usable.append(RTCIceServer(urls, server.username, server.credential))
    return usable, skipped


class AnsweringPeer:
    """A receive-only WebRTC peer that answers offers.

    Args:
        ice_servers: from ``conversation.connected.success``.
        listener: receives states, frames and chunks (on this loop).
        addresses: local addresses to gather host candidates on; ``None`` uses the
            machine's interfaces, plus 127.0.0.1 when the offer's candidates are all on
            loopback (the built-in simulator), which aioice would otherwise never offer.
        ice_timeout: seconds from our answer to a connected peer before ICE is reported
            failed. aioice gives up on unanswered checks only after ~64 s of
            retransmissions (and never when there is no candidate pair at all); browsers
            report failure after about 30 s.
    """

    def __init__(
        self,
        ice_servers: Sequence[IceServer],
        listener: PeerListener,
        *,
        addresses: Sequence[str] | None = None,
        ice_timeout: float = 30.0,
    ) -> None:
        self._listener = listener
        self._ice_timeout = ice_timeout
        self._settled = asyncio.Event()
        self._addresses = tuple(addresses) if addresses is not None else None
        usable, skipped = rtc_ice_servers(ice_servers)
        for reason in skipped:
            log.info("ICE server left out: %s", reason)
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=usable))
        self._tasks: set[asyncio.Task[None]] = set()
        self._watched: set[int] = set()
        self._closed = False
        self.meter = StatsMeter()
        self._pc.on("signalingstatechange", lambda: self._state("signaling", "signalingState"))
        self._pc.on(
            "icegatheringstatechange", lambda: self._state("ice-gathering", "iceGatheringState")
        )
        self._pc.on("iceconnectionstatechange", lambda: self._state("ice", "iceConnectionState"))
        self._pc.on("connectionstatechange", lambda: self._state("connection", "connectionState"))
        self._pc.on("track", self._on_track)

    # ------------------------------------------------------------------ PeerPort

    async def accept_offer(self, offer: SessionDescription) -> SessionDescription:
        """Apply an offer (first or renegotiation) and return our answer (candidates inside)."""
        if self._closed:
            raise PeerError("the media connection is closed")
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(offer.sdp, offer.type))
            self._watch_dtls()
            answer = await self._pc.createAnswer()
            with host_addresses(self._gather_on(offer)):
                await self._pc.setLocalDescription(answer)
        # aiortc reports a bad SDP with whatever its parser hits (ValueError, KeyError,
        # IndexError, InvalidStateError…): every one of them means "offer refused".
        except Exception as exc:
            raise PeerError(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from exc
        local = self._pc.localDescription
        if not any(t.get_name() == "webrtc-ice-watchdog" for t in self._tasks):
            self._start(self._watchdog(), "webrtc-ice-watchdog")
        return SessionDescription(local.type, local.sdp)

    async def add_remote_candidate(self, candidate: IceCandidate | None) -> None:
        """Add a server candidate (``None``: end of candidates)."""
        if self._closed:
            return
        if candidate is None:
            await self._pc.addIceCandidate(None)
            return
        try:
            rtc = candidate_from_sdp(candidate.candidate.removeprefix("candidate:"))
        except (ValueError, IndexError) as exc:
            raise PeerError(f"unreadable candidate {candidate.candidate[:80]!r}: {exc}") from exc
        rtc.sdpMid = candidate.sdp_mid
        rtc.sdpMLineIndex = candidate.sdp_mline_index
        if rtc.sdpMid is None and rtc.sdpMLineIndex is None:
            rtc.sdpMLineIndex = 0  # NavTalk's servers bundle everything on the first m-line
        try:
            await self._pc.addIceCandidate(rtc)
        except (ValueError, ConnectionError) as exc:
            raise PeerError(f"candidate refused: {exc}") from exc

    async def stats(self) -> MediaStats:
        """Stats snapshot: aiortc's RTP/transport counters plus frame counts kept here."""
        if self._closed:
            raise PeerError("the media connection is closed")
        report = await self._pc.getStats()
        return self.meter.snapshot(report)

    def describe_local_candidates(self) -> list[str]:
        """Our candidates as ``ip:port/proto type``."""
        local = self._pc.localDescription
        if local is None:
            return []
        out = []
        for candidate in candidates_in(SessionDescription(local.type, local.sdp)):
            parts = candidate.candidate.split()
            if len(parts) > 7:
                out.append(f"{parts[4]}:{parts[5]}/{parts[2].lower()} {parts[7]}")
        return list(dict.fromkeys(out))  # bundled sections repeat the same candidates

    async def close(self) -> None:
        """Close the connection, stop the track readers, report nothing more."""
        if self._closed:
            return
        self._closed = True
        await self._pc.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    # ------------------------------------------------------------------ internals

    @property
    def connection(self) -> RTCPeerConnection:
        """The aiortc connection (for tests and diagnostics)."""
        return self._pc

    def _gather_on(self, offer: SessionDescription) -> tuple[str, ...] | None:
        if self._addresses is not None:
            return self._addresses
        remote = [c.candidate.split() for c in candidates_in(offer)]
        hosts = [parts[4] for parts in remote if len(parts) > 4]
        if hosts and all(is_loopback(h) for h in hosts):
            # Everything the server offers is on this machine's loopback (the simulator).
            return ("127.0.0.1",)
        return None

    def _start(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watchdog(self) -> None:
        try:
            await asyncio.wait_for(self._settled.wait(), self._ice_timeout)
        except TimeoutError:
            if not self._closed:
                self._listener.peer_state(
                    "ice",
                    "failed",
                    f"no candidate pair answered within {self._ice_timeout:g} s",
                )

    def _state(self, layer: str, attribute: str) -> None:
        if self._closed and layer != "connection":
            return
        state = str(getattr(self._pc, attribute))
        if layer == "connection" and state in ("connected", "failed", "closed"):
            self._settled.set()
        reason = ""
        if layer == "connection" and state == "closed" and self._closed:
            reason = "closed by the app"
        self._listener.peer_state(layer, state, reason)

    def _watch_dtls(self) -> None:
        for transceiver in self._pc.getTransceivers():
            dtls = transceiver.receiver.transport
            if id(dtls) in self._watched:
                continue
            self._watched.add(id(dtls))

            def changed(transport: object = dtls) -> None:
                if not self._closed:
                    self._listener.peer_state("dtls", str(getattr(transport, "state", "?")))

            dtls.on("statechange", changed)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self._closed:
            return
        self._listener.peer_state(f"{track.kind}-track", "received")
        self._start(self._read(track), f"webrtc-{track.kind}-reader")

    async def _read(self, track: MediaStreamTrack) -> None:
        kind = track.kind
        try:
            while True:
                frame = await track.recv()
                if kind == "video":
                    value = video_value(frame, self.meter.video_frames)  # type: ignore[arg-type]
                    self.meter.saw_video(value.width, value.height)
                    self._listener.video_frame(value)
                else:
                    chunk = audio_value(frame)  # type: ignore[arg-type]
                    self.meter.saw_audio()
                    self._listener.audio_chunk(chunk)
        except MediaStreamError:
            if not self._closed:
                self._listener.track_ended(kind, "the server ended the track")
        except asyncio.CancelledError:
            raise
        # A frame we cannot convert ends this reader, not the session: say why.
        except Exception as exc:
            log.exception("reading the %s track failed", kind)
            if not self._closed:
                self._listener.track_ended(kind, f"could not decode: {exc}")
