"""The avatar view: the digital human's video, why there is none, a snapshot and stats.

Dock content. It takes ``core.media`` values only (the engine's event stream), keeps the
latest frame and paints it on the next repaint: a burst of frames costs one paint, and a
frame costs the GUI thread ~0.1 ms to wrap as a ``QImage`` (no copy) plus the scaled draw.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QImageWriter, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.media.values import (
    MediaEvent,
    MediaPhase,
    MediaState,
    MediaStats,
    VideoFrame,
)

# Frames held for A/V sync: at 25 fps, 500 ms is 13 frames; more is a stall, not a delay.
MAX_VIDEO_DELAY_MS = 500.0
MAX_DELAYED_FRAMES = 32


def frame_image(frame: VideoFrame) -> QImage:
    """A ``QImage`` over the frame's bytes (valid while ``frame`` lives; copy to keep)."""
    return QImage(
        frame.rgb, frame.width, frame.height, frame.width * 3, QImage.Format.Format_RGB888
    )


def fit_rect(image: QSize, area: QRect) -> QRect:
    """The largest rectangle of ``image``'s aspect ratio centred in ``area``."""
    scaled = image.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    x = area.x() + (area.width() - scaled.width()) // 2
    y = area.y() + (area.height() - scaled.height()) // 2
    return QRect(x, y, scaled.width(), scaled.height())


