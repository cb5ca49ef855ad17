"""Smoke check of a built bundle: version, ``-c``, licenses, simulator, GUI round trip, ``respond``.

``build.py`` runs it on the extracted release archive, so it tests exactly what users get.
It can also be run alone on any bundle folder::

    .venv/bin/python packaging/smoke.py dist/navtalk-desktop

The bundle's processes run with a scrubbed environment (``PATH=/usr/bin:/bin``, ``HOME``,
a UTF-8 locale and temporary XDG/NavTalk folders; nothing from the virtual environment),
the GUI on Qt's offscreen platform and with keyring's null backend, so the check never
touches the real keychain. The bundled simulator calls ``function_call_judge`` by itself
(load mode); the bundled GUI, given a tool set whose responder is static, must answer it
automatically, and the simulator's session log must show that answer.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

EXECUTABLE = "navtalk-desktop"
READY_URL = re.compile(r"ws://127\.0\.0\.1:\d+[^\s\"'<>]*")
CALL_EVENT = "realtime.response.function_call_arguments.done"
# The only license the bundled simulator accepts during the check; the GUI gets it in the
# URL (moved to memory, never to disk) and it must never show up in any output.
SMOKE_LICENSE = "sk_navtalk_smoke_4f1d9a"
SMOKE_ANSWER = "Bundle smoke check: sunny, 24 degrees"
NOISE = ("Traceback (most recent call last)", "Event loop is closed", "Task was destroyed")


class SmokeError(RuntimeError):
    """The bundle failed a smoke step; the message says which and shows the output."""


@dataclass
class RoundTrip:
    """What the simulator's session log shows about function calls.

    Attributes:
        calls: call ids of ``function_call_arguments.done`` frames the simulator sent
            (load mode does not log its frames one by one; see ``load_calls``).
        outputs: call ids of function results the client sent.
        unknown: call ids of results the simulator could not match to a call it made.
        load_calls: calls the load stream sent (from its ``load.end`` note).
        load_results: results the simulator counted for them.
        answers: the output text of each result, by call id.
        records: how many log records were read.
    """

    calls: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    load_calls: int = 0
    load_results: int = 0
    answers: dict[str, str] = field(default_factory=dict)
    records: int = 0

    @property
    def completed(self) -> list[str]:
        """Ids of calls the simulator made and the client answered, each once.

        A result counts when its id matches a logged call, or, for load-mode calls
        (not logged one by one), when the simulator accepted it as a load-call result.
        """
        load_ok = self.load_calls > 0 and self.load_results > 0
        return [
            call_id
            for call_id in dict.fromkeys(self.outputs)
            if call_id not in self.unknown and (call_id in self.calls or load_ok)
        ]


def _as_object(value: Any) -> dict[str, Any] | None:
    """A logged frame as a dict (the log keeps frames that were not valid JSON as text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def _call_id(frame: dict[str, Any]) -> str | None:
    for holder in (frame.get("data"), frame.get("item"), frame):
        if isinstance(holder, dict) and isinstance(holder.get("call_id"), str):
            return str(holder["call_id"])
    return None


def _is_result(frame: dict[str, Any]) -> bool:
    """A client frame carrying a function result (protocol reference, section 2, #6)."""
    kind = frame.get("type")
    if kind == "realtime.function_call_output":
        return True
    item = frame.get("item")
    return (
        kind == "conversation.item.create"
        and isinstance(item, dict)
        and item.get("type") == "function_call_output"
    )


def analyse_session_log(lines: list[str]) -> RoundTrip:
    """Find function calls and their results in the simulator's session log.

    The log is JSON Lines, one record per frame or note:
    ``{"time", "session", "direction": "in"|"out"|"note", "type", "frame"}``.
    """
    trip = RoundTrip()
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(record, dict):
            continue
        trip.records += 1
        direction, kind = record.get("direction"), record.get("type")
        frame = _as_object(record.get("frame"))
        if frame is None:
            continue
        if direction == "note":
            if kind == "result.unknown_call" and isinstance(frame.get("call_id"), str):
                trip.unknown.append(frame["call_id"])
            elif kind == "load.end":
                trip.load_calls += int(frame.get("calls") or 0)
                trip.load_results += int(frame.get("results") or 0)
            continue
        call_id = _call_id(frame)
        if call_id is None:
            continue
        if direction == "out" and frame.get("type") == CALL_EVENT:
            trip.calls.append(call_id)
        elif direction == "in" and _is_result(frame):
            trip.outputs.append(call_id)
            holder = frame.get("item") if isinstance(frame.get("item"), dict) else frame.get("data")
            if isinstance(holder, dict):
                trip.answers[call_id] = str(holder.get("output"))
    return trip


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


# Runs inside the bundle: stdlib modules scripts need, and the packaged icons the window uses.
PYTHON_C_PROBE = (
    "import csv, io, json, sqlite3, sys, zoneinfo\n"
    "from navtalk_desktop.infra import resource_paths as r\n"
    "icons = [*r.icon_paths().values(), r.svg_icon_path()]\n"
    "db = sqlite3.connect(':memory:')\n"
    "print(json.dumps({'argv': sys.argv, 'answer': db.execute('select 6 * 7').fetchone()[0],"
    " 'icons': all(p.is_file() for p in icons)}))"
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
    if result.returncode != 0 or reply != {
        "argv": ["-c", "first-arg"],
        "answer": 42,
        "icons": True,
    }:
        raise SmokeError(
            f"-c (script responder interpreter): exit {result.returncode}, output:\n"
            f"{_tail(result.stdout + result.stderr)}"
        )


def start_simulator(
    executable: Path, env: dict[str, str], log_file: Path, timeout: float
) -> tuple[subprocess.Popen[str], _LineReader, str]:
    """Start the bundled simulator; return it, its output reader and its ws:// URL.

    Load mode makes the simulator call ``function_call_judge`` by itself, with no user
    turn needed: 300 frames at 50/s after ``session.updated``, one call at frame 200
    (~4 s), and 2 s left to answer it before the stream ends.
    """
    process = subprocess.Popen(
        [
            str(executable),
            "simulate",
            "--port",
            "0",
            "--fast",
            "--log",
            str(log_file),
            "--license",
            SMOKE_LICENSE,
            "--load",
            "50",
            "--load-frames",
            "300",
        ],
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


def write_tool_set(path: Path) -> Path:
    """A tool set with the seed's ``function_call_judge`` answered by a static responder.

    Written with the project's own tool-set code (this script runs in the project's
    environment; only the bundle under test runs without it).
    """
    from navtalk_desktop.core.responders.config import (
        ResponderChain,
        ResponderStep,
        StaticConfig,
    )
    from navtalk_desktop.core.tools.templates import new_entry
    from navtalk_desktop.core.tools.toolset import ToolSet, toolset_to_json

    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(SMOKE_ANSWER)),))
    )
    toolset = ToolSet(name="Bundle smoke check", tools=(entry,))
    path.write_text(json.dumps(toolset_to_json(toolset)), encoding="utf-8")
    return path


