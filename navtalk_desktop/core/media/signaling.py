"""Reading ``webrtc.signaling.*`` payloads and SDP text: pure functions, clear errors.

Nothing here talks to a WebRTC stack. Malformed input raises :class:`SignalingError` with a
sentence a user can act on; the controller turns it into a :class:`MediaError` event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.media.values import IceCandidate, IceServer, SessionDescription

# SDPs larger than this are refused before any parsing (a real offer is a few kilobytes).
MAX_SDP_CHARS = 200_000
_ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


class SignalingError(ValueError):
    """A signalling payload that cannot be used, with the reason."""


def parse_description(data: Mapping[str, Any], expected_type: str) -> SessionDescription:
    """``data.sdp`` of an offer/answer message as a :class:`SessionDescription`.

    Accepts ``{"sdp": {"type", "sdp"}}`` (NavTalk) and, leniently, ``{"sdp": "v=0…"}``.

    Raises:
        SignalingError: no SDP, wrong type, not SDP text, or too large.
    """
    raw = data.get("sdp")
    if isinstance(raw, Mapping):
        kind = raw.get("type", expected_type)
        text = raw.get("sdp")
    else:
        kind, text = expected_type, raw
    if not isinstance(text, str) or not text.strip():
        raise SignalingError(f"the {expected_type} carries no SDP text (data.sdp.sdp)")
    if kind != expected_type:
        raise SignalingError(f"expected an SDP {expected_type}, got type {kind!r}")
    if len(text) > MAX_SDP_CHARS:
        raise SignalingError(
            f"the {expected_type} SDP is {len(text):,} characters (limit {MAX_SDP_CHARS:,})"
        )
    if not text.lstrip().startswith("v=0"):
        raise SignalingError(f"the {expected_type} SDP does not start with 'v=0': not SDP")
    if "\nm=" not in text.replace("\r\n", "\n"):
        raise SignalingError(f"the {expected_type} SDP has no media section (m= line)")
    return SessionDescription(expected_type, text)


def parse_candidate(data: Mapping[str, Any]) -> IceCandidate | None:
    """``data.candidate`` of an ``iceCandidate`` message; ``None`` means end of candidates.

    Raises:
        SignalingError: the candidate is missing or not a candidate line.
    """
    raw = data.get("candidate")
    if raw is None:
        return None
    if isinstance(raw, str):  # a bare candidate line
        raw = {"candidate": raw}
    if not isinstance(raw, Mapping):
        raise SignalingError("data.candidate is neither an object nor a candidate line")
    if "candidate" not in raw:
        raise SignalingError("data.candidate has no 'candidate' line")
    line = raw["candidate"]
    if line in ("", None):
        return None  # the browser's end-of-candidates marker
    if not isinstance(line, str):
        raise SignalingError("data.candidate.candidate is not text")
    line = line.removeprefix("a=").strip()
    if not line.startswith("candidate:") or len(line.split()) < 8:
        raise SignalingError(f"not an ICE candidate line: {line[:80]!r}")
    mid = raw.get("sdpMid")
    index = raw.get("sdpMLineIndex")
    ufrag = raw.get("usernameFragment")
    return IceCandidate(
        candidate=line,
        sdp_mid=str(mid) if mid is not None else None,
        sdp_mline_index=index if isinstance(index, int) and not isinstance(index, bool) else None,
        username_fragment=ufrag if isinstance(ufrag, str) else None,
    )


def parse_ice_servers(raw: Sequence[Any]) -> tuple[tuple[IceServer, ...], list[str]]:
    """``data.iceServers`` of ``connected.success`` as values, plus what was skipped and why.

    ``urls`` may be a string (as the docs show) or a list (as the iOS SDK needs).
    """
    servers: list[IceServer] = []
    skipped: list[str] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            skipped.append(f"iceServers[{index}] is not an object")
            continue
        urls = entry.get("urls", entry.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list):
            skipped.append(f"iceServers[{index}] has no urls")
            continue
        good = tuple(u for u in urls if isinstance(u, str) and u.startswith(_ICE_SCHEMES))
        if not good:
            skipped.append(f"iceServers[{index}] has no stun:/turn: url")
            continue
        if len(good) != len(urls):
            skipped.append(f"iceServers[{index}]: kept {len(good)} of {len(urls)} urls")
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(
            IceServer(
                urls=good,
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return tuple(servers), skipped


@dataclass(frozen=True, slots=True)
class MediaSection:
    """One m-line of an SDP, as far as the media path cares.

    Attributes:
        kind: ``audio``, ``video`` or ``application``.
        mid: ``a=mid`` value.
        direction: ``sendrecv``, ``sendonly``, ``recvonly`` or ``inactive``.
        port: the m-line's port (0 = rejected section).
        candidates: ``candidate:…`` lines in the section.
        ufrag: ``a=ice-ufrag`` (section or session level).
    """

    kind: str
    mid: str | None
    direction: str
    port: int
    candidates: tuple[str, ...]
    ufrag: str | None


def media_sections(sdp: str) -> list[MediaSection]:
    """The m-sections of an SDP with their candidates (session-level ufrag inherited)."""
    session_ufrag: str | None = None
    sections: list[dict[str, Any]] = []
    for raw_line in sdp.splitlines():
        line = raw_line.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            port = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            kind = parts[0] if parts else ""
            sections.append(
                {"kind": kind, "port": port, "mid": None, "dir": "sendrecv", "c": [], "u": None}
            )
            continue
        target = sections[-1] if sections else None
        if line.startswith("a=ice-ufrag:"):
            if target is None:
                session_ufrag = line.split(":", 1)[1]
            else:
                target["u"] = line.split(":", 1)[1]
        elif target is None:
            continue
        elif line.startswith("a=mid:"):
            target["mid"] = line.split(":", 1)[1]
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            target["dir"] = line[2:]
        elif line.startswith("a=candidate:"):
            target["c"].append(line[2:])
    return [
        MediaSection(
            s["kind"], s["mid"], s["dir"], s["port"], tuple(s["c"]), s["u"] or session_ufrag
        )
        for s in sections
    ]


def offered_kinds(offer: SessionDescription) -> tuple[bool, bool]:
    """``(has_video, has_audio)``: does the offer send us a video / audio track?"""
    video = audio = False
    for section in media_sections(offer.sdp):
        if section.port == 0 or section.direction not in ("sendrecv", "sendonly"):
            continue
        video |= section.kind == "video"
        audio |= section.kind == "audio"
    return video, audio


def candidates_in(description: SessionDescription) -> list[IceCandidate]:
    """Every candidate inside an SDP, as the trickle messages NavTalk's clients send."""
    out: list[IceCandidate] = []
    for index, section in enumerate(media_sections(description.sdp)):
        out.extend(
            IceCandidate(line, section.mid, index, section.ufrag) for line in section.candidates
        )
    return out


def candidate_address(candidate: IceCandidate) -> str:
    """``ip:port protocol type`` of a candidate line, for failure reasons."""
    parts = candidate.candidate.split()
    kind = parts[7] if len(parts) > 7 else "?"
    return (
        f"{parts[4]}:{parts[5]}/{parts[2].lower()} {kind}"
        if len(parts) > 5
        else candidate.candidate
    )
