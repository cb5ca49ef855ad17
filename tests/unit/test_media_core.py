"""core.media: values, signalling parsing, audio deltas and the controller without a peer."""

from __future__ import annotations

import base64
import dataclasses
import pickle
import struct

import pytest

from navtalk_desktop.core.media import (
    AudioChunk,
    AudioDeltaDecoder,
    AudioDeltaError,
    IceCandidate,
    MediaController,
    MediaError,
    MediaEvent,
    MediaPhase,
    MediaState,
    MediaStats,
    PeerStateChanged,
    SessionDescription,
    SignalingError,
    SignalToSend,
    StopPlayback,
    VideoFrame,
)
from navtalk_desktop.core.media.signaling import (
    candidates_in,
    offered_kinds,
    parse_candidate,
    parse_description,
    parse_ice_servers,
)

OFFER = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:sess\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:0\r\na=sendonly\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\na=ice-ufrag:aud\r\n"
    "a=candidate:2 1 udp 2130706431 127.0.0.1 5002 typ host\r\n"
)


def test_every_media_value_pickles_and_is_frozen() -> None:
    values: list[MediaEvent] = [
        MediaState(MediaPhase.FAILED, "ICE failed", True, True),
        PeerStateChanged("ice", "failed", "why"),
        MediaError("offer", "bad"),
        VideoFrame(2, 1, bytes(6), 0.04, 1),
        AudioChunk(bytes(8), 48_000, 2, 0.02),
        StopPlayback("barge-in"),
        MediaStats(fps=25.0, width=512, height=512),
        SignalToSend("answer", description=SessionDescription("answer", "v=0")),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value
        field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)


def test_frames_and_chunks_refuse_sizes_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="needs 6 RGB bytes"):
        VideoFrame(2, 1, bytes(5), 0.0)
    with pytest.raises(ValueError, match="not whole s16 frames"):
        AudioChunk(bytes(6), 48_000, 2, 0.0)
    chunk = AudioChunk(bytes(48_000 * 4), 48_000, 2, 0.0)
    assert chunk.frames == 48_000
    assert chunk.duration == 1.0


def test_signals_to_send_are_navtalk_client_messages() -> None:
    answer = SignalToSend("answer", description=SessionDescription("answer", "v=0…"))
    assert answer.message() == {
        "type": "webrtc.signaling.answer",
        "data": {"sdp": {"type": "answer", "sdp": "v=0…"}},
    }
    candidate = IceCandidate("candidate:1 1 udp 1 127.0.0.1 5 typ host", "0", 0, "ufrag")
    assert SignalToSend("iceCandidate", candidate=candidate).message() == {
        "type": "webrtc.signaling.iceCandidate",
        "data": {
            "candidate": {
                "candidate": "candidate:1 1 udp 1 127.0.0.1 5 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": "ufrag",
            }
        },
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "carries no SDP text"),
        ({"sdp": {"type": "offer", "sdp": ""}}, "carries no SDP text"),
        ({"sdp": {"type": "answer", "sdp": OFFER}}, "got type 'answer'"),
        ({"sdp": {"type": "offer", "sdp": "hello"}}, "not SDP"),
        ({"sdp": {"type": "offer", "sdp": "v=0\r\ns=-\r\n"}}, "no media section"),
        ({"sdp": {"type": "offer", "sdp": "v=0\nm=" + "x" * 200_000}}, "limit 200,000"),
    ],
)
def test_bad_descriptions_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(SignalingError, match=message):
        parse_description(data, "offer")