def run_gui_round_trip(
    executable: Path, env: dict[str, str], url: str, log_file: Path, tools: Path, seconds: float
) -> RoundTrip:
    """Run the GUI offscreen against ``url``, answering automatically, until it quits itself."""
    separator = "&" if "?" in url else "?"
    result = subprocess.run(
        [
            str(executable),
            "--url",
            f"{url}{separator}license={SMOKE_LICENSE}",
            "--tools",
            str(tools),
            "--connect",
            "--auto",
            "--quit-after",
            f"{seconds:g}",
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
    places = {"GUI output": output, "simulator's session log": "\n".join(lines)}
    leaks = [name for name, text in places.items() if SMOKE_LICENSE in text]
    if leaks:
        raise SmokeError(f"the license leaked into the {' and the '.join(leaks)}")
    if not trip.records:
        raise SmokeError(
            f"the GUI never connected to the simulator in {seconds:g} s (its session log "
            f"is empty): does the GUI honour --url/--connect? GUI output:\n{_tail(output)}"
        )
    if not (trip.calls or trip.load_calls):
        raise SmokeError(
            f"the GUI connected ({trip.records} log records) but the simulator sent no "
            f"function call in {seconds:g} s. GUI output:\n{_tail(output)}"
        )
    if not trip.completed:
        raise SmokeError(
            f"the simulator sent {len(trip.calls) + trip.load_calls} function call(s) but "
            f"no answer matched (results {trip.outputs or 'none'}, unmatched "
            f"{trip.unknown or 'none'}); is --auto answering? GUI output:\n{_tail(output)}"
        )
    wrong = {
        cid: trip.answers.get(cid)
        for cid in trip.completed
        if trip.answers.get(cid) != SMOKE_ANSWER
    }
    if wrong:
        raise SmokeError(f"the GUI answered with {wrong}, not the static reply {SMOKE_ANSWER!r}")
    return trip


def check_respond_with_scripts(executable: Path, env: dict[str, str], url: str) -> str:
    """Headless ``respond`` answers a call with a bundled example script.

    The script responder runs the bundle's own executable as ``-c`` (see
    ``navtalk_desktop_main.py``) with the example SQLite data shipped in the bundle.
    """
    result = subprocess.run(
        [
            str(executable),
            "respond",
            "--url",
            url,
            "--tools",
            "example:use-cases",
            "--examples",
            "--say",
            "How many sales did we make in the West region today?",
            "--max-calls",
            "1",
            "--duration",
            "60",
        ],
        capture_output=True,
        text=True,
        env={**env, "NAVTALK_LICENSE": SMOKE_LICENSE},
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    answered = [line for line in output.splitlines() if line.startswith("call query_sales ")]
    if result.returncode != 0 or not answered or "[ok, script" not in answered[0]:
        raise SmokeError(
            f"respond with example scripts: exit {result.returncode}, output:\n{_tail(output)}"
        )
    if SMOKE_LICENSE in output:
        raise SmokeError("the license leaked into respond's output")
    return answered[0]


# Runs inside the bundle: what Help -> Licenses shows (read from the bundle's licenses/).
LICENSES_PROBE = (
    "import json\n"
    "from navtalk_desktop.infra.licenses import available_notices\n"
    "print(json.dumps([[n.name, n.license, len(n.texts)] for n in available_notices()]))"
)


def check_licenses(executable: Path, env: dict[str, str]) -> int:
    """The bundled app finds the collected notices: its own MIT first, every one with text.

    Returns:
        How many notices it found.
    """
    result = subprocess.run(
        [str(executable), "-c", LICENSES_PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    try:
        notices = json.loads(result.stdout)
    except json.JSONDecodeError:
        notices = []
    names = [name for name, _license, _texts in notices]
    if (
        result.returncode != 0
        or notices[:1] != [["navtalk-desktop", "MIT", 1]]
        or "Python" not in names
        or "PySide6_Essentials" not in names
        or any(texts == 0 for _name, _license, texts in notices)
    ):
        raise SmokeError(
            f"license notices in the bundle: exit {result.returncode}, output:\n"
            f"{_tail(result.stdout + result.stderr)}"
        )
    return len(notices)


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
        say("smoke: -c runs code on the bundled interpreter; packaged icons resolve")
        say(f"smoke: Help -> Licenses finds {check_licenses(executable, env)} notices")
        log_file = sandbox / "simulator-session.jsonl"
        tools = write_tool_set(sandbox / "smoke-tools.json")
        simulator, reader, url = start_simulator(executable, env, log_file, timeout=60)
        say(f"smoke: bundled simulator ready at {url}")
        try:
            trip = run_gui_round_trip(executable, env, url, log_file, tools, gui_seconds)
            say(
                f"smoke: bundled GUI answered {len(trip.completed)} function call(s) from the "
                f"bundled simulator (call ids {', '.join(trip.completed)})"
            )
            line = check_respond_with_scripts(executable, env, url)
            say(f"smoke: respond ran an example script: {line[:100]}")
        finally:
            code = stop(simulator)
        if code != 0:
            raise SmokeError(f"simulator exited with {code}:\n{_tail(reader.text())}")
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
