"""WebRTC signalling of one simulated session: a real media peer, or canned SDPs.

With media on, the session's offer comes from a real aiortc peer (see :mod:`.peer`),
client answers, trickled candidates and renegotiation offers go to it, and the avatar's
speech is mirrored onto its audio track. With media off (``--no-media``,
``SimulatorConfig.fast()``, ``media=0`` in the URL) the old canned SDPs are sent: cheap,
and enough for pure protocol tests, but no media ever flows.

Signalling problems (bad SDP, an unreadable candidate, ICE failure) never end the session:
they become ``webrtc.error`` lines in the session log and a warning on the logger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from navtalk_desktop.simulator.roster import Avatar
from navtalk_desktop.simulator.signaling import answer_sdp, offer_sdp

if TYPE_CHECKING:
    from navtalk_desktop.simulator.media.peer import MediaPeer

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
Note = Callable[..., None]
Spawn = Callable[[Coroutine[Any, Any, None], str], object]


class SessionMedia:
    """The avatar's media for one session.

    Args:
        session_id: for canned SDPs and log lines.
        host: the simulator's host (canned SDP candidate).
        avatar: whose face is drawn (``None``: the session was refused).
        enabled: real media (else canned SDPs).
        send: sends one frame to the client.
        note: records ``kind, **fields`` in the session log.
        spawn: runs a coroutine as a session-owned task (cancelled when the session ends).
    """

    def __init__(
        self,
        *,
        session_id: str,
        host: str,
        avatar: Avatar | None,
        enabled: bool,
        send: Send,
        note: Note,
        spawn: Spawn,
    ) -> None:
        self._id = session_id
        self._host = host
        self._avatar = avatar
        self.enabled = enabled and avatar is not None
        self._send = send
        self._note = note
        self._spawn = spawn
        self._peer: MediaPeer | None = None
        # Signalling steps run in arrival order, off the session's reader loop.
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def peer(self) -> MediaPeer | None:
        """The live peer (tests and diagnostics)."""
        return self._peer

    # ------------------------------------------------------------------ server offer

    async def send_offer(self) -> None:
        """Send ``webrtc.signaling.offer``: a real peer's offer, or the canned one."""
        if not self.enabled:
            sdp = offer_sdp(self._id, self._host)
        else:
            async with self._lock:
                sdp_or_none = await self._guarded("offer", self._new_offer)
            if sdp_or_none is None:
                return
            sdp = sdp_or_none
        await self._send({"type": "webrtc.signaling.offer", "data": {"sdp": sdp}})

    async def _new_offer(self) -> dict[str, str]:
        peer = await self._new_peer()
        sdp = await peer.offer()
        self._note("webrtc.offer", candidates=sdp["sdp"].count("a=candidate:"))
        return sdp

    async def _new_peer(self) -> MediaPeer:
        from navtalk_desktop.simulator.media.peer import MediaPeer

        if self._peer is not None:
            await self._peer.close()
        assert self._avatar is not None
        self._peer = MediaPeer(self._avatar, lambda kind, **fields: self._note(kind, **fields))
        if self._closed:  # the session ended while the media stack loaded
            await self._peer.close()
        return self._peer

    # ------------------------------------------------------------------ client frames

    async def on_offer(self, data: dict[str, Any]) -> None:
        """A client offer (first or renegotiation): reply with ``webrtc.signaling.answer``."""
        if not self.enabled:
            await self._send(
                {
                    "type": "webrtc.signaling.answer",
                    "data": {"sdp": answer_sdp(self._id, self._host)},
                }
            )
            return
        self._spawn(self._answer(data.get("sdp")), "webrtc-answer")

    async def _answer(self, value: object) -> None:
        async with self._lock:
            sdp = await self._guarded("client offer", lambda: self._answer_with_peer(value))
        if sdp is not None:
            await self._send({"type": "webrtc.signaling.answer", "data": {"sdp": sdp}})

    async def _answer_with_peer(self, value: object) -> dict[str, str]:
        peer = self._peer
        if peer is None or peer.signaling_state != "stable":
            # No peer yet, or our own offer is unanswered (glare): the client's offer wins
            # and a fresh peer answers it, as a polite server would.
            if peer is not None:
                self._note("webrtc.glare", why="client offer while ours was unanswered")
            peer = await self._new_peer()
        return await peer.answer(value)

    async def on_answer(self, data: dict[str, Any]) -> None:
        """The client's answer to our offer."""
        if self.enabled:
            self._spawn(self._locked("answer", "accept_answer", data.get("sdp")), "webrtc-answer")

    async def on_candidate(self, data: dict[str, Any]) -> None:
        """A trickled client candidate."""
        if self.enabled:
            self._spawn(
                self._locked("candidate", "add_candidate", data.get("candidate")),
                "webrtc-candidate",
            )

    async def _locked(self, what: str, method: str, value: object) -> None:
        async with self._lock:
            peer = self._peer
            if peer is None:
                self._note("webrtc.error", step=what, error="no WebRTC peer (no offer was sent)")
                return
            await self._guarded(what, lambda: getattr(peer, method)(value))

    async def _guarded(self, what: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """Run one signalling step; failures are logged, never raised."""
        from navtalk_desktop.simulator.media.peer import SignalingError

        try:
            return await step()
        except SignalingError as exc:
            self._note("webrtc.error", step=what, error=str(exc))
            log.warning("simulator session %s: WebRTC %s: %s", self._id, what, exc)
        except Exception as exc:  # noqa: BLE001  (aiortc raises assorted types on hostile SDP; logged)
            self._note("webrtc.error", step=what, error=repr(exc)[:500])
            log.warning("simulator session %s: WebRTC %s failed: %r", self._id, what, exc)
        return None

    # ------------------------------------------------------------------ speech

    def say(self, pcm: bytes) -> None:
        """Mirror one audio delta's PCM onto the audio track (played from now on)."""
        if self._peer is not None:
            self._peer.say(pcm)

    def hush(self) -> None:
        """Barge-in: the voice stops at once."""
        if self._peer is not None:
            self._peer.hush()

    async def close(self) -> None:
        """Close the peer (session end); idempotent."""
        self._closed = True
        peer, self._peer = self._peer, None
        if peer is not None:
            await peer.close()
