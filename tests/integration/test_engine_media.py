"""The avatar's media through the engine: the real simulator's aiortc peer on loopback, the
engine's MediaLink answering with infra's AnsweringPeer, events crossing a real process pipe."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import FramesAppended
from navtalk_desktop.core.engine.factory import EngineOptions
from navtalk_desktop.core.engine.media_link import LOCAL_MEDIA, MediaUpdate
from navtalk_desktop.core.media import (
    AudioChunk,
    MediaError,
    MediaPhase,
    MediaState,
    MediaStats,
    PeerStateChanged,
    VideoFrame,
)
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.engine_process.host import ProcessHost
from navtalk_desktop.engine_process.recipe import EngineRecipe
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from tests.integration.test_engine_process import Received, _ready, _start


@pytest_asyncio.fixture
async def media_sim() -> AsyncIterator[SimulatorServer]:
    config = dataclasses.replace(SimulatorConfig.fast(), media=True)
    async with SimulatorServer(config) as server:
        yield server


def _recipe(sim: SimulatorServer, *, media: bool = True) -> EngineRecipe:
    profile = ConnectionProfile(
        name="sim",
        url=sim.ws_url,
        avatar_name="navtalk.Emily",
        local_simulator=True,
        reconnect=False,
    )
    options = EngineOptions(profile=profile, simulator_url=sim.ws_url)
    return EngineRecipe(options, keychain=False, responders=False, media=media)


def _values(received: Received) -> list[object]:
    return [e.value for e in received.events if isinstance(e, MediaUpdate)]


def _rows(received: Received) -> list[tuple[str, str, str]]:
    return [
        (row.direction.value, row.type, row.summary)
        for e in received.events
        if isinstance(e, FramesAppended)
        for row in e.rows
    ]


@pytest.mark.asyncio
async def test_engine_in_a_child_shows_the_avatar_and_its_voice(
    media_sim: SimulatorServer,
) -> None:
    host = ProcessHost(_recipe(media_sim))
    received = _start(host)
    try:
        host.send(cmd.Connect())

        def connected() -> bool:
            return any(
                isinstance(v, MediaState) and v.phase is MediaPhase.CONNECTED
                for v in _values(received)
            )

        await received.until(connected)

        def changing_frames() -> bool:
            frames = [v for v in _values(received) if isinstance(v, VideoFrame)]
            return len({hash(f.rgb) for f in frames}) >= 5

        await received.until(changing_frames)
        await received.until(_ready(received))
        host.send(cmd.SendText("Hello there"))

        def voice() -> bool:
            chunks = [v for v in _values(received) if isinstance(v, AudioChunk)]
            return any(max(c.pcm) > 10 for c in chunks if c.pcm)

        await received.until(voice)
        host.send(cmd.RequestMediaStats())
        await received.until(lambda: any(isinstance(v, MediaStats) for v in _values(received)))
        stats = next(v for v in _values(received) if isinstance(v, MediaStats))
        assert stats.frames_received > 0
        rows = _rows(received)
        # Our answer went out on the session socket; the states are in the timeline.
        assert any(d == "out" and t == "webrtc.signaling.answer" for d, t, _ in rows)
        local = [s for _, t, s in rows if t == LOCAL_MEDIA]
        assert "media connected" in local
        assert any(s.startswith("ice ") for s in local)
        assert not [v for v in _values(received) if isinstance(v, MediaError)]
    finally:
        await host.stop()


@pytest.mark.asyncio
async def test_without_webrtc_the_session_still_works(media_sim: SimulatorServer) -> None:
    host = ProcessHost(_recipe(media_sim, media=False))
    received = _start(host)
    try:
        host.send(cmd.Connect())

        def refused() -> bool:
            return any(
                isinstance(v, MediaError) and "not available" in v.reason for v in _values(received)
            )

        await received.until(refused)
        await received.until(_ready(received))
        host.send(cmd.SendText("Hello there"))
        await received.until(
            lambda: any(
                t == "realtime.response.audio_transcript.done" for _, t, _ in _rows(received)
            )
        )
        assert not any(isinstance(v, PeerStateChanged) for v in _values(received))
    finally:
        await host.stop()
