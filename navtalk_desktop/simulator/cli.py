"""The ``navtalk-desktop simulate`` sub-command: run the simulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import FaultKind, FaultSpec, FaultSpecError
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.scenario import ScenarioError, load_scenario
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.simulator.timings import Timings

READY_PREFIX = "NavTalk simulator ready:"


def _fault(text: str) -> FaultSpec:
    try:
        return FaultSpec.parse(text)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _load(text: str) -> LoadSpec:
    try:
        return LoadSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``navtalk-desktop simulate``."""
    parser.description = (
        "Run the built-in NavTalk v2 simulator: the realtime WebSocket and the avatar REST "
        "endpoints on one port. Prints one ready line with the URL, then serves until "
        "Ctrl+C / SIGTERM."
    )
    kinds = ", ".join(kind.value for kind in FaultKind)
    parser.epilog = (
        f"fault kinds: {kinds}. Triggers: @connect, @ready, @turn:N, @call[:N], @after:SECONDS; "
        "delay_session_updated=SECONDS. Per connection, add URL parameters fault=SPEC, "
        "load=RATE|max, load_frames=N, arguments=string, media=0|1. A browser client that shows "
        "the avatar is served at /client."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="TCP port; 0 picks a free one (default)"
    )
    parser.add_argument("--scenario", type=Path, metavar="FILE", help="scenario file (JSON)")
    parser.add_argument(
        "--license",
        action="append",
        default=[],
        metavar="KEY",
        help="accepted license key (repeatable); without it any non-empty license works",
    )
    parser.add_argument(
        "--log", type=Path, metavar="FILE", help="append the session log (JSON Lines)"
    )
    parser.add_argument(
        "--log-audio", action="store_true", help="keep audio payloads in the session log"
    )
    parser.add_argument(
        "--arguments-as-string",
        action="store_true",
        help="send function-call arguments as a JSON string (the documented variant)",
    )
    parser.add_argument(
        "--argument-deltas",
        action="store_true",
        help="also send function_call_arguments.delta events",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=_fault,
        metavar="SPEC",
        help="inject a fault into every session, e.g. insufficient_balance@turn:2 (repeatable)",
    )
    parser.add_argument(
        "--load",
        type=_load,
        metavar="RATE|max",
        help="load mode: stream frames at RATE per second, or as fast as possible",
    )
    parser.add_argument(
        "--load-frames", type=int, metavar="N", help="stop each load stream after N frames"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=5,
        metavar="N",
        help="sockets per license before connection_limit_exceeded (default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="repeat the same ids (session, call, response, item) and latencies in every run; "
        "without it ids are new in each run",
    )
    parser.add_argument(
        "--fast", action="store_true", help="no artificial latency (tests, benchmarks)"
    )
    parser.add_argument(
        "--no-media",
        action="store_true",
        help="no WebRTC media: send canned SDPs (quick protocol tests); default is a real "
        "peer with the avatar's face and voice",
    )
    parser.add_argument(
        "--speech",
        choices=("auto", "espeak", "tone"),
        default="auto",
        help="reply audio: espeak-ng when installed (auto), or a voiced tone",
    )


def build_config(args: argparse.Namespace) -> SimulatorConfig:
    """The :class:`SimulatorConfig` the options describe.

    Raises:
        ScenarioError: the scenario file is unreadable or invalid.
        ValueError: an option value is out of range.
    """
    if args.max_connections < 1:
        raise ValueError("--max-connections must be at least 1")
    if args.load_frames is not None and args.load_frames < 1:
        raise ValueError("--load-frames must be at least 1")
    licenses = frozenset(key for key in args.license if key)
    config = SimulatorConfig(
        timings=Timings.fast() if args.fast else Timings(),
        licenses=licenses,
        max_connections_per_license=args.max_connections,
        arguments_as_string=args.arguments_as_string,
        emit_argument_deltas=args.argument_deltas,
        speech=args.speech,
        log_path=args.log,
        log_audio=args.log_audio,
        faults=tuple(args.fault),
        media=not args.no_media,
    )
    if args.scenario is not None:
        config = config.with_scenario(load_scenario(args.scenario))
    if getattr(args, "seed", None) is not None:
        config = replace(config, seed=args.seed)
    load = args.load or config.load
    if load is not None and args.load_frames is not None:
        load = LoadSpec(load.rate, args.load_frames, load.call_every)
    return replace(config, load=load)


def run(args: argparse.Namespace) -> int:
    """Run the simulator until interrupted; return the exit code."""
    logging.basicConfig(
        level=os.environ.get("NAVTALK_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # One INFO line per connection from websockets is noise next to our session log.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    # aioice logs every ICE candidate pair check at INFO.
    for name in ("aioice", "aiortc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        config = build_config(args)
    except (ScenarioError, ValueError) as exc:
        print(f"navtalk-desktop simulate: error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(config, args.host, args.port))
    except KeyboardInterrupt:  # only where signal handlers are unavailable (Windows)
        return 0


async def _serve(config: SimulatorConfig, host: str, port: int) -> int:
    server = SimulatorServer(config)
    try:
        await server.start(host, port)
    except OSError as exc:
        print(f"navtalk-desktop simulate: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    print(f"{READY_PREFIX} {server.ws_url} (REST {server.http_url})", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
    print("NavTalk simulator stopped", flush=True)
    return 0
