"""The media controller: signalling in, peer commands out, one ordered stream of media events.

Qt-free and WebRTC-stack-free: the engine hands it the server's ``webrtc.signaling.*``
payloads, ``iceServers``, audio deltas and ``speech_started``; it drives a :class:`PeerPort`
(``infra.webrtc.AnsweringPeer`` in the app) and reports everything through one ``emit``
callable, in order: states, failures with reasons, frames, chunks and the signalling
messages the engine must send (:class:`SignalToSend`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from navtalk_desktop.core.media.audio_delta import AudioDeltaDecoder, AudioDeltaError
from navtalk_desktop.core.media.signaling import (
    SignalingError,
    candidate_address,
    candidates_in,
    offered_kinds,
    parse_candidate,
    parse_description,
    parse_ice_servers,
)
from navtalk_desktop.core.media.values import (
    AudioChunk,
    IceCandidate,
    IceServer,
    MediaError,
    MediaEvent,
    MediaPhase,
    MediaState,
    MediaStats,
    PeerStateChanged,
    SessionDescription,
    SignalToSend,
    StopPlayback,
    VideoFrame,
)

OFFER = "webrtc.signaling.offer"
ANSWER = "webrtc.signaling.answer"
ICE_CANDIDATE = "webrtc.signaling.iceCandidate"
# Candidates that arrive before the offer are kept (servers may trickle early), up to this.
MAX_EARLY_CANDIDATES = 64


class PeerError(Exception):
    """The WebRTC stack refused something; ``str(error)`` is the reason for the user."""


class PeerListener(Protocol):
    """What a peer reports back (called on the loop that runs the peer)."""

    def peer_state(self, layer: str, state: str, reason: str = "") -> None:
        """A signalling/ICE/DTLS/connection state changed."""

    def video_frame(self, frame: VideoFrame) -> None:
        """A decoded remote video frame."""

    def audio_chunk(self, chunk: AudioChunk) -> None:
        """Decoded remote audio."""

    def local_candidate(self, candidate: IceCandidate) -> None:
        """A local candidate the stack trickles (stacks that put them in the SDP need not)."""

    def track_ended(self, kind: str, reason: str) -> None:
        """A remote track ended."""


class PeerPort(Protocol):
    """A WebRTC peer that answers offers (``infra.webrtc.AnsweringPeer``)."""

    async def accept_offer(self, offer: SessionDescription) -> SessionDescription:
        """Apply a remote offer (first or renegotiation) and return the local answer.

        Raises:
            PeerError: the stack refused the offer.
        """

    async def add_remote_candidate(self, candidate: IceCandidate | None) -> None:
        """Add a trickled remote candidate (``None``: end of candidates)."""

    async def stats(self) -> MediaStats:
        """A stats snapshot."""

    def describe_local_candidates(self) -> list[str]:
        """Local candidates as ``ip:port/proto type``, for failure reasons."""

    async def close(self) -> None:
        """Close the peer; no callbacks follow."""


PeerFactory = Callable[[tuple[IceServer, ...], PeerListener], PeerPort]


class MediaController:
    """Turns signalling payloads into peer commands and peer callbacks into media events.

    Args:
        peer_factory: builds the peer for the first offer (ICE servers known by then).
        emit: receives every :data:`MediaEvent`, in order, on the engine's loop.
    """

    def __init__(self, peer_factory: PeerFactory, emit: Callable[[MediaEvent], None]) -> None:
        self._factory = peer_factory
        self._emit = emit
        self._peer: PeerPort | None = None
        self._ice_servers: tuple[IceServer, ...] = ()
        self._lock = asyncio.Lock()
        self._early: list[IceCandidate | None] = []
        self._remote_candidates: list[IceCandidate] = []
        self._sent_candidates: set[str] = set()
        self._decoder = AudioDeltaDecoder()
        self._closed = False
        self.state = MediaState(MediaPhase.NOT_OFFERED)

    # ------------------------------------------------------------------ engine → controller

    def configure(self, ice_servers: Sequence[Any]) -> tuple[IceServer, ...]:
        """Take ``iceServers`` from ``conversation.connected.success`` (used by the next peer)."""
        servers, skipped = parse_ice_servers(ice_servers)
        for reason in skipped:
            self._emit(MediaError("ice-servers", reason))
        self._ice_servers = servers
        return servers

    async def handle_signal(self, type_: str, data: Mapping[str, Any]) -> None:
        """Handle one server ``webrtc.signaling.*`` message (offers and candidates in order)."""
        async with self._lock:
            if self._closed:
                return
            if type_ == OFFER:
                await self._on_offer(data)
            elif type_ == ICE_CANDIDATE:
                await self._on_candidate(data)
            elif type_ == ANSWER:
                self._emit(
                    MediaError("answer", "the server sent an answer, but this app never offers")
                )
            else:
                self._emit(MediaError("signaling", f"unknown signalling message {type_!r}"))

    def handle_audio_delta(self, payload: str) -> None:
        """Decode a ``realtime.response.audio.delta`` payload into an :class:`AudioChunk`."""
        try:
            chunk = self._decoder.decode(payload)
        except AudioDeltaError as exc:
            self._emit(MediaError("audio-delta", str(exc)))
            return
        self._emit(chunk)

    def response_done(self) -> None:
        """``realtime.response.audio.done``: the next delta starts a new media clock."""
        self._decoder.reset()

    def speech_started(self) -> None:
        """``input_audio_buffer.speech_started``: the user barges in; stop the voice now."""
        self._decoder.reset()
        self._emit(StopPlayback("barge-in"))

    async def stats(self) -> MediaStats | None:
        """Emit and return a stats snapshot (``None`` and a :class:`MediaError` without a peer)."""
        if self._peer is None:
            self._emit(MediaError("stats", "no media connection: nothing to measure"))
            return None
        try:
            stats = await self._peer.stats()
        except PeerError as exc:
            self._emit(MediaError("stats", str(exc)))
            return None
        self._emit(stats)
        return stats

    async def close(self, reason: str = "session ended") -> None:
        """Close the peer and report :attr:`MediaPhase.CLOSED`."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            peer, self._peer = self._peer, None
        if peer is not None:
            await peer.close()
        self._emit(StopPlayback("closed"))
        self._set_state(MediaState(MediaPhase.CLOSED, reason))

    # ------------------------------------------------------------------ signalling

    async def _on_offer(self, data: Mapping[str, Any]) -> None:
        try:
            offer = parse_description(data, "offer")
        except SignalingError as exc:
            self._emit(MediaError("offer", str(exc)))
            return
        has_video, has_audio = offered_kinds(offer)
        renegotiation = self._peer is not None
        if not renegotiation:
            self._set_state(MediaState(MediaPhase.NEGOTIATING, "", has_video, has_audio))
        self._remote_candidates.extend(candidates_in(offer))
        if self._peer is None:
            self._peer = self._factory(self._ice_servers, _Listener(self))
        try:
            answer = await self._peer.accept_offer(offer)
        except PeerError as exc:
            self._emit(MediaError("offer", f"could not answer the offer: {exc}"))
            if not renegotiation:
                # A refused first offer leaves the stack half set up: start afresh next time.
                peer, self._peer = self._peer, None
                self._remote_candidates.clear()
                await peer.close()
                self._set_state(MediaState(MediaPhase.FAILED, str(exc), has_video, has_audio))
            return
        self._emit(SignalToSend("answer", description=answer))
        # NavTalk's clients trickle every candidate; aiortc puts them in the SDP only.
        for local in candidates_in(answer):
            self._send_candidate(local)
        phase = self.state.phase
        if phase in (MediaPhase.NEGOTIATING, MediaPhase.NOT_OFFERED):
            phase = MediaPhase.CONNECTING
        self._set_state(MediaState(phase, self.state.reason, has_video, has_audio))
        early, self._early = self._early, []
        for remote in early:
            await self._add_candidate(remote)

    async def _on_candidate(self, data: Mapping[str, Any]) -> None:
        try:
            candidate = parse_candidate(data)
        except SignalingError as exc:
            self._emit(MediaError("candidate", str(exc)))
            return
        if self._peer is None:
            if len(self._early) < MAX_EARLY_CANDIDATES:
                self._early.append(candidate)
            else:
                self._emit(MediaError("candidate", "too many candidates before the offer"))
            return
        await self._add_candidate(candidate)

    async def _add_candidate(self, candidate: IceCandidate | None) -> None:
        assert self._peer is not None
        if candidate is not None:
            self._remote_candidates.append(candidate)
        try:
            await self._peer.add_remote_candidate(candidate)
        except PeerError as exc:
            self._emit(MediaError("candidate", str(exc)))

    def _send_candidate(self, candidate: IceCandidate) -> None:
        if candidate.candidate in self._sent_candidates:
            return
        self._sent_candidates.add(candidate.candidate)
        self._emit(SignalToSend("iceCandidate", candidate=candidate))

    # ------------------------------------------------------------------ peer → events

    def _set_state(self, state: MediaState) -> None:
        if state != self.state:
            self.state = state
            self._emit(state)

    def _on_peer_state(self, layer: str, state: str, reason: str) -> None:
        if layer in ("ice", "dtls", "connection") and state == "failed":
            detail = self._failure_reason(layer)
            reason = f"{detail}: {reason}" if reason else detail
        self._emit(PeerStateChanged(layer, state, reason))
        current = self.state
        if self._closed or current.phase is MediaPhase.CLOSED:
            return
        if layer == "connection" and state == "connected":
            self._set_state(
                MediaState(MediaPhase.CONNECTED, "", current.has_video, current.has_audio)
            )
        elif state == "failed" and current.phase is not MediaPhase.FAILED:
            self._set_state(
                MediaState(MediaPhase.FAILED, reason, current.has_video, current.has_audio)
            )
        elif layer == "connection" and state == "closed":
            self._set_state(
                MediaState(
                    MediaPhase.CLOSED,
                    reason or "the peer closed",
                    current.has_video,
                    current.has_audio,
                )
            )

    def _failure_reason(self, layer: str) -> str:
        if layer == "dtls":
            return "DTLS handshake failed (certificate fingerprint mismatch or no reply)"
        peer = self._peer
        local = peer.describe_local_candidates() if peer is not None else []
        remote = list(dict.fromkeys(candidate_address(c) for c in self._remote_candidates))
        if not remote:
            return "ICE failed: the server offered no candidates we could try"
        return (
            f"ICE failed ({len(local)} local candidates: {', '.join(local[:4]) or 'none'}; "
            f"{len(remote)} remote: {', '.join(remote[:4])})"
        )


class _Listener:
    """The controller's face towards the peer (kept separate so peers cannot call commands)."""

    def __init__(self, controller: MediaController) -> None:
        self._controller = controller

    def peer_state(self, layer: str, state: str, reason: str = "") -> None:
        self._controller._on_peer_state(layer, state, reason)

    def video_frame(self, frame: VideoFrame) -> None:
        self._controller._emit(frame)

    def audio_chunk(self, chunk: AudioChunk) -> None:
        self._controller._emit(chunk)

    def local_candidate(self, candidate: IceCandidate) -> None:
        self._controller._send_candidate(candidate)

    def track_ended(self, kind: str, reason: str) -> None:
        self._controller._emit(PeerStateChanged(f"{kind}-track", "ended", reason))
