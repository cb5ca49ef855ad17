"""B3: automatic answer latency at the simulator, against a bare answering bot."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.child import SIDE_ANSWERING, SIDE_READY
from tests.benchmarks.config import B3_AUDIO_PER_S, B3_CALL_EVERY, B3_RATE, B3_WARMUP_CALLS
from tests.benchmarks.figures import _per_second, _scaled
from tests.benchmarks.measure import Distribution
from tests.benchmarks.results import Row
from tests.benchmarks.runner import SuiteRunner
from tests.benchmarks.source import ProbedSimulator


class AnswerLatency(SuiteRunner):
    """The B3 benchmark and its diagnostic runs."""

    # ------------------------------------------------------------------ B3
    async def answer_latency(self) -> list[Row]:
        """B3: automatic answer latency at the simulator, against a bare answering bot.

        Besides the measured GUI run and its baseline, two diagnostic runs locate the
        difference: the engine alone (Session + Dispatcher, no Qt, no thread) and the bare
        bot again while the GUI app streams its own load in another process, which shows
        what sharing the machine's cores with a rendering GUI costs any client.
        """
        cfg = self.config
        calls = cfg.calls + B3_WARMUP_CALLS
        self.progress(f"B3 answer latency: {calls:,} calls while ~1,000 audio deltas/s stream")
        sim = await self._sim("calls")
        url = sim.load_url(load_frames=calls * (B3_CALL_EVERY + 1))
        figures: dict[str, Distribution | None] = {}
        details: dict[str, Any] = {"warmup_calls": B3_WARMUP_CALLS}
        for label, scenario, params in (
            ("bare-bot", "bare-bot", {"url": url}),
            ("engine-answer", "engine-answer", {"url": url}),
            ("gui-answer", "gui", {"url": url, "mode": "answer", "frames": 0}),
            ("bare-bot-beside-gui", "bare-bot", {"url": url}),
        ):
            sim.probe.reset()
            if label == "bare-bot-beside-gui":
                result = await self._beside_busy_gui(scenario, params, label, sim)
            else:
                result = await self._child(scenario, params, label, until=self._load_answered(sim))
            latencies = sim.probe.latencies()[B3_WARMUP_CALLS:]
            figures[label] = (
                Distribution.of(latencies) if latencies and "error" not in result else None
            )
            end = sim.probe.load_ends[-1] if sim.probe.load_ends else {}
            details[label] = {
                "calls_sent": len(sim.probe.sent),
                "calls_answered": len(sim.probe.answered),
                "latency_ms": figures[label].to_json(1000) if figures[label] else None,  # type: ignore[union-attr]
                "in_app_latency_ms": _scaled(result.get("in_app_latency"), 1000),
                "audio_deltas_per_s": _per_second(end.get("audio_frames"), end.get("seconds")),
                "frames_per_s": _per_second(end.get("frames"), end.get("seconds")),
            }
        bot, app = figures["bare-bot"], figures["gui-answer"]
        app_run = details["gui-answer"]
        audio_rate = app_run["audio_deltas_per_s"]
        kept_up = audio_rate is not None and audio_rate >= 0.95 * B3_AUDIO_PER_S
        all_answered = app_run["calls_answered"] == app_run["calls_sent"]
        notes = (
            "from the simulator handing function_call_arguments.done to its socket to the "
            f"output frame arriving; first {B3_WARMUP_CALLS} calls are warm-up"
        )
        if audio_rate is not None and not kept_up:
            notes += f"; the app slowed the stream to {audio_rate:,.0f} audio deltas/s"
        if not all_answered:
            notes += f"; only {app_run['calls_answered']} of {app_run['calls_sent']} calls answered"
        rows = []
        for name in ("p50", "p99"):
            value = None if app is None else getattr(app, name) * 1000
            base = None if bot is None else getattr(bot, name) * 1000
            row = Row(
                id="B3",
                what="Auto-answer latency, static responder, GUI",
                figure=name,
                unit="ms",
                value=value,
                baseline=base,
                baseline_what="bare websockets bot",
                target="p99 ≤ 2x baseline and ≤ 10 ms" if name == "p99" else "(reported)",
                details=details if name == "p99" else {},
            )
            if name == "p99" and row.ratio is not None and value is not None:
                row.passed = row.ratio <= 2.0 and value <= 10.0 and kept_up and all_answered
                row.notes = notes
            rows.append(row)
        base99 = None if bot is None else bot.p99 * 1000
        for label, figure_name, note in (
            (
                "engine-answer",
                "p99, engine alone",
                "the same Session and Dispatcher on a plain asyncio loop: the engine's share",
            ),
            (
                "bare-bot-beside-gui",
                "p99, bot beside GUI",
                "the baseline bot again while the GUI app answers its own stream (from a "
                "second simulator process): what sharing the cores with a rendering GUI "
                "costs any client",
            ),
        ):
            figure = figures[label]
            rows.append(
                Row(
                    id="B3",
                    what="Diagnostic: where B3's latency comes from",
                    figure=figure_name,
                    unit="ms",
                    value=None if figure is None else figure.p99 * 1000,
                    baseline=base99,
                    baseline_what="bare websockets bot",
                    target="(diagnostic)",
                    notes=note,
                )
            )
        return rows

    async def _beside_busy_gui(
        self, scenario: str, params: dict[str, Any], label: str, sim: ProbedSimulator
    ) -> dict[str, Any]:
        """Run a child on ``sim`` while the GUI app answers a stream of its own meanwhile.

        That stream comes from a second simulator in a process of its own, so this
        process's loop serves the measured stream alone, as in the other B3 runs.
        """
        status_path = self.workdir / f"{label}-side-status.txt"
        gui_over, sim_over = asyncio.Event(), asyncio.Event()

        def when(event: asyncio.Event) -> Callable[[], Awaitable[None]]:
            async def wait() -> None:
                await event.wait()

            return wait

        side_sim = asyncio.ensure_future(
            self._child(
                "side-simulator",
                {
                    "status_path": str(status_path),
                    "rate": B3_RATE,
                    "call_every": B3_CALL_EVERY,
                    # Longer than the measured stream: the GUI is busy from start to end.
                    "load_frames": 3 * (self.config.calls + 100) * (B3_CALL_EVERY + 1),
                    "warmup_calls": B3_WARMUP_CALLS,
                },
                f"{label}-side-simulator",
                until=when(sim_over),
            )
        )
        gui: asyncio.Future[dict[str, Any]] | None = None
        try:
            url = await self._side_status(status_path, SIDE_READY, side_sim)
            if url is not None:
                gui = asyncio.ensure_future(
                    self._child(
                        "gui",
                        {"url": url, "mode": "answer", "frames": 0},
                        f"{label}-side-gui",
                        until=when(gui_over),
                    )
                )
                # Measure once the GUI app streams and answers.
                if await self._side_status(status_path, SIDE_ANSWERING, gui) is not None:
                    return await self._child(
                        scenario, params, label, until=self._load_answered(sim)
                    )
            error = {"error": "the GUI app beside the bot did not start answering"}
            self.failures += 1
            self.progress(f"  {label} FAILED: {error['error']}")
            return error
        finally:
            gui_over.set()
            if gui is not None:
                await gui
            sim_over.set()
            await side_sim

    async def _side_status(
        self, path: Path, word: str, child: asyncio.Future[dict[str, Any]]
    ) -> str | None:
        """Wait for a line starting with ``word`` in the side simulator's status file.

        Returns:
            The rest of the line, or None when ``child`` ended or time ran out first.
        """
        deadline = time.monotonic() + self.config.timeout_s
        while not child.done() and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                text = await asyncio.to_thread(path.read_text, encoding="utf-8")
                for line in text.splitlines():
                    if line.split(" ", 1)[0] == word:
                        return line[len(word) :].strip()
            await asyncio.sleep(0.05)
        return None

    def _load_answered(self, sim: ProbedSimulator) -> Callable[[], Awaitable[None]]:
        """Wait until the load stream ended and its calls were answered (5 s grace)."""

        async def wait() -> None:
            await sim.probe.load_done.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await sim.probe.settled.wait()

        return wait