def test_offer_kinds_and_candidates_are_read_per_section() -> None:
    offer = parse_description({"sdp": {"type": "offer", "sdp": OFFER}}, "offer")
    assert offered_kinds(offer) == (True, True)
    assert candidates_in(offer) == [
        IceCandidate("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "0", 0, "sess"),
        IceCandidate("candidate:2 1 udp 2130706431 127.0.0.1 5002 typ host", "1", 1, "aud"),
    ]
    audio_only = OFFER.replace("m=video 9", "m=video 0")
    assert offered_kinds(SessionDescription("offer", audio_only)) == (False, True)


def test_candidates_parse_end_of_candidates_and_refuse_garbage() -> None:
    line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"
    parsed = parse_candidate({"candidate": {"candidate": "a=" + line, "sdpMLineIndex": 0}})
    assert parsed == IceCandidate(line, None, 0, None)
    assert parse_candidate({"candidate": {"candidate": "", "sdpMid": "0"}}) is None
    assert parse_candidate({}) is None
    with pytest.raises(SignalingError, match="not an ICE candidate line"):
        parse_candidate({"candidate": {"candidate": "candidate:1 2"}})
    with pytest.raises(SignalingError, match="no 'candidate' line"):
        parse_candidate({"candidate": {"sdpMid": "0"}})


def test_ice_servers_accept_strings_and_lists_and_say_what_was_left_out() -> None:
    servers, skipped = parse_ice_servers(
        [
            {"urls": "stun:127.0.0.1:3478"},
            {"urls": ["turn:127.0.0.1:3478", "http://x"], "username": "u", "credential": "c"},
            {"urls": 5},
            "nonsense",
        ]
    )
    assert [s.urls for s in servers] == [("stun:127.0.0.1:3478",), ("turn:127.0.0.1:3478",)]
    assert servers[1].username == "u"
    assert servers[1].credential == "c"
    assert skipped == [
        "iceServers[1]: kept 1 of 2 urls",
        "iceServers[2] has no urls",
        "iceServers[3] is not an object",
    ]


def test_audio_deltas_become_24k_mono_chunks_on_one_clock() -> None:
    decoder = AudioDeltaDecoder()
    pcm = struct.pack("<4800h", *range(4800))  # 200 ms
    first = decoder.decode(base64.b64encode(pcm).decode())
    second = decoder.decode(base64.b64encode(pcm[:4800]).decode())
    assert (first.rate, first.channels, first.source) == (24_000, 1, "delta")
    assert first.pcm == pcm
    assert first.timestamp == 0.0
    assert second.timestamp == pytest.approx(0.2)
    decoder.reset()
    assert decoder.decode(base64.b64encode(pcm).decode()).timestamp == 0.0
    with pytest.raises(AudioDeltaError, match="not valid base64"):
        decoder.decode("@@@@")
    with pytest.raises(AudioDeltaError, match="not whole 16-bit samples"):
        decoder.decode(base64.b64encode(b"abc").decode())


def _no_peer(*_: object) -> object:
    raise AssertionError("no peer may be built for this input")


@pytest.mark.asyncio
async def test_controller_reports_bad_input_without_building_a_peer() -> None:
    events: list[MediaEvent] = []
    media = MediaController(_no_peer, events.append)  # type: ignore[arg-type]
    media.configure([{"urls": ["stun:127.0.0.1:3478"]}, {"urls": []}])
    await media.handle_signal("webrtc.signaling.offer", {"sdp": {"type": "offer", "sdp": "x"}})
    await media.handle_signal("webrtc.signaling.answer", {"sdp": {"type": "answer"}})
    await media.handle_signal("webrtc.signaling.iceCandidate", {"candidate": "garbage"})
    media.handle_audio_delta("!!")
    media.handle_audio_delta(base64.b64encode(bytes(4)).decode())
    media.speech_started()
    assert await media.stats() is None
    kinds = [(type(e).__name__, getattr(e, "stage", "")) for e in events]
    assert kinds == [
        ("MediaError", "ice-servers"),
        ("MediaError", "offer"),
        ("MediaError", "answer"),
        ("MediaError", "candidate"),
        ("MediaError", "audio-delta"),
        ("AudioChunk", ""),
        ("StopPlayback", ""),
        ("MediaError", "stats"),
    ]
    assert media.state.phase is MediaPhase.NOT_OFFERED
    await media.close()
    assert events[-1] == MediaState(MediaPhase.CLOSED, "session ended")


def test_state_descriptions_say_why_there_is_no_video() -> None:
    assert "not offered" in MediaState(MediaPhase.NOT_OFFERED).describe()
    failed = MediaState(MediaPhase.FAILED, "ICE failed: no pair")
    assert failed.describe().endswith("— ICE failed: no pair")
    voice_only = MediaState(MediaPhase.CONNECTED, has_video=False, has_audio=True)
    assert "sends no video track (voice only)" in voice_only.describe()
