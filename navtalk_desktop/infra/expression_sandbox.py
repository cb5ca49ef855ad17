"""Templates and regexes evaluated in worker processes that are killed when over budget.

:class:`ProcessExpressionSandbox` implements
:class:`~navtalk_desktop.core.responders.sandbox.ExpressionSandbox`. Workers
(``infra.expression_worker``) are persistent, so a render costs a pipe round trip rather
than a process start; each one has a memory cap. A request that outlives its budget gets
its worker killed (the CPU stops burning at once) and a clear error; the next request starts
a fresh worker. Several requests run in parallel on separate workers, so one runaway template
does not hold up the answers to other calls.

Workers belong to the event loop that started them: the app's engine thread and its GUI
loop each get their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import navtalk_desktop
from navtalk_desktop.core.responders.config import StepLimits
from navtalk_desktop.core.responders.sandbox import (
    PatternError,
    PatternLimitError,
    compile_pattern,
    over_budget_message,
)
from navtalk_desktop.core.responders.templating import TemplateError, TemplateLimitError

# Imported (not only named in the child's command) so that bundles built by following
# imports contain it.
from navtalk_desktop.infra import expression_worker

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024
# Pipe and scheduling slack on top of a budget before the worker is killed.
GRACE_S = 0.25
STARTUP_TIMEOUT_S = 30.0
_PACKAGE_ROOT = str(Path(navtalk_desktop.__file__).resolve().parent.parent)
# -I: no user site, no PYTHON* variables, not the working folder on the path.
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    f"from {expression_worker.__name__} import main; main()"
)
_HIDDEN_ENV = ("NAVTALK_LICENSE",)


class _OverBudgetError(Exception):
    pass


class _WorkerGoneError(Exception):
    pass


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_ready(self) -> None:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), STARTUP_TIMEOUT_S)
        if not line.startswith(b'{"ready"'):
            stderr = b""
            if self.process.stderr is not None:
                with contextlib.suppress(TimeoutError):
                    stderr = await asyncio.wait_for(self.process.stderr.read(2000), 1.0)
            raise _WorkerGoneError(
                "the expression worker did not start: "
                + (stderr.decode("utf-8", "replace").strip()[-300:] or "no output")
            )

    async def request(self, payload: bytes) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            self.process.stdin.write(payload)
            await self.process.stdin.drain()
            line = await self.process.stdout.readline()
        except (ConnectionError, BrokenPipeError) as exc:
            raise _WorkerGoneError(f"the expression worker stopped: {exc}") from None
        if not line:
            raise _WorkerGoneError(
                f"the expression worker stopped (exit code {await self.process.wait()})"
            )
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()  # SIGKILL: the work stops now, whatever it was doing
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()

    def close(self) -> None:
        """Ask it to exit (stdin closed); kill it if it is still busy."""
        if self.process.stdin is not None:
            with contextlib.suppress(Exception):
                self.process.stdin.close()
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()


class _Pool:
    """The workers of one event loop."""

    def __init__(self, size: int) -> None:
        self.idle: list[_Worker] = []
        self.busy: set[_Worker] = set()
        self.slots = asyncio.Semaphore(size)


class ProcessExpressionSandbox:
    """An :class:`~navtalk_desktop.core.responders.sandbox.ExpressionSandbox` on worker processes.

    Args:
        workers: at most this many requests run at once (per event loop); more wait.
        memory_bytes: address-space cap of each worker.
        python: interpreter for the workers (default: the one running the app).
    """

    def __init__(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        python: str | None = None,
    ) -> None:
        self.workers = max(1, workers)
        self.memory_bytes = memory_bytes
        self.python = python or sys.executable
        self.killed = 0  # workers killed over budget (for tests and diagnostics)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = (
            weakref.WeakKeyDictionary()
        )

    # ------------------------------------------------------------------ the port

    async def render(self, source: str, context: Mapping[str, Any], limits: StepLimits) -> str:
        """Render in a worker; over budget, the worker is killed.

        Raises:
            TemplateLimitError: over the time budget, the output cap or the memory cap.
            TemplateError: any other template problem.
        """
        request = {
            "op": "render",
            "source": source,
            "context": dict(context),
            "time_s": limits.time_s,
            "max_chars": limits.max_output,
        }
        try:
            reply = await self._call(request, limits.time_s)
        except _OverBudgetError:
            raise TemplateLimitError(
                f"template took longer than its {limits.time_s:g} s budget and was stopped"
            ) from None
        except _WorkerGoneError as exc:
            raise TemplateError(str(exc)) from None
        if reply.get("ok"):
            return str(reply["text"])
        error = str(reply.get("error", "unknown error"))
        if reply.get("limit"):
            prefix = "" if error.startswith("template") else "template stopped: "
            raise TemplateLimitError(prefix + error)
        raise TemplateError(error)

    async def search(
        self, pattern: str, texts: Sequence[str], *, ignore_case: bool, limits: StepLimits
    ) -> bool:
        """Search in a worker; over budget, the worker is killed.

        Raises:
            PatternLimitError: over the time budget (or the memory cap).
            PatternError: the pattern does not compile.
        """
        compile_pattern(pattern, ignore_case)  # cheap, and a clear error without a worker
        request = {
            "op": "search",
            "pattern": pattern,
            "texts": list(texts),
            "ignore_case": ignore_case,
        }
        try:
            reply = await self._call(request, limits.time_s)
        except _OverBudgetError:
            raise PatternLimitError(over_budget_message(pattern, limits.time_s or 0)) from None
        except _WorkerGoneError as exc:
            raise PatternError(str(exc)) from None
        if reply.get("ok"):
            return bool(reply["match"])
        if reply.get("limit"):
            raise PatternLimitError(f"pattern {pattern!r} stopped: {reply.get('error')}")
        raise PatternError(str(reply.get("error", "unknown error")))

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start one worker now, so the first call does not wait for it."""
        pool = self._pool()
        async with pool.slots:
            if not pool.idle:
                pool.idle.append(await self._spawn())

    async def close(self) -> None:
        """Stop this loop's workers."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is None:
            return
        for worker in [*pool.idle, *pool.busy]:
            worker.close()
            with contextlib.suppress(ProcessLookupError):
                await worker.process.wait()
        pool.idle.clear()
        pool.busy.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of this loop's live workers."""
        pool = self._pools.get(asyncio.get_running_loop())
        if pool is None:
            return []
        return [w.pid for w in [*pool.idle, *pool.busy] if w.process.returncode is None]

    # ------------------------------------------------------------------ internals

    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _Pool(self.workers)
        return pool

    async def _spawn(self) -> _Worker:
        env = {key: value for key, value in os.environ.items() if key not in _HIDDEN_ENV}
        # A bundled app's executable understands only a leading -c (packaging/
        # navtalk_desktop_main.py) and has no user site or PYTHON* variables to isolate from.
        isolate = [] if getattr(sys, "frozen", False) else ["-I"]
        process = await asyncio.create_subprocess_exec(
            self.python,
            *isolate,
            "-c",
            _BOOT,
            str(self.memory_bytes),
            _PACKAGE_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            # Replies can be a whole answer (1 MB of text, JSON-escaped).
            limit=64 * 1024 * 1024,
            start_new_session=sys.platform != "win32",
        )
        worker = _Worker(process)
        try:
            await worker.wait_ready()
        except BaseException:
            await worker.kill()
            raise
        return worker

    async def _call(self, request: dict[str, Any], time_s: float | None) -> dict[str, Any]:
        payload = json.dumps(request).encode("ascii") + b"\n"
        pool = self._pool()
        async with pool.slots:
            worker = pool.idle.pop() if pool.idle else await self._spawn()
            pool.busy.add(worker)
            keep = False
            try:
                timeout = None if time_s is None else time_s + GRACE_S
                reply = await asyncio.wait_for(worker.request(payload), timeout)
                keep = True
                return reply
            except TimeoutError:
                self.killed += 1
                log.info("expression worker %s over its %s s budget: killed", worker.pid, time_s)
                raise _OverBudgetError from None
            finally:
                pool.busy.discard(worker)
                if keep:
                    pool.idle.append(worker)
                else:
                    # Over budget, cancelled, or broken: it may still be computing.
                    await worker.kill()
