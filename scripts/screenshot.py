#!/usr/bin/env python3
"""Take the README screenshot of the real main window, offscreen.

The app is built exactly as ``navtalk-desktop`` builds it, connected to its in-process
simulator; a typed question makes the model call ``function_call_judge``, the call is
answered from the call desk, and once the avatar has replied the window is grabbed.

Usage::

    python scripts/screenshot.py [--output docs/screenshot.png] [--theme light|dark]
                                 [--size 1440x880]

Runs in a private temporary settings folder with an in-memory-free null keychain, so it
never reads or changes your own profiles, layout or licenses.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What's the weather in Beijing?"
ANSWER = '{"city": "Beijing", "forecast": "sunny", "temperature_c": 24}'


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--size", default="1440x880", help="window size WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole flow")
    return parser.parse_args(argv)


def _sandbox() -> None:
    # Everything the app writes goes to a throw-away folder; no real keychain is touched.
    home = Path(tempfile.mkdtemp(prefix="navtalk-screenshot-"))
    os.environ["NAVTALK_DESKTOP_HOME"] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ["NAVTALK_LOG_LEVEL"] = os.environ.get("NAVTALK_LOG_LEVEL", "WARNING")


async def _until(check: Callable[[], Any], limit_s: float, what: str) -> Any:
    # Polling on the qasync loop (never a nested Qt loop inside a coroutine, P2).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def take(args: argparse.Namespace) -> Path:
    """Run the flow and save the screenshot; returns its path."""
    from PySide6.QtWidgets import QApplication

    from navtalk_desktop import app as app_module
    from navtalk_desktop.core.calls.book import CallState
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.timings import Timings
    from navtalk_desktop.ui.shell.theme import ThemeManager

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    theme = ThemeManager(qapp, args.theme)
    width, height = (int(v) for v in args.size.lower().split("x"))
    parser = argparse.ArgumentParser()
    app_module.configure_parser(parser)
    app_args = parser.parse_args([])
    # Quick but still streaming: deltas arrive one after another, as users see them.
    config = SimulatorConfig(
        timings=dataclasses.replace(
            Timings.fast(), offer_delay=0.05, response_latency=0.05, delta_interval=0.01
        ),
        speech="tone",
    )
    workbench = await app_module.Workbench.create(app_args, theme=theme, simulator_config=config)
    window = workbench.window
    try:
        window.resize(width, height)
        window.show()
        workbench.start(app_args)
        bridge = workbench.bridge
        panels = workbench.panels
        panels["connection"].toggle_connection()
        await _until(lambda: bridge.state == "ready", args.timeout, "the session to be ready")
        conversation = panels["conversation"]
        conversation.input.setPlainText(QUESTION)
        conversation.send_current_text()
        call = await _until(
            lambda: next(iter(bridge.calls), None), args.timeout, "the function call"
        )
        desk = panels["call_desk"]
        await _until(lambda: desk.card(call.key), args.timeout, "the call card")
        desk.answer(call.key, ANSWER)

        def answered() -> Any:
            # Calls are immutable snapshots now: read the newest one for this key.
            latest = next((c for c in bridge.calls if c.key == call.key), None)
            done = latest is not None and latest.state is CallState.ANSWERED
            return latest if done and latest.model_resume_latency_s is not None else None

        call = await _until(answered, args.timeout, "the answer and the model's reply")
        await _until(lambda: not conversation.active_responses, args.timeout, "the reply to end")
        timeline = panels["timeline"]
        timeline.model.process_pending()
        if call.timeline_row is not None:
            timeline.select_physical_row(call.timeline_row)
        await asyncio.sleep(1.2)  # status bar rate sample, countdowns, repaint
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if not app_module.save_screenshot(window, args.output):
            raise RuntimeError(f"could not write {args.output}")
        return args.output
    finally:
        await workbench.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = _parse(argv)
    _sandbox()
    sys.path.insert(0, str(ROOT))
    import qasync
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("NavTalk Desktop")
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        path = runner.run(take(args))
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
