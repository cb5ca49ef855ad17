"""Smoke check of a built bundle: version, bundled simulator, bundled GUI, one call round trip.

``build.py`` runs it on the extracted release archive, so it tests exactly what users get.
It can also be run alone on any bundle folder::

    .venv/bin/python packaging/smoke.py dist/navtalk-desktop

Every process runs with a scrubbed environment (``PATH=/usr/bin:/bin``, ``HOME``, a UTF-8
locale and temporary XDG/NavTalk folders, nothing from the virtual environment), the GUI on
Qt's offscreen platform and with keyring's null backend so the check never touches the
real keychain. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

EXECUTABLE = "navtalk-desktop"
READY_URL = re.compile(r"ws://127\.0\.0\.1:\d+[^\s\"'<>]*")
CALL_EVENT = "realtime.response.function_call_arguments.done"
# Client -> server frames that carry a function result (protocol reference, section 2, #6).
OUTPUT_EVENTS = frozenset({"realtime.function_call_output", "conversation.item.create"})
NOISE = ("Traceback (most recent call last)", "Event loop is closed", "Task was destroyed")


class SmokeError(RuntimeError):
    """The bundle failed a smoke step; the message says which and shows the output."""


@dataclass
class RoundTrip:
    """What the simulator's session log shows about function calls.

    Attributes:
        calls: call ids the simulator sent in ``function_call_arguments.done`` frames.
        outputs: call ids of function results the client sent back.
        frames: how many frames the log holds.
    """

    calls: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    frames: int = 0

    @property
    def completed(self) -> list[str]:
        """Call ids that were both called and answered, each once, in call order."""
        return [call_id for call_id in dict.fromkeys(self.calls) if call_id in self.outputs]


def _frames(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object with a string ``type`` inside a log record, however it is wrapped.

    The session log keeps each frame byte-exact, so a frame may appear as an object or as
    its raw JSON text inside the record; both are searched.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{") and '"type"' in text:
            try:
                yield from _frames(json.loads(text))
            except json.JSONDecodeError:
                return
        return
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            yield value
        for item in value.values():
            yield from _frames(item)
    elif isinstance(value, list):
        for item in value:
            yield from _frames(item)


def _call_id(frame: dict[str, Any]) -> str | None:
    for holder in (frame.get("data"), frame.get("item"), frame):
        if isinstance(holder, dict) and isinstance(holder.get("call_id"), str):
            return str(holder["call_id"])
    return None


def analyse_session_log(lines: list[str]) -> RoundTrip:
    """Find function calls and their results in the simulator's JSON Lines session log."""
    result = RoundTrip()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        result.frames += 1
        # The simulator's log says who sent each frame: calls go "out", results come "in";
        # "note" records (the simulator's own remarks) are not frames on the wire.
        direction = record.get("direction") if isinstance(record, dict) else None
        if direction == "note":
            continue
        for frame in _frames(record):
            kind = frame["type"]
            call_id = _call_id(frame)
            if call_id is None:
                continue
            if kind == CALL_EVENT and direction in (None, "out"):
                result.calls.append(call_id)
            elif kind in OUTPUT_EVENTS and direction in (None, "in"):
                item = frame.get("item")
                if kind == "conversation.item.create" and not (
                    isinstance(item, dict) and item.get("type") == "function_call_output"
                ):
                    continue
                result.outputs.append(call_id)
    return result


