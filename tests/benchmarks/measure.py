"""Small measuring tools shared by every benchmark: RSS, percentiles, frame counting."""

from __future__ import annotations

import math
import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Every frame of the load mix (audio and transcript deltas, audio.done, transcript.done,
# function calls) is a server response event; handshake frames are not.
LOAD_TYPE_PREFIX = "realtime.response."
AUDIO_TYPE = "realtime.response.audio.delta"
CALL_TYPE = "realtime.response.function_call_arguments.done"
# Load-mode audio deltas carry 100 ms of PCM16 at 24 kHz: 6,400 base64 characters.
AUDIO_FRAME_SECONDS = 0.1
AUDIO_B64_PER_FRAME = 6400
_STATUS = Path("/proc/self/status")


def _status_kib(field: str, status: Path = _STATUS) -> int | None:
    try:
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_bytes() -> int:
    """Current resident set size of this process (peak RSS where /proc is missing)."""
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    return peak_rss_bytes()


def process_rss_bytes(pid: int) -> int | None:
    """Current resident set size of process ``pid`` (None without /proc or once it ended)."""
    kib = _status_kib("VmRSS", Path(f"/proc/{pid}/status"))
    return None if kib is None else kib * 1024


def peak_rss_bytes() -> int:
    """Highest resident set size this process reached."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in bytes on macOS, KiB elsewhere.
    return int(peak if sys.platform == "darwin" else peak * 1024)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks.

    Raises:
        ValueError: ``values`` is empty.
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    fraction = position - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Summary of a set of samples (seconds, unless said otherwise).

    Attributes:
        count: number of samples.
        p50: median.
        p90: 90th percentile.
        p99: 99th percentile.
        max: largest sample.
        mean: arithmetic mean.
    """

    count: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        """Summarise ``values`` (at least one)."""
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p90=percentile(values, 90),
            p99=percentile(values, 99),
            max=float(max(values)),
            mean=float(sum(values) / len(values)),
        )

    def to_json(self, scale: float = 1.0) -> dict[str, float]:
        """The summary as a JSON object, every value multiplied by ``scale``."""
        return {
            "count": self.count,
            "p50": self.p50 * scale,
            "p90": self.p90 * scale,
            "p99": self.p99 * scale,
            "max": self.max * scale,
            "mean": self.mean * scale,
        }


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (at least one)."""
    return percentile(values, 50)
