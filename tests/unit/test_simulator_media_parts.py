"""Parts of the simulator's avatar media, without a network: face, voice schedule, hosts, SDP."""

from __future__ import annotations

import argparse

import aioice.ice
import numpy as np
import pytest

from navtalk_desktop.simulator.audio import tone_speech
from navtalk_desktop.simulator.cli import build_config, configure_parser
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.media.face import HEIGHT, WIDTH, FacePainter
from navtalk_desktop.simulator.media.hosts import LOOPBACK, loopback_candidates
from navtalk_desktop.simulator.media.peer import SignalingError, description, ice_candidate
from navtalk_desktop.simulator.media.tracks import SpeechTrack
from navtalk_desktop.simulator.rest import client_page
from navtalk_desktop.simulator.roster import DEFAULT_ROSTER

EMILY, LEO = DEFAULT_ROSTER[0], DEFAULT_ROSTER[1]
FRAME = 960  # bytes in 20 ms of PCM16 24 kHz


def _dark_mouth_pixels(image: np.ndarray) -> int:
    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mouth = luma[int(HEIGHT * 0.62) : int(HEIGHT * 0.8), int(WIDTH * 0.35) : int(WIDTH * 0.65)]
    return int((mouth < 70).sum())


def test_face_frames_idle_move_and_the_mouth_opens() -> None:
    painter = FacePainter(EMILY)
    first = painter.frame(10, 0.0)
    assert first.shape == (HEIGHT, WIDTH, 3)
    assert first.mean() > 60  # not black
    # Idle life: over two seconds of frames the head drifts and the eyes blink.
    idle = {painter.frame(i, 0.0).tobytes() for i in range(0, 100, 5)}
    assert len(idle) > 5
    assert painter.frame(2, 0.0).tobytes() != painter.frame(10, 0.0).tobytes()  # blink
    assert _dark_mouth_pixels(painter.frame(10, 0.0)) == 0
    assert _dark_mouth_pixels(painter.frame(10, 0.5)) > 100
    assert _dark_mouth_pixels(painter.frame(10, 1.0)) > _dark_mouth_pixels(painter.frame(10, 0.5))


def test_each_avatar_has_its_own_face() -> None:
    assert FacePainter(EMILY).frame(10, 0.0).tobytes() != FacePainter(LEO).frame(10, 0.0).tobytes()


def test_speech_plays_from_when_it_was_said_and_hush_stops_it() -> None:
    track = SpeechTrack()
    pcm = tone_speech("hello there")
    track.say(pcm)
    start = track._pending_at
    assert track.speaking
    assert track._take(start) == pcm[:FRAME]
    assert track._take(start + 0.02) == pcm[FRAME : 2 * FRAME]
    # A frame that starts 10 ms before the speech is due: 10 ms silence, then the voice.
    later = SpeechTrack()
    later.say(pcm)
    assert later._take(later._pending_at - 0.01) == bytes(480) + pcm[:480]
    track.hush()
    assert not track.speaking
    assert track._take(start + 0.04) == bytes(FRAME)


def test_speech_nobody_heard_in_time_is_dropped_not_played_late() -> None:
    track = SpeechTrack()
    pcm = tone_speech("hi")
    track.say(pcm)
    seconds = len(pcm) / 2 / 24_000
    assert track._take(track._pending_at + seconds + 1.0) == bytes(FRAME)
    assert not track._pending


def test_loopback_is_offered_only_inside_the_block() -> None:
    with loopback_candidates():
        inside = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    outside = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    assert inside[0] == LOOPBACK
    assert LOOPBACK not in outside  # other peers in the process keep aioice's choice
    assert inside[1:] == outside


def test_client_signalling_is_checked_with_clear_messages() -> None:
    with pytest.raises(SignalingError, match="must be an object"):
        description("v=0", "answer")
    with pytest.raises(SignalingError, match="type must be 'answer'"):
        description({"type": "offer", "sdp": "v=0\r\n"}, "answer")
    with pytest.raises(SignalingError, match="starting with 'v=0'"):
        description({"type": "answer", "sdp": ""}, "answer")
    with pytest.raises(SignalingError, match="unreadable ICE candidate"):
        ice_candidate({"candidate": "candidate:x", "sdpMid": "0"})
    with pytest.raises(SignalingError, match="sdpMid or sdpMLineIndex"):
        ice_candidate({"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"})
    assert ice_candidate({"candidate": "", "sdpMid": "0"}) is None  # end of candidates
    candidate = ice_candidate(
        {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", "sdpMid": "0"}
    )
    assert candidate is not None
    assert (candidate.ip, candidate.port, candidate.sdpMid) == ("127.0.0.1", 50000, "0")


def test_client_page_follows_the_web_sdk_protocol() -> None:
    page = client_page().decode()
    for needed in (
        "webrtc.signaling.answer",
        "webrtc.signaling.iceCandidate",
        "/api/open/v1/avatar/getByName",
        "/wss/v2/realtime-chat",
        "window.navtalkClient",
    ):
        assert needed in page


def test_simulate_has_media_unless_told_otherwise() -> None:
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert build_config(parser.parse_args([])).media is True
    assert build_config(parser.parse_args(["--fast"])).media is True
    assert build_config(parser.parse_args(["--no-media"])).media is False
    assert SimulatorConfig().media is True  # the app's built-in simulator
    assert SimulatorConfig.fast().media is False  # quick protocol tests
