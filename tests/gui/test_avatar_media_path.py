"""The whole app-side media path on a qasync loop: a real aiortc offerer (the server's part)
→ MediaController + AnsweringPeer → AvatarView shows changing frames and AudioPlayer's
voice reaches the PulseAudio null sink (when the test daemon runs)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from navtalk_desktop.core.media import (
    IceServer,
    MediaController,
    MediaEvent,
    MediaPhase,
    PeerListener,
    SignalToSend,
)
from navtalk_desktop.infra.webrtc import AnsweringPeer
from navtalk_desktop.ui.avatar import AudioPlayer, AvatarView
from tests.helpers.pulse import MonitorRecorder, bursts, loud_windows
from tests.helpers.webrtc_offerer import Offerer


def test_offer_to_picture_and_voice(
    qtbot: Any, qloop: Any, await_in_qt: Callable[..., Any]
) -> None:
    view = AvatarView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    player = AudioPlayer()
    outgoing: list[SignalToSend] = []
    marks: dict[str, float] = {}

    def emit(event: MediaEvent) -> None:
        # The engine's ordered stream, fanned out the way the app will wire it.
        if isinstance(event, SignalToSend):
            outgoing.append(event)
        if getattr(event, "phase", None) is MediaPhase.CONNECTED:
            marks.setdefault("connected", time.monotonic())
        if type(event).__name__ == "VideoFrame":
            marks.setdefault("first frame", time.monotonic())
        view.handle(event)
        player.handle(event)

    def factory(servers: tuple[IceServer, ...], listener: PeerListener) -> AnsweringPeer:
        return AnsweringPeer(servers, listener, addresses=("127.0.0.1",))

    media = MediaController(factory, emit)
    offerer = Offerer()
    sink = os.environ.get("NAVTALK_TEST_PULSE_SINK")
    recorder = MonitorRecorder(sink) if sink and player.available else None
    try:

        async def negotiate() -> None:
            data = await offerer.offer()
            marks["offer"] = time.monotonic()
            await media.handle_signal("webrtc.signaling.offer", data)
            for signal in outgoing:
                await offerer.accept(signal.message())

        await_in_qt(negotiate())
        seen: set[tuple[int, int, int]] = set()

        def picture_changes() -> bool:
            image = view.surface.grab().toImage()
            pixel = image.pixelColor(image.width() - 30, image.height() // 2)
            seen.add((pixel.red() // 16, pixel.green() // 16, pixel.blue() // 16))
            return len(seen) >= 5

        qtbot.waitUntil(picture_changes, timeout=20_000)
        assert media.state.phase is MediaPhase.CONNECTED
        assert view.status.text() == "Connected: avatar video 320 x 240"
        print(
            f"\nICE+DTLS connected {marks['connected'] - marks['offer']:.3f} s after the offer, "
            f"first frame {marks['first frame'] - marks['offer']:.3f} s"
        )
        if recorder is not None:
            # The offerer's 300 ms tone bursts with 300 ms silences, heard on the sink's
            # monitor (their exact shape is test_audio_player's business: here WebRTC
            # decoding shares the loop, and a busy machine may stretch them).
            def heard() -> bool:
                runs = bursts(loud_windows(recorder.samples()))
                return sum(1 for _, length in runs if length >= 8) >= 3

            qtbot.waitUntil(heard, timeout=20_000)
            assert np.abs(recorder.samples()).max() > 3_000
    finally:
        if recorder is not None:
            recorder.close()
        player.close()
        await_in_qt(media.close())
        await_in_qt(offerer.close())
    assert media.state.phase is MediaPhase.CLOSED
    assert "closed" in view.status.text()
