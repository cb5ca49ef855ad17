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
import importlib
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
# How long a session's end waits for a signalling step in flight before cancelling it.
_STEP_GRACE_S = 5.0
_PEER_MODULE = "navtalk_desktop.simulator.media.peer"


async def load_media_stack() -> None:
    """Import aiortc, PyAV and numpy in a worker thread (about a second on a busy machine).

    The app runs its built-in simulator on the GUI thread's event loop: importing there
    would freeze the window. The server calls this once at start when media is on, so the
    first session's offer is not late either.
    """
    await asyncio.to_thread(importlib.import_module, _PEER_MODULE)


class SessionMedia:
    """The avatar's media for one session.

    Args:
        session_id: for canned SDPs and log lines.
        host: the simulator's host (canned SDP candidate).
        avatar: whose face is drawn (``None``: the session was refused).
        enabled: real media (else canned SDPs).
        send: sends one frame to the client.
        note: records ``kind, **fields`` in the session log.

    Signalling steps run in tasks of this object, not the session's: cancelling aiortc in
    the middle of applying a description leaves its discarded ICE sockets open, so
    :meth:`close` lets a step in flight finish before it closes the peer.
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
    ) -> None:
        self._id = session_id
        self._host = host
        self._avatar = avatar
        self.enabled = enabled and avatar is not None
        self._send = send
        self._note = note
        self._steps: set[asyncio.Task[None]] = set()
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
            await self._send({"type": "webrtc.signaling.offer", "data": {"sdp": sdp}})
            return
        # Shielded: if the session ends meanwhile, close() waits for the step to finish.
        await asyncio.shield(self._step(self._offer(), "offer"))

    async def _offer(self) -> None:
        async with self._lock:
            sdp = await self._guarded("offer", self._new_offer)
        if sdp is not None:
            await self._send({"type": "webrtc.signaling.offer", "data": {"sdp": sdp}})

    def _step(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        task = asyncio.create_task(self._quiet(coro, what), name=f"sim-{self._id[:8]}-{what}")
        self._steps.add(task)
        task.add_done_callback(self._steps.discard)
        return task

    async def _quiet(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await coro
        except Exception as exc:  # noqa: BLE001  (e.g. the socket closed: logged, never raised)
            if not self._closed:  # after the session's end a failed send is expected
                self._note("webrtc.error", step=what, error=repr(exc)[:500])

    async def _new_offer(self) -> dict[str, str]:
        peer = await self._new_peer()
        sdp = await peer.offer()
        self._note("webrtc.offer", candidates=sdp["sdp"].count("a=candidate:"))
        return sdp

    async def _new_peer(self) -> MediaPeer:
        await load_media_stack()  # a no-op once imported
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
        self._step(self._answer(data.get("sdp")), "webrtc-client-offer")

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
            self._step(self._locked("answer", "accept_answer", data.get("sdp")), "webrtc-answer")

    async def on_candidate(self, data: dict[str, Any]) -> None:
        """A trickled client candidate."""
        if self.enabled:
            self._step(
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
        """Let signalling steps in flight finish, then close the peer (session end); idempotent."""
        self._closed = True
        if self._steps:
            _, pending = await asyncio.wait(set(self._steps), timeout=_STEP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        peer, self._peer = self._peer, None
        if peer is not None:
            await peer.close()
