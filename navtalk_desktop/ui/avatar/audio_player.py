"""The avatar's voice through QtMultimedia (``QAudioSink`` in push mode).

One sink ("lane") per PCM format, opened at that format so nothing is resampled on the GUI
thread: 48 kHz stereo for the WebRTC audio track, 24 kHz mono for
``realtime.response.audio.delta``; the sound server mixes and resamples. Each lane keeps a
small jitter buffer: it starts writing once ``prebuffer_ms`` of audio is queued and then
tops the device up every 10 ms, so steady-state playback has no gaps. The device's own
starvation (``QAudio.IdleState`` while the stream goes on) is counted as an underrun, and
each underrun grows the prebuffer by 40 ms (up to 300 ms).

No audio device (a server, CI, a sound server started after the app): :attr:`status` says
so, chunks are counted and dropped, nothing else is affected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QIODevice, QObject, Qt, QTimer, Signal
from PySide6.QtMultimedia import QAudio, QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices

from navtalk_desktop.core.media.values import AudioChunk, MediaEvent, StopPlayback

FEED_INTERVAL_MS = 10
# Each underrun grows the prebuffer by this much, up to the maximum.
PREBUFFER_STEP_MS = 40
MAX_PREBUFFER_MS = 300
NO_DEVICE = (
    "No audio device: the avatar's voice cannot be played. Start PulseAudio or PipeWire "
    "(before the app: a sound server started later is not seen) or choose another output."
)


@dataclass
class _Lane:
    """One sink at one PCM format with its jitter buffer."""

    rate: int
    channels: int
    sink: QAudioSink
    io: QIODevice | None = None
    buffer: bytearray = field(default_factory=bytearray)
    started: bool = False  # prebuffer reached: writing to the device
    ended: bool = False  # the stream said it is over: starving is not an underrun
    fed: bool = False  # this stream has written to the device (an empty device is a gap now)
    starved: bool = False  # this starvation was counted already
    failed: str = ""

    def bytes_for(self, ms: int) -> int:
        return self.rate * self.channels * 2 * ms // 1000


class AudioPlayer(QObject):
    """Plays :class:`AudioChunk` values on a chosen output device; stops at once on barge-in.

    Args:
        device_id: ``QAudioDevice.id()`` of the output; ``None`` follows the system default.
        prebuffer_ms: audio queued before a lane starts writing (absorbs network jitter).
        device_buffer_ms: the sink's own buffer (sets the write-to-speaker latency).

    Signals:
        status_changed(str): a new human status line (device in use, no device, errors).
        underruns_changed(int): the total of underruns so far.
    """

    status_changed = Signal(str)
    underruns_changed = Signal(int)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        device_id: bytes | None = None,
        prebuffer_ms: int = 60,
        device_buffer_ms: int = 100,
    ) -> None:
        super().__init__(parent)
        self.prebuffer_ms = prebuffer_ms
        self.device_buffer_ms = device_buffer_ms
        self._lanes: dict[tuple[int, int], _Lane] = {}
        self._volume = 1.0
        self._muted = False
        self.underruns = 0
        self.dropped_chunks = 0
        self.written_bytes = 0
        self.status = ""
        self._device = self._find_device(device_id)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FEED_INTERVAL_MS)
        self._timer.timeout.connect(self._feed)
        self._announce_device()

    # ------------------------------------------------------------------ devices

    @staticmethod
    def output_devices() -> list[tuple[bytes, str]]:
        """``(id, description)`` of every output the sound server lists."""
        return [(bytes(d.id().data()), d.description()) for d in QMediaDevices.audioOutputs()]

    @property
    def available(self) -> bool:
        """An output device exists."""
        return not self._device.isNull()

    @property
    def device_name(self) -> str:
        """The output's description ("" without a device)."""
        return "" if self._device.isNull() else self._device.description()

    def set_device(self, device_id: bytes | None) -> None:
        """Play on another output from now on (queued audio is dropped)."""
        self.stop_now("device changed")
        self._close_lanes()
        self._device = self._find_device(device_id)
        self._announce_device()

    # ------------------------------------------------------------------ volume

    @property
    def volume(self) -> float:
        """Linear volume, 0.0-1.0."""
        return self._volume

    def set_volume(self, volume: float) -> None:
        """Set the linear volume (0.0-1.0)."""
        self._volume = min(1.0, max(0.0, volume))
        self._apply_volume()

    @property
    def muted(self) -> bool:
        """Muted: the stream keeps running (stays in time) but is silent."""
        return self._muted

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute."""
        self._muted = muted
        self._apply_volume()

    # ------------------------------------------------------------------ playback

    def handle(self, event: MediaEvent) -> None:
        """Play audio chunks and obey :class:`StopPlayback`; other events are ignored."""
        if isinstance(event, AudioChunk):
            self.play(event)
        elif isinstance(event, StopPlayback):
            self.stop_now(event.reason)

    def play(self, chunk: AudioChunk) -> None:
        """Queue a chunk; playback starts once the lane's prebuffer is full."""
        if self._device.isNull():
            self.dropped_chunks += 1
            return
        lane = self._lane(chunk.rate, chunk.channels)
        if lane.failed:
            self.dropped_chunks += 1
            return
        if lane.ended:
            lane.ended = False
            lane.fed = False  # a new stream: the device drained on purpose before it
        lane.buffer += chunk.pcm
        if not self._timer.isActive():
            self._timer.start()
        self._feed()

    def end_of_stream(self) -> None:
        """No more audio for now (``response.audio.done``): play out what is queued."""
        for lane in self._lanes.values():
            lane.ended = True
        self._feed()

    def stop_now(self, reason: str = "barge-in") -> None:
        """Silence at once: drop queued audio and what the device still holds."""
        for lane in self._lanes.values():
            lane.buffer.clear()
            lane.started = False
            lane.ended = True
            lane.fed = False
            if lane.io is not None:
                # reset() drops what the device buffered; the next chunk starts afresh.
                lane.sink.reset()
                lane.sink.stop()
                lane.io = None
        if reason and self._lanes:
            self._set_status(f"Stopped ({reason})")

    def queued_ms(self) -> float:
        """Audio waiting in the jitter buffers, milliseconds (the longest lane)."""
        return max(
            (
                len(lane.buffer) * 1000 / (lane.rate * lane.channels * 2)
                for lane in self._lanes.values()
            ),
            default=0.0,
        )

    def latency_ms(self) -> float:
        """How late what arrives now will be heard: jitter buffer plus the device's buffer.

        The avatar view delays its frames by this much so lips and voice stay in sync
        (``AvatarView.set_video_delay``).
        """
        worst = 0.0
        for lane in self._lanes.values():
            per_ms = lane.rate * lane.channels * 2 / 1000
            in_device = 0
            if lane.io is not None:
                in_device = max(0, lane.sink.bufferSize() - lane.sink.bytesFree())
            worst = max(worst, (len(lane.buffer) + in_device) / per_ms)
        return worst

    def close(self) -> None:
        """Stop and release every sink."""
        self._timer.stop()
        self.stop_now("")
        self._close_lanes()

    # ------------------------------------------------------------------ internals

    def _find_device(self, device_id: bytes | None) -> QAudioDevice:
        if device_id is not None:
            for device in QMediaDevices.audioOutputs():
                if bytes(device.id().data()) == device_id:
                    return device
        return QMediaDevices.defaultAudioOutput()

    def _announce_device(self) -> None:
        if self._device.isNull():
            self._set_status(NO_DEVICE)
        else:
            self._set_status(f"Avatar voice plays on {self._device.description()}")

    def _set_status(self, text: str) -> None:
        if text != self.status:
            self.status = text
            self.status_changed.emit(text)

    def _lane(self, rate: int, channels: int) -> _Lane:
        lane = self._lanes.get((rate, channels))
        if lane is not None:
            return lane
        fmt = QAudioFormat()
        fmt.setSampleRate(rate)
        fmt.setChannelCount(channels)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        sink = QAudioSink(self._device, fmt, self)
        lane = _Lane(rate, channels, sink)
        sink.setBufferSize(lane.bytes_for(self.device_buffer_ms))
        sink.stateChanged.connect(lambda state, lane=lane: self._state_changed(lane, state))
        if not self._device.isFormatSupported(fmt):
            lane.failed = f"the output does not accept {rate} Hz, {channels} channel(s), 16-bit"
            self._set_status(lane.failed)
        self._lanes[(rate, channels)] = lane
        self._apply_volume()
        return lane

    def _apply_volume(self) -> None:
        level = 0.0 if self._muted else self._volume
        for lane in self._lanes.values():
            lane.sink.setVolume(level)

    def _feed(self) -> None:
        busy = False
        for lane in self._lanes.values():
            if lane.failed or not lane.buffer:
                continue
            busy = True
            if not lane.started:
                if len(lane.buffer) < lane.bytes_for(self.prebuffer_ms) and not lane.ended:
                    continue
                lane.started = True
            if lane.io is None and not self._open(lane):
                continue
            assert lane.io is not None
            free = lane.sink.bytesFree()
            if lane.fed and not lane.ended and free >= lane.sink.bufferSize():
                # We were late (a busy GUI thread): the device played all it had and the
                # sound server filled the wait with silence. Qt does not always say so.
                self._underrun(lane)
            frame = lane.channels * 2
            count = min(free, len(lane.buffer)) // frame * frame
            if count <= 0:
                continue
            written = lane.io.write(bytes(lane.buffer[:count]))
            if written > 0:
                del lane.buffer[:written]
                self.written_bytes += written
                lane.fed = True
                lane.starved = False
        if not busy:
            self._timer.stop()

    def _open(self, lane: _Lane) -> bool:
        io = lane.sink.start()
        if io is None:
            lane.failed = (
                f"cannot open {self.device_name or 'the audio output'} "
                f"({lane.sink.error().name}): the avatar's voice is not played"
            )
            lane.buffer.clear()
            self._set_status(lane.failed)
            return False
        lane.io = io
        self._set_status(f"Playing the avatar's voice on {self.device_name}")
        return True

    def _state_changed(self, lane: _Lane, state: QAudio.State) -> None:
        # Push mode: IdleState means the device ran dry. Starving while the stream goes on
        # (no end_of_stream, no stop) is an audible gap: an underrun.
        if state == QAudio.State.IdleState and lane.io is not None and not lane.ended:
            self._underrun(lane)

    def _underrun(self, lane: _Lane) -> None:
        if lane.starved:
            return  # Qt's IdleState and our own check saw the same gap
        lane.starved = True
        self.underruns += 1
        lane.started = False  # refill the prebuffer before writing again
        # Adaptive jitter buffer: a stream that starved once will likely starve again
        # (a busy machine, a jittery network); trade a little latency for no gaps.
        self.prebuffer_ms = min(MAX_PREBUFFER_MS, self.prebuffer_ms + PREBUFFER_STEP_MS)
        self.underruns_changed.emit(self.underruns)

    def _close_lanes(self) -> None:
        for lane in self._lanes.values():
            lane.sink.stop()
            lane.sink.setParent(None)  # not deleteLater: Python may drop it first
        self._lanes.clear()
