"""WebRTC signalling stand-ins: ICE servers for ``connected.success`` and canned SDPs.

The simulator has no media stack. Its offer is a syntactically valid SDP (audio + video,
host candidate on loopback) so clients can feed it to ``setRemoteDescription``; media
never flows, which pure protocol tests do not need.
"""

from __future__ import annotations

from typing import Any


def ice_servers(host: str) -> list[dict[str, Any]]:
    """ICE servers in the array-``urls`` form iOS requires; they point at the simulator host."""
    return [
        {"urls": [f"stun:{host}:3478"]},
        {"urls": [f"turn:{host}:3478"], "username": "simulator", "credential": "simulator"},
    ]


def _sdp(session_id: str, kind: str, host: str) -> str:
    # The session id's digits make the o= line unique per session, as real offers are.
    origin = int("".join(ch for ch in session_id if ch.isdigit())[:18] or "1")
    setup = "actpass" if kind == "offer" else "active"
    fingerprint = ":".join(f"{(i * 37 + 11) % 256:02X}" for i in range(32))
    lines = [
        "v=0",
        f"o=- {origin} 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic: WMS navtalk",
    ]
    for mid, media, codec in (("0", "audio", "111 opus/48000/2"), ("1", "video", "96 VP8/90000")):
        payload = codec.split()[0]
        lines += [
            f"m={media} 9 UDP/TLS/RTP/SAVPF {payload}",
            "c=IN IP4 0.0.0.0",
            "a=rtcp:9 IN IP4 0.0.0.0",
            f"a=candidate:1 1 udp 2130706431 {host} 50000 typ host",
            "a=ice-ufrag:navt",
            "a=ice-pwd:navtalksimulatorpassword00",
            f"a=fingerprint:sha-256 {fingerprint}",
            f"a=setup:{setup}",
            f"a=mid:{mid}",
            "a=sendonly" if kind == "offer" else "a=recvonly",
            "a=rtcp-mux",
            f"a=rtpmap:{codec}",
        ]
        if media == "audio":
            lines.append(f"a=fmtp:{payload} minptime=10;useinbandfec=1")
        lines.append(f"a=msid:navtalk {media}0")
    return "\r\n".join(lines) + "\r\n"


def offer_sdp(session_id: str, host: str = "127.0.0.1") -> dict[str, str]:
    """``data.sdp`` of ``webrtc.signaling.offer``."""
    return {"type": "offer", "sdp": _sdp(session_id, "offer", host)}


def answer_sdp(session_id: str, host: str = "127.0.0.1") -> dict[str, str]:
    """``data.sdp`` of the ``webrtc.signaling.answer`` to a client's renegotiation offer."""
    return {"type": "answer", "sdp": _sdp(session_id, "answer", host)}
