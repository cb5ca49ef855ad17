"""``navtalk-desktop replay RECORDING.jsonl --serve``: a recorded session's server side, for CI.

::

    navtalk-desktop replay session.jsonl --serve --port 9100 --speed max &
    my-client --url ws://127.0.0.1:9100/wss/v2/realtime-chat

The first stdout line is ``NavTalk replay ready: URL``. One client is served; then the
report says how it differed from the recorded client. Exit codes: 0 it behaved as
recorded, 1 it differed (or never connected within --accept-timeout), 2 bad options or
recording.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from navtalk_desktop.headless.cli_support import command_output, configure_logging
from navtalk_desktop.headless.replay.recording import RecordingError, read_recording
from navtalk_desktop.headless.replay.server import ReplayServer

_err, _out = command_output("replay")

READY = "NavTalk replay ready:"
EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_USAGE = 2


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``navtalk-desktop replay``."""
    parser.description = (
        "Play the server side of a recorded session (Export Session or respond --record) to "
        "one client, waiting where the recording waited for the client and re-keying call "
        "ids; then report how the client differed. Exit 0 when it behaved as recorded, 1 "
        "when it differed, 2 on bad options or recording."
    )
    parser.add_argument("recording", type=Path, metavar="RECORDING.jsonl")
    parser.add_argument(
        "--serve", action="store_true", required=True, help="serve the recording to a client"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="port (default: a free one, printed)"
    )
    parser.add_argument(
        "--speed",
        default="1",
        metavar="1|max",
        type=_speed,
        help="recorded timing (1), a factor (2 = twice as fast), or max (no waiting)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="S",
        help="longest wait for each client action the recording waited for (default %(default)s)",
    )
    parser.add_argument(
        "--accept-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="give up when no client connected within S seconds (default %(default)s)",
    )


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected 1, a factor like 2, or max") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def run(args: argparse.Namespace) -> int:
    """Run the ``replay`` sub-command; returns the exit code."""
    configure_logging()
    try:
        frames = read_recording(args.recording)
    except RecordingError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return asyncio.run(_serve(args, ReplayServer(frames, speed=args.speed, wait_s=args.wait)))


async def _serve(args: argparse.Namespace, server: ReplayServer) -> int:
    try:
        await server.start(args.host, args.port)
    except OSError as exc:
        _err(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_USAGE
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    _out(f"{READY} {server.ws_url}")
    try:
        finished = asyncio.ensure_future(server.finished.wait())
        stopped = asyncio.ensure_future(stop.wait())
        _done, pending = await asyncio.wait(
            {finished, stopped}, timeout=args.accept_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
    finally:
        await server.stop()
    if server.report is None:
        _err(
            "no client was served" + ("" if stop.is_set() else f" within {args.accept_timeout:g} s")
        )
        return EXIT_DIFFERENT
    for line in server.report.lines():
        _out(line)
    return EXIT_DIFFERENT if server.report.differences() else EXIT_OK
