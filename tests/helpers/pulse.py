"""Recording what reaches the test PulseAudio null sink (started by ``python3 dev.py test``).

``dev.py`` starts a private PulseAudio daemon with a null sink before pytest, exports
``XDG_RUNTIME_DIR``/``PULSE_SERVER`` and names the sink in ``NAVTALK_TEST_PULSE_SINK``.
:class:`MonitorRecorder` runs ``parec`` on the sink's monitor and keeps the samples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import numpy as np
import pytest

RATE = 24_000  # the monitor is recorded mono at 24 kHz: enough for energy envelopes
WINDOW = 480  # 20 ms


def pulse_sink_or_skip() -> str:
    """The null sink's name, or skip naming what is missing."""
    sink = os.environ.get("NAVTALK_TEST_PULSE_SINK")
    if not sink:
        pytest.skip(
            "needs the PulseAudio daemon `python3 dev.py test` starts before pytest "
            "(apt packages: pulseaudio, pulseaudio-utils)"
        )
    if shutil.which("parec") is None or shutil.which("pactl") is None:
        pytest.skip("needs parec/pactl (apt package: pulseaudio-utils)")
    probe = subprocess.run(["pactl", "info"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"the test PulseAudio daemon does not answer: {probe.stderr.strip()}")
    return sink


class MonitorRecorder:
    """``parec`` on ``<sink>.monitor``, mono s16 at 24 kHz, read on a thread."""

    def __init__(self, sink: str) -> None:
        self._proc = subprocess.Popen(
            [
                # The recorder must not lose data when the machine is busy (the suite runs
                # with both cores loaded): a larger capture buffer, and a higher priority
                # when allowed (root), like the sound server's own.
                *(["nice", "-n", "-10"] if os.geteuid() == 0 else []),
                "parec",
                "-d",
                f"{sink}.monitor",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=50",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._data = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(4096):
            with self._lock:
                self._data += chunk

    def samples(self) -> np.ndarray:
        """Everything recorded so far."""
        with self._lock:
            data = bytes(self._data[: len(self._data) // 2 * 2])
        return np.frombuffer(data, dtype="<i2")

    def seconds(self) -> float:
        """Length of the recording."""
        with self._lock:
            return len(self._data) / 2 / RATE

    def close(self) -> None:
        """Stop parec."""
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._thread.join(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


class Envelope:
    """:func:`loud_windows` of a growing recording, computed only for the new part.

    Polling the whole recording every 10 ms would load the GUI thread the player needs.
    """

    def __init__(self, recorder: MonitorRecorder, first_window: int = 0) -> None:
        self._recorder = recorder
        self._first = first_window
        self._done = first_window
        self._loud: list[bool] = []

    def loud(self) -> np.ndarray:
        """Loud windows from ``first_window`` on."""
        samples = self._recorder.samples()
        end = len(samples) // WINDOW
        if end > self._done:
            self._loud.extend(loud_windows(samples[self._done * WINDOW : end * WINDOW]).tolist())
            self._done = end
        return np.array(self._loud, dtype=bool)


def loud_windows(samples: np.ndarray, threshold: float = 1_000.0) -> np.ndarray:
    """One boolean per 20 ms window: is its RMS above ``threshold``?"""
    count = len(samples) // WINDOW
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = samples[: count * WINDOW].astype(np.float64).reshape(count, WINDOW)
    return np.sqrt((frames**2).mean(axis=1)) > threshold


def bursts(loud: np.ndarray) -> list[tuple[int, int]]:
    """``(start, length)`` in windows of each run of loud windows."""
    runs: list[tuple[int, int]] = []
    start = None
    for index, value in enumerate(loud):
        if value and start is None:
            start = index
        elif not value and start is not None:
            runs.append((start, index - start))
            start = None
    if start is not None:
        runs.append((start, len(loud) - start))
    return runs
