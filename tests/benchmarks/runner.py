"""Runs the suite's children: load sources in this process, every measured path in its own."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from navtalk_desktop.engine_process.design import ENGINE_ENV
from tests.benchmarks.config import B3_CALL_EVERY, B3_RATE, REPOSITORY_ROOT, BenchConfig, Progress
from tests.benchmarks.source import ProbedSimulator, source_config


class SuiteRunner:
    """Starts the load sources and the child processes of the benchmark suite.

    Args:
        config: what to run and how big.
        workdir: where child logs and homes go.
        progress: called with one line per step.

    Attributes:
        runs: raw results of every child, by label, for the JSON file.
    """

    def __init__(self, config: BenchConfig, workdir: Path, progress: Progress) -> None:
        self.config = config
        self.workdir = workdir
        self.progress = progress
        self.runs: dict[str, list[dict[str, Any]]] = {}
        self.failures = 0
        self._sims: dict[str, ProbedSimulator] = {}
        self._counter = itertools.count(1)

    async def _sim(self, key: str) -> ProbedSimulator:
        """The load source for ``key``, started on first use."""
        sim = self._sims.get(key)
        if sim is None:
            if key == "calls":
                sim = ProbedSimulator(source_config(rate=B3_RATE, call_every=B3_CALL_EVERY))
            elif key == "paced":
                sim = ProbedSimulator(source_config(rate=self.config.lag_rate))
            else:
                sim = ProbedSimulator(source_config(), small_frames=key == "small")
            await sim.start("127.0.0.1", 0)
            self._sims[key] = sim
        return sim

    def _env(self, directory: Path, log_level: str = "INFO") -> dict[str, str]:
        """A child's environment: offscreen Qt, a private home, never a real keychain."""
        home = directory / "home"
        # The children import this package (tests.benchmarks), which is not installed:
        # the repository root goes first on their path, wherever they are started from.
        python_path = os.pathsep.join(
            p for p in (str(REPOSITORY_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            **os.environ,
            "PYTHONPATH": python_path,
            "QT_QPA_PLATFORM": "offscreen",
            "NAVTALK_DESKTOP_HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "XDG_DATA_HOME": str(home / "xdg-data"),
            "XDG_CACHE_HOME": str(home / "xdg-cache"),
            "XDG_STATE_HOME": str(home / "xdg-state"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NAVTALK_LOG_LEVEL": log_level,
            ENGINE_ENV: self.config.engine,
        }

    async def _child(
        self,
        scenario: str,
        params: dict[str, Any],
        label: str,
        until: Callable[[], Awaitable[None]] | None = None,
    ) -> dict[str, Any]:
        """Run one child to completion and return its result (``error`` when it failed).

        Args:
            scenario: a name from :data:`tests.benchmarks.child.SCENARIOS`.
            params: the scenario's parameters.
            label: names the run in logs and in the JSON file.
            until: when given, the child is told to stop (stop file) once this returns.
        """
        directory = self.workdir / f"{next(self._counter):02d}-{label}"
        directory.mkdir(parents=True)
        result_path = directory / "result.json"
        log_path = directory / "child.log"
        params = {**params, "timeout_s": self.config.timeout_s}
        self.progress(f"  {label} …")
        started = time.monotonic()
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.benchmarks.child",
                scenario,
                json.dumps(params),
                str(result_path),
                stdin=asyncio.subprocess.PIPE,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=self._env(directory),
            )
            waiter = asyncio.ensure_future(process.wait())
            try:
                if until is not None:
                    condition = asyncio.ensure_future(until())
                    await asyncio.wait(
                        {waiter, condition},
                        timeout=self.config.timeout_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    condition.cancel()
                _close_input(process)
                await asyncio.wait_for(asyncio.shield(waiter), self.config.timeout_s + 30)
            except TimeoutError:
                pass
            finally:
                _close_input(process)
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await waiter
        result: dict[str, Any]
        try:
            result = json.loads(result_path.read_text())
        except (OSError, ValueError):
            result = {"error": f"exited with status {process.returncode} without a result"}
        result["exit_status"] = process.returncode
        result["log"] = str(log_path)
        result["wall_s"] = round(time.monotonic() - started, 3)
        if "error" in result:
            self.failures += 1
            self.progress(f"  {label} FAILED: {result['error']} (log: {log_path})")
        self.runs.setdefault(label, []).append(result)
        return result


def _close_input(process: asyncio.subprocess.Process) -> None:
    """Tell a child to stop: the end of its standard input."""
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
