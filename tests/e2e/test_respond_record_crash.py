"""``respond --record`` is written while the session runs: a ``kill -9`` leaves a readable prefix."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.recording import open_recording
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from tests.e2e.test_respond_cli import LICENSE, Simulator, _env

# Lines the recording must hold before the process is killed: far more than a header.
ENOUGH_LINES = 3000
# Longest wait for them (the simulator streams 2,000 frames a second).
WAIT_S = 90


def _complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_killed_respond_leaves_a_valid_json_lines_prefix(tmp_path: Path) -> None:
    simulator = Simulator(tmp_path / "sim-home", "--load", "2000")
    tools = tmp_path / "tools.navtools.json"
    ToolSetFileStore().save(tools, ToolSet(name="t", tools=(new_entry("function_call_judge"),)))
    record = tmp_path / "session.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "navtalk_desktop",
            "respond",
            "--url",
            simulator.url,
            "--tools",
            str(tools),
            "--record",
            str(record),
            "--duration",
            "600",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(tmp_path / "home"),
    )
    try:
        # Wait for the state asserted on (the file growing), not for a time.
        deadline = time.monotonic() + WAIT_S
        while _complete_lines(record) < ENOUGH_LINES and process.poll() is None:
            assert time.monotonic() < deadline, (
                f"the recording holds {_complete_lines(record)} lines while respond runs"
            )
            time.sleep(0.05)
        assert process.poll() is None, "respond ended before it was killed"
        process.kill()  # SIGKILL: no clean-up of any kind runs
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
        simulator.stop()

    data = record.read_bytes()
    *complete, torn = data.split(b"\n")
    assert len(complete) >= ENOUGH_LINES
    # Every complete line is JSON: the header, then entries numbered without a gap.
    lines = [json.loads(line) for line in complete]
    assert lines[0]["format"] == "navtalk-desktop-timeline"
    assert [line["seq"] for line in lines[1:]] == list(range(1, len(lines)))
    assert any(line["type"] == "realtime.response.audio.delta" for line in lines[1:])
    assert LICENSE.encode() not in data  # redacted as it was written
    # The reader opens it: the complete entries, and a note when the last line is torn.
    opened = open_recording(record)
    assert len(opened.timeline) == len(lines) - 1
    if torn:
        assert opened.note is not None
        assert "cut off" in opened.note
    else:
        assert opened.note is None
