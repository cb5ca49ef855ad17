"""One real WebRTC peer (aiortc) sending an avatar's face and voice to a client.

The peer never contacts a STUN or TURN server (aiortc would default to a public one): its
candidates are the host addresses chosen by :mod:`navtalk_desktop.simulator.media.hosts`,
written into the SDP, because NavTalk's web clients ignore server-trickled candidates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiortc import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from navtalk_desktop.simulator.media.face import FacePainter
from navtalk_desktop.simulator.media.hosts import loopback_candidates
from navtalk_desktop.simulator.media.tracks import FaceTrack, SpeechTrack
from navtalk_desktop.simulator.roster import Avatar

log = logging.getLogger(__name__)

Note = Callable[..., None]
"""``note(kind, **fields)``: records a line in the simulator's session log."""


class SignalingError(ValueError):
    """A client's SDP or candidate the peer cannot use (the message says why)."""


def description(value: object, kind: str) -> RTCSessionDescription:
    """``data.sdp`` (``{type, sdp}``) as an aiortc description of ``kind``.

    Raises:
        SignalingError: not an object with ``type`` == ``kind`` and an ``sdp`` string.
    """
    if not isinstance(value, dict):
        raise SignalingError(
            f"data.sdp must be an object {{type, sdp}}, not {type(value).__name__}"
        )
    if value.get("type") != kind:
        raise SignalingError(f"data.sdp.type must be {kind!r}, not {value.get('type')!r}")
    sdp = value.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise SignalingError("data.sdp.sdp must be an SDP text starting with 'v=0'")
    return RTCSessionDescription(sdp=sdp, type=kind)


def ice_candidate(value: object) -> RTCIceCandidate | None:
    """``data.candidate`` (``{candidate, sdpMid, sdpMLineIndex}``); ``None`` = end of candidates.

    Raises:
        SignalingError: not a candidate object or an unreadable ``candidate`` line.
    """
    if not isinstance(value, dict):
        raise SignalingError("data.candidate must be an object {candidate, sdpMid, sdpMLineIndex}")
    line = value.get("candidate")
    if line in ("", None):
        return None
    if not isinstance(line, str):
        raise SignalingError("data.candidate.candidate must be a string")
    try:
        candidate = candidate_from_sdp(line.removeprefix("a=").removeprefix("candidate:"))
    except (AssertionError, ValueError, IndexError) as exc:
        raise SignalingError(f"unreadable ICE candidate {line[:120]!r}: {exc!r}") from None
    mid, index = value.get("sdpMid"), value.get("sdpMLineIndex")
    candidate.sdpMid = mid if isinstance(mid, str) else None
    candidate.sdpMLineIndex = index if isinstance(index, int) else None
    if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
        raise SignalingError("data.candidate needs sdpMid or sdpMLineIndex")
    return candidate


class MediaPeer:
    """The simulator's side of one WebRTC connection.

    Args:
        avatar: whose face is drawn.
        note: session-log callback for states, timings and errors.
    """

    def __init__(self, avatar: Avatar, note: Note) -> None:
        self._note = note
        # iceServers=[]: without it aiortc asks a public STUN server for a reflexive address.
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.speech = SpeechTrack()
        self.face = FaceTrack(FacePainter(avatar), self.speech, self._on_first_frame)
        self._answered_at: float | None = None
        self._pending: list[RTCIceCandidate | None] = []
        self._closed = False
        self._pc.on("iceconnectionstatechange", self._on_ice_state)
        self._pc.on("connectionstatechange", self._on_connection_state)

    @property
    def signaling_state(self) -> str:
        """aiortc's signalling state (``stable``, ``have-local-offer`` …)."""
        return str(self._pc.signalingState)

    @property
    def ice_state(self) -> str:
        """ICE connection state (``new``, ``checking``, ``completed``, ``failed`` …)."""
        return str(self._pc.iceConnectionState)

    async def offer(self) -> dict[str, str]:
        """A send-only audio + video offer with host candidates (``data.sdp``)."""
        self._pc.addTransceiver(self.speech, direction="sendonly")
        self._pc.addTransceiver(self.face, direction="sendonly")
        offer = await self._pc.createOffer()
        with loopback_candidates():
            await self._pc.setLocalDescription(offer)
        return self._local()

    async def accept_answer(self, value: object) -> None:
        """Apply the client's answer to our offer; ICE and DTLS start.

        Raises:
            SignalingError: unusable answer or no offer outstanding.
        """
        answer = description(value, "answer")
        if self._pc.signalingState != "have-local-offer":
            raise SignalingError(f"no offer is waiting for an answer ({self._pc.signalingState})")
        await self._apply(answer)

    async def answer(self, value: object) -> dict[str, str]:
        """Answer a client's offer (first offer or renegotiation) with our face and voice.

        Raises:
            SignalingError: unusable offer.
        """
        offer = description(value, "offer")
        await self._apply(offer)
        for transceiver in self._pc.getTransceivers():
            track = self.speech if transceiver.kind == "audio" else self.face
            if transceiver.sender.track is None and transceiver.direction != "inactive":
                self._pc.addTrack(track)
        answer = await self._pc.createAnswer()
        with loopback_candidates():
            await self._pc.setLocalDescription(answer)
        return self._local()

    async def add_candidate(self, value: object) -> None:
        """Add a trickled client candidate (kept until the remote description is set).

        Raises:
            SignalingError: unreadable candidate.
        """
        candidate = ice_candidate(value)
        if self._pc.remoteDescription is None:
            self._pending.append(candidate)
            return
        await self._pc.addIceCandidate(candidate)

    def say(self, pcm: bytes) -> None:
        """Speak ``pcm`` (PCM16 24 kHz mono) now."""
        self.speech.say(pcm)

    def hush(self) -> None:
        """Stop speaking at once."""
        self.speech.hush()

    async def close(self) -> None:
        """Stop the tracks and the connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.speech.stop()
        self.face.stop()
        await self._pc.close()

    # ------------------------------------------------------------------ internals

    async def _apply(self, remote: RTCSessionDescription) -> None:
        try:
            await self._pc.setRemoteDescription(remote)
        except (ValueError, AssertionError, KeyError, IndexError) as exc:
            raise SignalingError(f"the {remote.type} SDP was rejected: {exc!r}"[:500]) from None
        if remote.type == "answer":
            self._answered_at = time.monotonic()
        pending, self._pending = self._pending, []
        for candidate in pending:
            await self._pc.addIceCandidate(candidate)

    def _local(self) -> dict[str, str]:
        local = self._pc.localDescription
        return {"type": local.type, "sdp": local.sdp}

    def _since_answer_ms(self) -> int | None:
        if self._answered_at is None:
            return None
        return round((time.monotonic() - self._answered_at) * 1000)

    def _on_ice_state(self) -> None:
        state = self._pc.iceConnectionState
        self._note("webrtc.ice", state=state, ms_after_answer=self._since_answer_ms())
        if state == "failed" and not self._closed:
            log.warning("simulator WebRTC: ICE failed (no candidate pair answered)")
            self._note(
                "webrtc.error",
                error="ICE failed: no candidate pair answered; is the client on this machine?",
            )

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState
        self._note("webrtc.state", state=state, ms_after_answer=self._since_answer_ms())
        if state == "failed" and not self._closed:
            self._note("webrtc.error", error="WebRTC connection failed (ICE or DTLS)")

    def _on_first_frame(self) -> None:
        self._note("webrtc.first_frame", ms_after_answer=self._since_answer_ms())