def scrubbed_env(sandbox: Path) -> dict[str, str]:
    """The environment of a user's shell without our venv: like ``env -i PATH=… HOME=…``."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(sandbox)),
        "LANG": "C.UTF-8",
        "NAVTALK_DESKTOP_HOME": str(sandbox / "navtalk-home"),
        "XDG_CONFIG_HOME": str(sandbox / "config"),
        "XDG_DATA_HOME": str(sandbox / "data"),
        "XDG_CACHE_HOME": str(sandbox / "cache"),
        "XDG_STATE_HOME": str(sandbox / "state"),
        "XDG_RUNTIME_DIR": str(sandbox / "runtime"),
        "QT_QPA_PLATFORM": "offscreen",
        # Never read or write the developer's real keychain from a smoke test.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    (sandbox / "runtime").mkdir(parents=True, exist_ok=True)
    (sandbox / "runtime").chmod(0o700)
    return env


class _LineReader:
    """Collects a process's output lines on a thread, so waiting for one can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str] | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            if found := pattern.search(line):
                return found
        return None

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def check_version(executable: Path, env: dict[str, str], expected: str) -> str:
    """``navtalk-desktop --version`` prints ``navtalk-desktop <expected>``."""
    result = subprocess.run(
        [str(executable), "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or output != f"navtalk-desktop {expected}":
        raise SmokeError(
            f"--version: exit {result.returncode}, expected 'navtalk-desktop {expected}', "
            f"got:\n{_tail(output)}"
        )
    return output


PYTHON_C_PROBE = (
    "import csv, io, json, sqlite3, sys, zoneinfo\n"
    "db = sqlite3.connect(':memory:')\n"
    "print(json.dumps({'argv': sys.argv, 'answer': db.execute('select 6 * 7').fetchone()[0]}))"
)


def check_python_c(executable: Path, env: dict[str, str]) -> None:
    """``navtalk-desktop -c CODE`` runs CODE like ``python -c`` (the script responder's path)."""
    result = subprocess.run(
        [str(executable), "-c", PYTHON_C_PROBE, "first-arg"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    try:
        reply = json.loads(result.stdout)
    except json.JSONDecodeError:
        reply = None
    if result.returncode != 0 or reply != {"argv": ["-c", "first-arg"], "answer": 42}:
        raise SmokeError(
            f"-c (script responder interpreter): exit {result.returncode}, output:\n"
            f"{_tail(result.stdout + result.stderr)}"
        )


def start_simulator(
    executable: Path, env: dict[str, str], log_file: Path, timeout: float
) -> tuple[subprocess.Popen[str], _LineReader, str]:
    """Start ``navtalk-desktop simulate --port 0 --log FILE``; return it and its ws:// URL."""
    process = subprocess.Popen(
        [str(executable), "simulate", "--port", "0", "--log", str(log_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    reader = _LineReader(process.stdout)
    found = reader.wait_for(READY_URL, timeout)
    if found is None:
        stop(process)
        raise SmokeError(
            f"simulate printed no ready line with a ws://127.0.0.1 URL within {timeout:.0f} s "
            f"(exit {process.returncode}); output:\n{_tail(reader.text())}"
        )
    return process, reader, found.group(0)


def stop(process: subprocess.Popen[str], timeout: float = 10) -> int:
    """Ask a process to stop (SIGTERM), kill it if it lingers; return its exit code."""
    if process.poll() is None:
        process.terminate()  # SIGTERM: the simulator stops cleanly on it, like on Ctrl+C
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def run_gui_round_trip(
    executable: Path, env: dict[str, str], url: str, log_file: Path, seconds: float
) -> tuple[RoundTrip, str]:
    """Run the GUI offscreen against ``url`` with automatic answering until it quits itself."""
    result = subprocess.run(
        [
            str(executable),
            "--url",
            url,
            "--connect",
            "--auto",
            "--quit-after",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
        check=False,
    )
    output = result.stdout + result.stderr
    lines = log_file.read_text(encoding="utf-8").splitlines() if log_file.exists() else []
    trip = analyse_session_log(lines)
    if result.returncode != 0:
        raise SmokeError(f"GUI exited with {result.returncode}; output:\n{_tail(output)}")
    noise = [marker for marker in NOISE if marker in output]
    if noise:
        raise SmokeError(f"GUI output contains {noise}:\n{_tail(output)}")
    if not trip.frames:
        raise SmokeError(
            f"the GUI never connected to the simulator in {seconds:g} s (its session log "
            f"is empty): does the GUI honour --url/--connect? GUI output:\n{_tail(output)}"
        )
    if not trip.calls:
        raise SmokeError(
            f"the GUI connected ({trip.frames} frames logged) but the simulator sent no "
            "function call: nothing started a user turn that calls a tool. "
            f"GUI output:\n{_tail(output)}"
        )
    if not trip.completed:
        raise SmokeError(
            f"the simulator sent function call(s) {trip.calls} but the GUI answered none "
            f"in {seconds:g} s (results seen: {trip.outputs or 'none'}); is --auto "
            f"answering? GUI output:\n{_tail(output)}"
        )
    return trip, output


def smoke_check(
    bundle: Path, expected_version: str, gui_seconds: float = 15.0, say: Any = print
) -> None:
    """Run every smoke step on ``bundle`` (a folder holding ``navtalk-desktop``).

    Raises:
        SmokeError: a step failed; the message shows the relevant output.
    """
    executable = bundle / EXECUTABLE
    if not os.access(executable, os.X_OK):
        raise SmokeError(f"{executable} is missing or not executable")
    sandbox = Path(tempfile.mkdtemp(prefix="navtalk-smoke-"))
    try:
        env = scrubbed_env(sandbox)
        started = time.monotonic()
        say(f"smoke: {check_version(executable, env, expected_version)}")
        check_python_c(executable, env)
        say("smoke: -c runs code on the bundled interpreter (script responders)")
        log_file = sandbox / "simulator-session.jsonl"
        simulator, reader, url = start_simulator(executable, env, log_file, timeout=60)
        say(f"smoke: bundled simulator ready at {url}")
        try:
            trip, _output = run_gui_round_trip(executable, env, url, log_file, gui_seconds)
        finally:
            code = stop(simulator)
        say(
            f"smoke: bundled GUI completed {len(trip.completed)} function-call round trip(s) "
            f"(call ids {', '.join(trip.completed)}); simulator stopped with exit {code}"
        )
        if any(marker in reader.text() for marker in NOISE):
            raise SmokeError(f"simulator output shows an error:\n{_tail(reader.text())}")
        say(f"smoke: passed in {time.monotonic() - started:.1f} s")
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test a built NavTalk Desktop bundle.")
    parser.add_argument("bundle", type=Path, help="bundle folder (holds navtalk-desktop)")
    parser.add_argument("--version", dest="expected", help="expected version (default: pyproject)")
    parser.add_argument("--gui-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    expected = args.expected
    if expected is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bundle_config

        expected = bundle_config.project_version()
    try:
        smoke_check(args.bundle, expected, args.gui_seconds)
    except SmokeError as failure:
        print(f"SMOKE CHECK FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
