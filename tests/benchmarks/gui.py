"""GUI benchmarks (B2, B3, B4, B6): the real app, offscreen, fed by the simulator's load mode.

Each run builds the app exactly as ``navtalk-desktop --url URL --tools FILE --auto
--connect`` does (:class:`navtalk_desktop.app.Workbench`), shows the window with the
timeline visible and following, and measures from inside the process. The baseline for
event-loop lag (B6) is a bare PySide6 + qasync program with a bare ``websockets`` client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from websockets.asyncio.client import connect

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.tools.toolset import toolset_to_json
from tests.benchmarks.answers import benchmark_toolset, in_app_answer_latencies
from tests.benchmarks.baselines import MAX_FRAME_BYTES, read_load_frames
from tests.benchmarks.counting import LoadFrameCounter
from tests.benchmarks.measure import (
    Distribution,
    peak_rss_bytes,
    process_rss_bytes,
    rss_bytes,
)

LAG_INTERVAL_MS = 10


class LagProbe(QObject):
    """Event-loop lag: how late a 10 ms single-shot timer fires, re-armed on every tick.

    Attributes:
        samples: ``(time.monotonic(), lateness in seconds)`` per tick.
    """

    def __init__(self, interval_ms: int = LAG_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval = interval_ms / 1000.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._armed = 0.0
        self.samples: list[tuple[float, float]] = []

    def start(self) -> None:
        """Start sampling."""
        self._armed = time.monotonic()
        self._timer.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        self.samples.append((now, max(0.0, now - self._armed - self._interval)))
        self._armed = now
        self._timer.start()

    def between(self, start: float, end: float) -> Distribution | None:
        """Lateness of the ticks between two ``time.monotonic()`` instants."""
        values = [lag for at, lag in self.samples if start <= at <= end]
        return Distribution.of(values) if values else None


class RssSampler(QObject):
    """Samples RSS together with a load-frame counter every ``interval_ms``.

    Attributes:
        samples: ``(load frames, audio frames, rss bytes)`` per sample.
    """

    def __init__(
        self, counter: LoadFrameCounter, interval_ms: int = 200, rss: Callable[[], int] = rss_bytes
    ) -> None:
        super().__init__()
        self._counter = counter
        self._rss = rss
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sample)
        self.samples: list[tuple[int, int, int]] = []

    def start(self) -> None:
        """Take a sample now and every interval."""
        self.sample()
        self._timer.start()

    def stop(self) -> None:
        """Take a last sample and stop."""
        self._timer.stop()
        self.sample()

    def sample(self) -> None:
        """Record one sample."""
        self.samples.append((self._counter.count, self._counter.audio, self._rss()))


async def _wait_until(predicate: Any, timeout_s: float, poll_s: float = 0.005) -> None:
    async with asyncio.timeout(timeout_s):
        # The table model has no "caught up" signal (its batch timer may insert nothing
        # when a filter hides the new rows), so poll its public ``pending`` flag.
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(poll_s)


async def gui_benchmark(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    """One run of the real app, answering automatically with a static responder.

    Args:
        params: ``mode`` (``ingest``, ``answer``, ``memory`` or ``lag``), ``url`` (load-mode
            WebSocket URL with the bench license), ``frames`` (load frames to wait for;
            answer runs wait for ``stop`` instead), optional ``regex`` (timeline search set
            before connecting) and ``timeout_s``.
        stop: set by the parent when an answer run is over.

    Returns:
        Frames, timings, lag distribution, RSS samples and call counts of the run.
    """
    with tempfile.TemporaryDirectory(prefix="navtalk-bench-tools-") as workdir:
        toolset_path = Path(workdir) / "benchmark-tools.json"
        toolset_path.write_text(json.dumps(toolset_to_json(benchmark_toolset()), indent=2))
        return await _gui_run(params, stop, toolset_path)


async def _gui_run(
    params: dict[str, Any], stop: asyncio.Event, toolset_path: Path
) -> dict[str, Any]:
    # Imported here: the app module pulls in every panel, which the baselines must not pay for.
    from navtalk_desktop.app import Workbench
    from navtalk_desktop.ui.shell.theme import ThemeManager

    mode = params["mode"]
    frames = int(params["frames"])
    timeout_s = float(params.get("timeout_s", 300))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    args = argparse.Namespace(
        profile=None,
        url=params["url"],
        tools=toolset_path,
        auto=True,
        connect=True,
        screenshot=None,
        quit_after=None,
    )
    workbench = await Workbench.create(args, theme=ThemeManager(app))
    result: dict[str, Any] = {"mode": mode}
    try:
        window = workbench.window
        window.show()
        panel = workbench.panels["timeline"]
        # Let the first paint happen: "right after start-up" means a shown, idle window.
        await asyncio.sleep(0.3)
        app_rss = _app_rss(workbench)
        result["engine"] = "process" if workbench.bridge.engine is None else "thread"
        result["rss_startup"] = app_rss()
        if params.get("regex"):
            panel.search_edit.setText(params["regex"])
            panel.regex_check.setChecked(True)
            panel.apply_filter()
        timeline = workbench.bridge.timeline
        # Counted as the GUI receives the rows (the engine's FramesAppended, GUI thread).
        counter = LoadFrameCounter(None, frames)
        workbench.bridge.frames_appended.connect(counter)
        lag = LagProbe()
        sampler = RssSampler(counter, rss=app_rss)
        lag.start()
        sampler.start()
        workbench.start(args)
        try:
            async with asyncio.timeout(timeout_s):
                if mode == "answer":
                    await stop.wait()
                else:
                    await counter.done.wait()
            if mode != "answer":
                # The run is complete when the table shows it too.
                await _wait_until(lambda: not panel.model.pending, 30.0)
                await asyncio.sleep(0)
                result["shown_at"] = time.monotonic()
        finally:
            lag.stop()
            sampler.stop()
            workbench.bridge.frames_appended.disconnect(counter)
        result.update(_summary(counter, lag, sampler, workbench, panel))
        result["rss_end"] = app_rss()
        if mode == "answer":
            in_app = in_app_answer_latencies(timeline)
            result["in_app_latency"] = Distribution.of(in_app).to_json() if in_app else None
        if "shown_at" in result and result["fps"] is not None:
            # The run is complete when the table shows the last frame, not before.
            result["fps_timeline"] = result["fps"]
            result["fps"] = (counter.count - 1) / (result["shown_at"] - counter.first)
        result["timeline_is_bridge_timeline"] = workbench.bridge.timeline is timeline
    finally:
        await workbench.close()
    result["peak_rss"] = peak_rss_bytes()
    return result


def _app_rss(workbench: Any) -> Callable[[], int]:
    """The app's RSS: this process plus its engine process, when the engine runs in one."""
    pid = getattr(workbench.bridge.host, "pid", None)
    if pid is None:
        return rss_bytes

    def both() -> int:
        return rss_bytes() + (process_rss_bytes(pid) or 0)

    return both


