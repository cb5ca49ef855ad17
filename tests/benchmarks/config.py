"""What the benchmark suite runs and how big: :class:`BenchConfig` and the load figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The repository root: the children import tests.benchmarks from it.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
ALL_BENCHMARKS = ("B1", "B2", "B3", "B4", "B5", "B6")
MB = 1024 * 1024
# Per response the load mix sends 12 audio deltas among 20 frames, plus one call frame
# every ``call_every`` frames.
AUDIO_SHARE = 12 / 20
B3_CALL_EVERY = 25
B3_AUDIO_PER_S = 1000
B3_WARMUP_CALLS = 10
# ~1,000 audio deltas/s: frames/s = audio/s * 20/12 * (1 + 1/call_every).
B3_RATE = B3_AUDIO_PER_S / AUDIO_SHARE * (B3_CALL_EVERY + 1) / B3_CALL_EVERY
B6_REGEX = r"function_call|transcript\.done|(fine|today)\b"
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """Sizes of every benchmark.

    Attributes:
        only: benchmarks to run (``B1`` … ``B6``).
        frames: load frames per ingest run (B1, B2).
        repeats: baseline/measured pairs per throughput figure (medians are reported).
        calls: answered calls measured in B3 (after a short warm-up).
        memory_frames: mixed frames for B4's memory figure.
        session_minutes: audio minutes of B4's long-session figure.
        seconds: B6 ingest duration.
        lag_rate: B6 ingest rate, frames per second.
        startup_runs: B5 starts of each program (after one warm-up start each).
        timeout_s: longest any child may run.
        quick: the tiny configuration (for the test suite).
        engine: where the app runs its engine (``thread``, ``process``; empty: the
            app's default), passed to every child as ``NAVTALK_ENGINE``.
    """

    only: tuple[str, ...] = ALL_BENCHMARKS
    frames: int = 50_000
    repeats: int = 3
    calls: int = 1_000
    memory_frames: int = 100_000
    session_minutes: float = 60.0
    seconds: float = 30.0
    lag_rate: int = 2_000
    startup_runs: int = 5
    timeout_s: float = 300.0
    quick: bool = False
    engine: str = ""

    @classmethod
    def quick_config(cls, only: tuple[str, ...] = ALL_BENCHMARKS) -> BenchConfig:
        """A configuration that runs every benchmark in well under a minute."""
        return cls(
            only=only,
            frames=3_000,
            repeats=1,
            calls=40,
            memory_frames=3_000,
            session_minutes=1.5,
            seconds=2.0,
            startup_runs=1,
            timeout_s=60.0,
            quick=True,
        )


def config_json(config: BenchConfig) -> dict[str, Any]:
    """The configuration as written into the results file."""
    data = asdict(config)
    data["only"] = list(config.only)
    return data
