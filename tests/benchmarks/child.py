"""Entry point of every measured child process: ``python -m tests.benchmarks.child``.

Usage: ``python -m tests.benchmarks.child SCENARIO PARAMS_JSON RESULT_PATH``.
The child runs one scenario and writes its result as JSON to ``RESULT_PATH`` (an ``error``
key when it failed). Scenarios that run until told stop when standard input reaches its
end: the parent closes the pipe once the load source has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.baselines import bare_bot, bare_ingest

Scenario = Callable[[dict[str, Any], asyncio.Event], Awaitable[dict[str, Any]]]


async def _bare_ingest(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    async with asyncio.timeout(float(params.get("timeout_s", 300))):
        return await bare_ingest(params["url"], int(params["frames"]))


async def _bare_bot(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    async with asyncio.timeout(float(params.get("timeout_s", 300))):
        return await bare_bot(params["url"], stop)


async def _engine_ingest(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    # Imported here, like the GUI: baselines must not pay for the engine's imports.
    from tests.benchmarks.engine import engine_ingest

    return await engine_ingest(
        params["url"], int(params["frames"]), float(params.get("timeout_s", 300))
    )


async def _engine_answer(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    from tests.benchmarks.engine import engine_answer

    return await engine_answer(params["url"], stop, float(params.get("timeout_s", 300)))


SIDE_READY = "ready"
SIDE_ANSWERING = "answering"


def _append_line(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


async def _side_simulator(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    """A load source in a process of its own, for a stream that is not being measured.

    Writes ``ready URL`` to ``status_path`` once it listens, then ``answering`` once
    ``warmup_calls`` of its calls were answered, and serves until ``stop``.
    """
    from tests.benchmarks.source import ProbedSimulator, source_config

    status = Path(params["status_path"])
    sim = ProbedSimulator(
        source_config(rate=float(params["rate"]), call_every=int(params["call_every"]))
    )
    await sim.start("127.0.0.1", 0)
    try:
        url = sim.load_url(load_frames=int(params["load_frames"]))
        await asyncio.to_thread(_append_line, status, f"{SIDE_READY} {url}")
        said_answering = False
        while not stop.is_set():
            if not said_answering and len(sim.probe.answered) >= int(params["warmup_calls"]):
                await asyncio.to_thread(_append_line, status, SIDE_ANSWERING)
                said_answering = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
    finally:
        await sim.stop()
    return {"calls_sent": len(sim.probe.sent), "calls_answered": len(sim.probe.answered)}


async def _gui(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    from tests.benchmarks.gui import gui_benchmark

    return await gui_benchmark(params, stop)


async def _bare_gui_lag(params: dict[str, Any], stop: asyncio.Event) -> dict[str, Any]:
    from tests.benchmarks.gui import bare_gui_lag

    return await bare_gui_lag(params, stop)


# name -> (coroutine, needs a QApplication + qasync loop)
SCENARIOS: dict[str, tuple[Scenario, bool]] = {
    "bare-ingest": (_bare_ingest, False),
    "bare-bot": (_bare_bot, False),
    "engine-ingest": (_engine_ingest, False),
    "engine-answer": (_engine_answer, False),
    "side-simulator": (_side_simulator, False),
    "gui": (_gui, True),
    "bare-gui-lag": (_bare_gui_lag, True),
}


def _stop_at_end_of_input(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Block (in a daemon thread) until stdin closes, then set ``stop`` on the loop."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    # RuntimeError: the loop already finished.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(stop.set)


async def _run(scenario: Scenario, params: dict[str, Any]) -> dict[str, Any]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(
        target=_stop_at_end_of_input, args=(loop, stop), name="stdin-watch", daemon=True
    ).start()
    return await scenario(params, stop)


def _run_plain(scenario: Scenario, params: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_run(scenario, params))


def _run_qt(scenario: Scenario, params: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        result: dict[str, Any] = runner.run(_run(scenario, params))
    return result


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and write its result file; exit status 1 when it failed."""
    name, params_json, result_path = argv if argv is not None else sys.argv[1:4]
    logging.basicConfig(
        level=os.environ.get("NAVTALK_LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    scenario, needs_qt = SCENARIOS[name]
    params = json.loads(params_json)
    try:
        runner = _run_qt if needs_qt else _run_plain
        result = runner(scenario, params)
        code = 0
    except Exception as error:  # noqa: BLE001  (reported to the parent, which shows it)
        if isinstance(error, TimeoutError):
            message = f"timed out after {params.get('timeout_s', 300)} s"
        else:
            message = f"{type(error).__name__}: {error}"
        result = {
            "error": message,
            "traceback": traceback.format_exc(),
        }
        code = 1
    Path(result_path).write_text(json.dumps(result))
    return code


if __name__ == "__main__":
    sys.exit(main())
