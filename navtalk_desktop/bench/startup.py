"""B5: process start → "main window shown", against a bare PySide6 program's window."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from navtalk_desktop.bench import bare_window

APP_SHOWN_LINE = "main window shown"
SHOWN_TIMEOUT_S = 60.0


def app_command() -> list[str]:
    """The desktop app, quitting by itself soon after its window is shown."""
    return [sys.executable, "-m", "navtalk_desktop", "--quit-after", "0.3"]


def bare_command() -> list[str]:
    """The bare PySide6 program, run as a plain script."""
    return [sys.executable, str(Path(bare_window.__file__))]


async def time_to_line(
    command: list[str], line: str, env: Mapping[str, str], log_path: Path
) -> float:
    """Seconds from starting ``command`` until ``line`` appears on its stderr.

    The process is then left to quit by itself (killed if it does not within 20 s);
    everything it wrote goes to ``log_path``.

    Raises:
        RuntimeError: the process ended, or took longer than a minute, without the line.
    """
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
    )
    assert process.stderr is not None
    seen: float | None = None
    output: list[bytes] = []
    try:
        async with asyncio.timeout(SHOWN_TIMEOUT_S):
            while True:
                raw = await process.stderr.readline()
                if not raw:
                    break
                output.append(raw)
                if seen is None and line in raw.decode(errors="replace"):
                    seen = time.perf_counter() - started
                    break
        async with asyncio.timeout(20):
            output.append(await process.stderr.read())
            await process.wait()
    except TimeoutError:
        pass
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        await asyncio.to_thread(log_path.write_bytes, b"".join(output))
    if seen is None:
        raise RuntimeError(
            f"{Path(command[-1]).name if command[1] != '-m' else command[2]} never logged "
            f"{line!r} (exit {process.returncode}); see {log_path}"
        )
    return seen
