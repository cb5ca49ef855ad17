"""AvatarView: frames shown change, states say why there is no video, snapshots, stats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from navtalk_desktop.core.media import MediaPhase, MediaState, MediaStats, VideoFrame
from navtalk_desktop.ui.avatar import AvatarView, fit_rect
from tests.helpers.webrtc_offerer import frame_colour


def solid(index: int, width: int = 320, height: int = 180) -> VideoFrame:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:, :] = frame_colour(index)
    return VideoFrame(width, height, image.tobytes(), index / 25, index)


def centre_colour(view: AvatarView) -> tuple[int, int, int]:
    image = view.surface.grab().toImage()
    pixel = image.pixelColor(image.width() // 2, image.height() // 2)
    return (pixel.red(), pixel.green(), pixel.blue())


@pytest.fixture
def view(qtbot: object, tmp_path: Path) -> AvatarView:
    widget = AvatarView(snapshot_dir=tmp_path / "shots")
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.resize(480, 420)
    widget.show()
    return widget


def test_frames_shown_change_with_the_stream(qtbot: object, view: AvatarView) -> None:
    view.handle(MediaState(MediaPhase.CONNECTED, has_video=True, has_audio=True))
    for index in (0, 7, 19):
        view.handle(solid(index))
        expected = frame_colour(index)
        qtbot.waitUntil(lambda e=expected: centre_colour(view) == e, timeout=10_000)  # type: ignore[attr-defined]
    assert view.frames_received == 3
    assert view.surface.painted >= 3
    assert view.snapshot_button.isEnabled()
    assert view.status.text() == "Connected: avatar video 320 x 180"


def test_video_keeps_its_aspect_ratio(view: AvatarView) -> None:
    view.handle(solid(3, 320, 180))  # 16:9 in a taller widget: bars above and below
    rect = view.surface.picture_rect()
    assert rect is not None
    assert rect.width() == view.surface.width()
    assert abs(rect.width() / rect.height() - 16 / 9) < 0.02
    assert rect.top() > 0
    area = view.surface.rect()
    assert fit_rect(area.size(), area) == area


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (MediaState(MediaPhase.NOT_OFFERED), "not offered WebRTC media"),
        (MediaState(MediaPhase.NEGOTIATING, has_video=True), "Answering the server's WebRTC offer"),
        (
            MediaState(MediaPhase.FAILED, "ICE failed (1 local candidates: …)", True, True),
            "ICE failed (1 local candidates",
        ),
        (
            MediaState(MediaPhase.CONNECTED, has_video=False, has_audio=True),
            "provider sends no video track",
        ),
        (MediaState(MediaPhase.CLOSED, "session ended"), "connection is closed — session ended"),
    ],
)
def test_states_say_why_there_is_no_video(
    qtbot: object, view: AvatarView, state: MediaState, text: str
) -> None:
    view.handle(state)
    assert text in view.status.text()
    assert text in view.surface.message
    # The message is painted over an otherwise dark surface (not a black, silent box).
    image = view.surface.grab().toImage()
    light = sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(image.height() // 3, 2 * image.height() // 3, 2)
        if image.pixelColor(x, y).lightness() > 150
    )
    assert light > 20


def test_a_failure_after_video_dims_the_last_picture_and_says_why(
    qtbot: object, view: AvatarView
) -> None:
    view.handle(MediaState(MediaPhase.CONNECTED, has_video=True))
    view.handle(solid(5))
    qtbot.waitUntil(lambda: centre_colour(view) == frame_colour(5), timeout=10_000)  # type: ignore[attr-defined]
    assert view.surface.message == ""
    view.handle(MediaState(MediaPhase.FAILED, "ICE failed: consent lost", True, True))
    qtbot.waitUntil(lambda: centre_colour(view) != frame_colour(5), timeout=10_000)  # type: ignore[attr-defined]
    assert "consent lost" in view.surface.message


def test_snapshot_button_writes_the_full_size_frame_as_png(
    qtbot: object, view: AvatarView, tmp_path: Path
) -> None:
    assert not view.snapshot_button.isEnabled()
    view.handle(solid(11, 64, 48))
    with qtbot.waitSignal(view.snapshot_saved, timeout=10_000) as saved:  # type: ignore[attr-defined]
        view.snapshot_button.click()
    path = Path(saved.args[0])
    assert path.parent == tmp_path / "shots"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(path))
    assert (image.width(), image.height()) == (64, 48)
    pixel = image.pixelColor(10, 10)
    assert (pixel.red(), pixel.green(), pixel.blue()) == frame_colour(11)
    assert str(path) in view.status.text()


def test_snapshot_without_a_frame_or_to_an_unwritable_place_says_why(
    qtbot: object, view: AvatarView, tmp_path: Path
) -> None:
    with qtbot.waitSignal(view.snapshot_failed, timeout=10_000) as failed:  # type: ignore[attr-defined]
        view.save_snapshot(tmp_path / "x.png")
    assert failed.args == ["no video frame to save yet"]
    view.handle(solid(1))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with qtbot.waitSignal(view.snapshot_failed, timeout=10_000) as failed:  # type: ignore[attr-defined]
        assert not view.save_snapshot(blocker / "x.png")
    assert str(blocker) in failed.args[0]


def test_stats_are_requested_on_demand_and_shown(qtbot: object, view: AvatarView) -> None:
    assert view.stats_box.isHidden()
    with qtbot.waitSignal(view.stats_requested, timeout=10_000):  # type: ignore[attr-defined]
        view.stats_button.click()
    view.handle(
        MediaStats(
            fps=24.8,
            width=512,
            height=512,
            video_kbps=812,
            total_kbps=870,
            packets_lost=3,
            jitter_ms=4.5,
            frames_received=250,
            audio_chunks=500,
        )
    )
    assert view.stats_box.isVisible()
    shown = {
        label.objectName().removeprefix("stat:"): label.text()
        for label in view.stats_box.findChildren(type(view.status))
        if label.objectName().startswith("stat:")
    }
    assert shown["Frame rate"] == "24.8 fps"
    assert shown["Resolution"] == "512 x 512"
    assert shown["Video bitrate"] == "812 kbit/s"
    assert shown["Packets lost"] == "3"
    assert shown["Jitter"] == "4.5 ms"
    assert "Frames shown" in shown


def test_video_delay_holds_frames_back_to_meet_the_voice(qtbot: object, view: AvatarView) -> None:
    view.handle(MediaState(MediaPhase.CONNECTED, has_video=True))
    view.set_video_delay(250)
    for index in (1, 2, 3):
        view.handle(solid(index))
    assert view.surface.frame is None, "frames wait for the voice's latency"
    assert view.frames_received == 3
    shown: list[int] = []

    def newest_shown() -> bool:
        frame = view.surface.frame
        if frame is not None and (not shown or shown[-1] != frame.index):
            shown.append(frame.index)
        return bool(shown) and shown[-1] == 3

    qtbot.waitUntil(newest_shown, timeout=10_000)  # type: ignore[attr-defined]
    assert shown == sorted(shown), "frames come out in order"
    view.set_video_delay(0)
    view.handle(solid(4))
    assert view.surface.frame is not None
    assert view.surface.frame.index == 4
