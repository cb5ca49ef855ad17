"""B5: process start → "main window shown", against a bare PySide6 program's window."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping
from pathlib import Path

APP_SHOWN_LINE = "main window shown"
# What bare_window.py prints (it is run as a script, so it is not imported here).
BARE_SHOWN_LINE = "window shown"
BARE_WINDOW = Path(__file__).with_name("bare_window.py")
SHOWN_TIMEOUT_S = 60.0


def app_command() -> list[str]:
    """The desktop app, quitting by itself soon after its window is shown."""
    return [sys.executable, "-m", "navtalk_desktop", "--quit-after", "0.3"]


def bare_command() -> list[str]:
    """The bare PySide6 program, run as a plain script."""
    return [sys.executable, str(BARE_WINDOW)]


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
        name = command[2] if command[1] == "-m" else Path(command[1]).name
        raise RuntimeError(
            f"{name} never printed {line!r} (exit status {process.returncode}); see {log_path}"
        )
    return seen
