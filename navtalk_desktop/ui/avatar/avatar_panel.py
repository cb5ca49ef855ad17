"""The Avatar dock: the avatar's video and voice from the engine's stream, with its controls.

The engine adapter's ``media`` signal carries each batch's media values (only the latest
video frame of a batch); the panel hands them to :class:`AvatarView` and :class:`AudioPlayer`.
One voice is played: the WebRTC track once media is connected with audio, else the
``audio.delta`` frames' copy (servers without WebRTC). Barge-in (``StopPlayback``) stops the
voice at once. Frames are delayed by the player's latency so lips meet voice.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.media import (
    AudioChunk,
    MediaError,
    MediaPhase,
    MediaState,
    StopPlayback,
)
from navtalk_desktop.ui.avatar.audio_player import AudioPlayer
from navtalk_desktop.ui.avatar.avatar_view import AvatarView

PREFERENCES_KEY = "avatar"
"""Where the panel's choices live in ``AppSettings.preferences``."""


class MediaSource(Protocol):
    """What the panel needs of the engine adapter."""

    @property
    def media(self) -> Any:
        """Signal(object): a list of media values per batch."""

    def request_media_stats(self) -> None:
        """Ask the engine for a stats snapshot."""


class AvatarPanel(QWidget):
    """Video, voice, volume/mute, output device, stats and snapshot of the avatar.

    Args:
        source: the engine adapter (its ``media`` signal and ``request_media_stats``).
        preferences: the saved choices (``volume``, ``muted``, ``device``).
        webrtc_missing: why WebRTC cannot run here (shown; everything else works).
        snapshot_dir: where Snapshot saves PNGs.

    Signals:
        preferences_changed(object): the choices to remember (a JSON-able dict).
    """

    preferences_changed = Signal(object)

    def __init__(
        self,
        source: MediaSource,
        *,
        preferences: dict[str, Any] | None = None,
        webrtc_missing: str | None = None,
        snapshot_dir: Path | None = None,
        player: AudioPlayer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("avatarPanel")
        prefs = dict(preferences or {})
        self._source = source
        self.voice_source = "delta"  # which copy of the voice is played (see module doc)
        self.view = AvatarView(self, snapshot_dir=snapshot_dir)
        device = _device_id(prefs.get("device"))
        self.player = player or AudioPlayer(self, device_id=device)
        self.notice = QLabel(self)
        self.notice.setObjectName("avatarNotice")
        self.notice.setWordWrap(True)
        problems = [p for p in (webrtc_missing, self._no_device_text()) if p]
        self.notice.setText("\n".join(problems))
        self.notice.setVisible(bool(problems))

        self.mute = QCheckBox("Mute", self)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setToolTip("Voice volume")
        self.volume.setAccessibleName("Avatar voice volume")
        self.device = QComboBox(self)
        self.device.setToolTip("Output device for the avatar's voice")
        self.device.setAccessibleName("Avatar voice output device")
        self.device.addItem("System default", None)
        for device_id, name in AudioPlayer.output_devices():
            self.device.addItem(name, base64.b64encode(device_id).decode())
        index = self.device.findData(prefs.get("device"))
        self.device.setCurrentIndex(max(0, index))
        self.volume.setValue(round(100 * float(prefs.get("volume", 1.0))))
        self.mute.setChecked(bool(prefs.get("muted", False)))
        self.player.set_volume(self.volume.value() / 100)
        self.player.set_muted(self.mute.isChecked())

        controls = QHBoxLayout()
        controls.addWidget(self.mute)
        controls.addWidget(QLabel("Volume", self))
        controls.addWidget(self.volume, 1)
        controls.addWidget(self.device, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)

        source.media.connect(self.handle_batch)
        self.view.stats_requested.connect(source.request_media_stats)
        self.volume.valueChanged.connect(self._volume_changed)
        self.mute.toggled.connect(self._mute_changed)
        self.device.currentIndexChanged.connect(self._device_changed)

    # ------------------------------------------------------------------ the stream
    def handle_batch(self, values: Sequence[Any]) -> None:
        """One batch of media values from the engine, in order."""
        for value in values:
            if isinstance(value, MediaState):
                self._follow_state(value)
            elif isinstance(value, MediaError) and value.stage == "offer":
                self.notice.setText(f"No avatar video: {value.reason}")
                self.notice.show()
            if isinstance(value, AudioChunk):
                if value.source == self.voice_source:
                    self.player.play(value)
            elif isinstance(value, StopPlayback):
                self.player.stop_now(value.reason)
            self.view.handle(value)
        # Lips meet the voice: frames wait as long as the voice does.
        self.view.set_video_delay(self.player.latency_ms())

    def _follow_state(self, state: MediaState) -> None:
        if state.phase is MediaPhase.CONNECTED and state.has_audio:
            if self.voice_source != "webrtc":
                self.player.stop_now("media connected")  # the delta copy must not double it
            self.voice_source = "webrtc"
        elif state.phase in (MediaPhase.FAILED, MediaPhase.CLOSED):
            self.voice_source = "delta"

    # ------------------------------------------------------------------ controls
    def preferences(self) -> dict[str, Any]:
        """The choices to remember."""
        return {
            "volume": self.volume.value() / 100,
            "muted": self.mute.isChecked(),
            "device": self.device.currentData(),
        }

    def _volume_changed(self, value: int) -> None:
        self.player.set_volume(value / 100)
        self.preferences_changed.emit(self.preferences())

    def _mute_changed(self, muted: bool) -> None:
        self.player.set_muted(muted)
        self.preferences_changed.emit(self.preferences())

    def _device_changed(self, _index: int) -> None:
        self.player.set_device(_device_id(self.device.currentData()))
        text = self._no_device_text()
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))
        self.preferences_changed.emit(self.preferences())

    def _no_device_text(self) -> str:
        if self.player.available:
            return ""
        return "No audio output device: the avatar's voice cannot be played (video still works)"


def _device_id(saved: object) -> bytes | None:
    if not isinstance(saved, str) or not saved:
        return None
    try:
        return base64.b64decode(saved, validate=True)
    except ValueError:
        return None
