"""The avatar's WebRTC peer port for the engine, with aiortc imported only when media starts."""

from __future__ import annotations

from collections.abc import Sequence

from navtalk_desktop.core.media import IceServer, PeerListener, PeerPort


def answering_peer(ice_servers: Sequence[IceServer], listener: PeerListener) -> PeerPort:
    """An :class:`~navtalk_desktop.infra.webrtc.AnsweringPeer` (the engine's ``PeerFactory``).

    aiortc is imported here, at the first offer, so runs without media never load it.
    """
    from navtalk_desktop.infra.webrtc import AnsweringPeer

    return AnsweringPeer(ice_servers, listener)


def webrtc_missing() -> str | None:
    """Why WebRTC cannot run here (``None``: aiortc and PyAV are installed)."""
    import importlib.util

    for name in ("aiortc", "av"):
        if importlib.util.find_spec(name) is None:
            return f"WebRTC is not available: the Python package {name!r} is not installed"
    return None
