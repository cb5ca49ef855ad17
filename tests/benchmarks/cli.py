"""``python -m tests.benchmarks`` (``python3 dev.py bench``): run and report the benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from navtalk_desktop.engine_process.design import EngineDesign
from tests.benchmarks.config import ALL_BENCHMARKS, BenchConfig, config_json
from tests.benchmarks.results import render_table, write_results
from tests.benchmarks.suite import Suite


def _only(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    unknown = [name for name in chosen if name not in ALL_BENCHMARKS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(ALL_BENCHMARKS)}"
        )
    return chosen


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark suite."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description=(
            "Measure ingest throughput (B1, B2), automatic answer latency (B3), memory (B4), "
            "start-up (B5) and UI responsiveness (B6), each next to a baseline measured in "
            "the same run. Prints a table and writes a JSON file."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny configuration (seconds, for tests)"
    )
    parser.add_argument(
        "--only", type=_only, metavar="B1,B3", help="run only these benchmarks (default: all)"
    )
    parser.add_argument(
        "--frames", type=_positive_int, metavar="N", help="load frames per ingest run (B1, B2)"
    )
    parser.add_argument(
        "--seconds", type=_positive_float, metavar="S", help="B6 ingest duration in seconds"
    )
    parser.add_argument("--calls", type=_positive_int, metavar="N", help="calls measured in B3")
    parser.add_argument(
        "--repeats", type=int, metavar="N", help="baseline/measured pairs per throughput figure"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="JSON results file (default: .bench/results-<timestamp>.json)",
    )
    parser.add_argument(
        "--engine",
        choices=[design.value for design in EngineDesign],
        help="where the app runs its engine (default: the app's default)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep child logs even when every run succeeded"
    )
    return parser


def make_config(args: argparse.Namespace) -> BenchConfig:
    """The configuration the options describe."""
    only = args.only or ALL_BENCHMARKS
    config = BenchConfig.quick_config(only) if args.quick else BenchConfig(only=only)
    changes: dict[str, object] = {}
    if args.frames is not None:
        changes["frames"] = args.frames
    if args.seconds is not None:
        changes["seconds"] = args.seconds
    if args.calls is not None:
        changes["calls"] = args.calls
    if args.engine:
        changes["engine"] = args.engine
    if args.repeats is not None:
        if args.repeats < 1:
            raise SystemExit("--repeats must be at least 1")
        changes["repeats"] = args.repeats
    return BenchConfig(**{**config_json(config), "only": only, **changes})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; exit status 0 when every run produced its figures (targets aside)."""
    args = build_parser().parse_args(argv)
    config = make_config(args)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(".bench") / f"results-{stamp}.json"
    workdir = Path(tempfile.mkdtemp(prefix="navtalk-bench-"))
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(
        f"NavTalk Desktop benchmarks ({'quick' if config.quick else 'full'}): "
        f"{', '.join(config.only)}; engine: {config.engine or 'default'}",
        flush=True,
    )
    began = time.monotonic()
    suite = Suite(config, workdir, lambda line: print(line, flush=True))
    rows = asyncio.run(suite.run())
    print()
    print(render_table(rows))
    write_results(out, rows, config_json(config), started, suite.runs)
    print()
    print(f"Results written to {out} ({time.monotonic() - began:.0f} s)")
    if suite.failures or args.keep_logs:
        print(f"Child logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if suite.failures else 0


if __name__ == "__main__":
    sys.exit(main())