def _summary(
    counter: LoadFrameCounter, lag: LagProbe, sampler: RssSampler, workbench: Any, panel: Any
) -> dict[str, Any]:
    calls = list(workbench.bridge.calls)
    answered = sum(1 for call in calls if call.state is CallState.ANSWERED)
    # Runs that end on the parent's word (answer mode) have no target frame: time to now.
    end = counter.last or time.monotonic()
    seconds = end - counter.first if counter.count else None
    distribution = lag.between(counter.first, end)
    return {
        "frames": counter.count,
        "audio_frames": counter.audio,
        "seconds": seconds,
        "fps": (counter.count - 1) / seconds if seconds and counter.last else None,
        "first": counter.first,
        "last": counter.last,
        "timeline_rows": len(workbench.bridge.timeline),
        "model_rows": panel.model.rowCount(),
        "following": panel.following,
        "calls": len(calls),
        "calls_answered": answered,
        "lag": distribution.to_json() if distribution else None,
        "rss_samples": sampler.samples,
        "rss_end": rss_bytes(),
    }


async def bare_gui_lag(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    """B6 baseline: a shown empty window, a bare client ``json.loads``-ing the same stream."""
    frames = int(params["frames"])
    widget = QWidget()
    widget.resize(1440, 880)
    widget.show()
    await asyncio.sleep(0.3)
    lag = LagProbe()
    lag.start()
    counted = 0
    first = last = 0.0
    try:
        async with (
            asyncio.timeout(float(params.get("timeout_s", 300))),
            connect(params["url"], max_size=MAX_FRAME_BYTES, ping_interval=None, proxy=None) as ws,
        ):
            counted, first, last = await read_load_frames(ws, frames)
    finally:
        lag.stop()
        widget.close()
        widget.deleteLater()
    distribution = lag.between(first, last)
    return {
        "frames": counted,
        "seconds": last - first,
        "lag": distribution.to_json() if distribution else None,
    }
