"""Reading a recording for replay: the one place that knows the recording file format.

Recordings are the JSON Lines files written by the app's Export Session and by
``respond --record`` (:mod:`navtalk_desktop.infra.recording`). This adapter reads them
through that module's reader, so whatever it accepts (a torn last line of a streamed
recording cut off by a crash, too) and its checks apply here, and hands the replay only
what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from navtalk_desktop.core.timeline.recording import RecordingError as ReaderError
from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.infra.recording import open_recording


class RecordingError(ValueError):
    """The recording cannot be read or has nothing to replay."""


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One frame of a recording.

    Attributes:
        incoming: sent by the server (``True``) or by the client (``False``).
        time_s: monotonic seconds when it was seen (differences are the timing).
        type: event type.
        raw: the exact frame.
        call_id: function call it belongs to.
    """

    incoming: bool
    time_s: float
    type: str
    raw: str | bytes
    call_id: str | None


def read_recording(path: Path) -> list[RecordedFrame]:
    """The frames of a recording, in recorded order (local events left out).

    Raises:
        RecordingError: unreadable, malformed (file and line named) or without server frames.
    """
    try:
        opened = open_recording(path)
    except ReaderError as exc:
        raise RecordingError(str(exc)) from None
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    timeline = opened.timeline
    try:
        frames = [
            RecordedFrame(
                entry.direction is Direction.IN,
                entry.mono_time,
                entry.type,
                timeline.raw_frame(row),
                entry.call_id,
            )
            for row, entry in enumerate(timeline)
            if entry.direction is not Direction.LOCAL
        ]
    finally:
        timeline.close()
    if not any(frame.incoming for frame in frames):
        raise RecordingError(f"{path} holds no server frames to replay")
    return frames