class VideoSurface(QWidget):
    """Paints the latest frame with its aspect ratio, or the reason there is no video."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("avatarVideo")
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.frame: VideoFrame | None = None
        self.message = MediaState(MediaPhase.NOT_OFFERED).describe()
        self.painted = 0  # frames actually drawn (a burst between paints draws once)
        self._painted_index = -1

    def sizeHint(self) -> QSize:
        return QSize(360, 360)

    def picture_rect(self) -> QRect | None:
        """Where the frame is drawn, or ``None`` when no frame is shown."""
        if self.frame is None:
            return None
        return fit_rect(QSize(self.frame.width, self.frame.height), self.rect())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 16, 20))
        frame = self.frame
        if frame is not None:
            target = fit_rect(QSize(frame.width, frame.height), self.rect())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, frame_image(frame))
            if frame.index != self._painted_index:
                self._painted_index = frame.index
                self.painted += 1
        if self.message:
            box = self.rect().adjusted(16, 16, -16, -16)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            if frame is not None:  # keep the last picture, dimmed, under the reason
                painter.fillRect(self.rect(), QColor(0, 0, 0, 170))
            bounds = painter.boundingRect(box, int(flags), self.message).adjusted(-10, -8, 10, 8)
            painter.fillRect(bounds, QColor(0, 0, 0, 150))
            painter.setPen(QColor(230, 230, 235))
            painter.drawText(box, int(flags), self.message)
        painter.end()


class AvatarView(QWidget):
    """Video of the avatar, its media state, Snapshot and Stats.

    Feed it the engine's media events with :meth:`handle` (or the typed ``show_*`` methods).

    Signals:
        stats_requested(): the user pressed Stats; answer with :meth:`show_stats`.
        snapshot_saved(str): a PNG was written to this path.
        snapshot_failed(str): why no PNG could be written.
    """

    stats_requested = Signal()
    snapshot_saved = Signal(str)
    snapshot_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, snapshot_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("avatarView")
        self.snapshot_dir = snapshot_dir or Path.home()
        self.state = MediaState(MediaPhase.NOT_OFFERED)
        self.frames_received = 0
        self.video_delay_ms = 0.0
        self._delayed: deque[tuple[float, VideoFrame]] = deque(maxlen=MAX_DELAYED_FRAMES)
        self._delay_timer = QTimer(self)
        self._delay_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._delay_timer.setInterval(5)
        self._delay_timer.timeout.connect(self._release_due)
        self._size = (0, 0)
        self.surface = VideoSurface(self)
        self.status = QLabel(self.state.describe(), self)
        self.status.setObjectName("avatarStatus")
        self.status.setWordWrap(True)
        self.snapshot_button = QPushButton("Snapshot", self)
        self.snapshot_button.setToolTip("Save the current frame as a PNG")
        self.snapshot_button.setEnabled(False)
        self.stats_button = QPushButton("Stats", self)
        self.stats_button.setToolTip("Measure frame rate, resolution, bitrate, loss and jitter")
        self.stats_box = QWidget(self)
        self.stats_box.setObjectName("avatarStats")
        self.stats_form = QFormLayout(self.stats_box)
        self.stats_form.setContentsMargins(0, 0, 0, 0)
        self.stats_box.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.snapshot_button)
        buttons.addWidget(self.stats_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.surface, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addWidget(self.stats_box)

        self.snapshot_button.clicked.connect(self._snapshot_clicked)
        self.stats_button.clicked.connect(self.stats_requested.emit)

    # ------------------------------------------------------------------ input

    def handle(self, event: MediaEvent) -> None:
        """Show whatever media event concerns this view (others are ignored)."""
        if isinstance(event, VideoFrame):
            self.show_frame(event)
        elif isinstance(event, MediaState):
            self.show_state(event)
        elif isinstance(event, MediaStats):
            self.show_stats(event)

    def set_video_delay(self, ms: float) -> None:
        """Show frames ``ms`` after they arrive, to meet the voice (``AudioPlayer.latency_ms``).

        WebRTC delivers picture and sound together, but the voice then waits in the audio
        jitter and device buffers (~120-180 ms); showing frames at once would put the lips
        ahead of the voice. 0 shows frames as they come.
        """
        self.video_delay_ms = max(0.0, min(ms, MAX_VIDEO_DELAY_MS))
        if not self.video_delay_ms:
            self._release_due(force=True)

    def show_frame(self, frame: VideoFrame) -> None:
        """Show ``frame`` at the next repaint, after the video delay (never blocks)."""
        self.frames_received += 1
        if self.video_delay_ms > 0:
            self._delayed.append((time.monotonic() + self.video_delay_ms / 1000, frame))
            if not self._delay_timer.isActive():
                self._delay_timer.start()
            return
        self._present(frame)

    def _release_due(self, force: bool = False) -> None:
        now = time.monotonic()
        latest: VideoFrame | None = None
        while self._delayed and (force or self._delayed[0][0] <= now):
            latest = self._delayed.popleft()[1]  # frames overtaken before a paint are skipped
        if not self._delayed:
            self._delay_timer.stop()
        if latest is not None:
            self._present(latest)

    def _present(self, frame: VideoFrame) -> None:
        first = self.surface.frame is None
        self.surface.frame = frame
        if first or self.surface.message:
            self._refresh_message()
            self.snapshot_button.setEnabled(True)
        if first or (frame.width, frame.height) != self._size:
            self._size = (frame.width, frame.height)
            self.status.setText(self._status_text())
        self.surface.update()

    def show_state(self, state: MediaState) -> None:
        """Say where the media stands and, without video, why."""
        self.state = state
        self.status.setText(self._status_text())
        self._refresh_message()
        self.surface.update()

    def show_stats(self, stats: MediaStats) -> None:
        """Fill the stats panel (and show it)."""
        while self.stats_form.rowCount():
            self.stats_form.removeRow(0)
        for label, value in [*stats.lines(), ("Frames shown", str(self.surface.painted))]:
            field = QLabel(value, self.stats_box)
            field.setObjectName(f"stat:{label}")
            self.stats_form.addRow(label, field)
        self.stats_box.show()

    # ------------------------------------------------------------------ snapshot

    def save_snapshot(self, path: Path) -> bool:
        """Write the current frame, full size, as a PNG; say why not when that fails."""
        frame = self.surface.frame
        if frame is None:
            self.snapshot_failed.emit("no video frame to save yet")
            return False
        image = frame_image(frame).copy()  # detach from the frame's bytes before saving
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.snapshot_failed.emit(f"cannot create {path.parent}: {exc.strerror or exc}")
            return False
        writer = QImageWriter(str(path), QByteArray(b"png"))
        if not writer.write(image):
            self.snapshot_failed.emit(f"could not write {path}: {writer.errorString()}")
            return False
        self.status.setText(f"Snapshot saved to {path}")
        self.snapshot_saved.emit(str(path))
        return True

    def _snapshot_clicked(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.snapshot_dir / f"avatar-{stamp}.png"
        counter = 1
        while path.exists():
            path = self.snapshot_dir / f"avatar-{stamp}-{counter}.png"
            counter += 1
        self.save_snapshot(path)

    # ------------------------------------------------------------------ internals

    def _status_text(self) -> str:
        frame = self.surface.frame
        if self.state.phase is MediaPhase.CONNECTED and frame is not None:
            return f"Connected: avatar video {frame.width} x {frame.height}"
        return self.state.describe()

    def _refresh_message(self) -> None:
        state = self.state
        showing = self.surface.frame is not None
        if state.phase is MediaPhase.CONNECTED and (showing or state.has_video):
            self.surface.message = "" if showing else state.describe()
        elif state.phase in (MediaPhase.NOT_OFFERED,) and showing:
            self.surface.message = ""  # frames arrive before any state (a replay, a test)
        else:
            self.surface.message = state.describe()
