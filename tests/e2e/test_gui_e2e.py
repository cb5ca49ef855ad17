"""The real ``navtalk-desktop`` GUI process answers a call from a real ``simulate`` process.

Two subprocesses talk over a loopback socket: the simulator streams a conversation with a
``function_call_judge`` call (load mode), the app connects at start-up (``--connect``)
and answers automatically (``--auto``) with the static responder of the tool set given
by ``--tools``. The simulator's own session log must show the complete round trip.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet, toolset_to_json

LICENSE = "sk_navtalk_e2e_secret_license"
ANSWER = "E2E answer: sunny, 24 degrees"
READY = "NavTalk simulator ready:"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        # The subprocesses must never reach a developer's real keychain.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "NAVTALK_LICENSE": LICENSE,
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A ``navtalk-desktop simulate`` process streaming one call; yields (ws url, log file)."""
    log_file = tmp_path / "simulator.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "navtalk_desktop",
            "simulate",
            "--fast",
            "--license",
            LICENSE,
            "--log",
            str(log_file),
            # Load mode: after session.updated, 300 frames at 30/s with a call at frame 200.
            # Load streams count only the answers that arrive while they stream: 100 frames
            # (3.3 s) after the call leave a loaded machine room to answer.
            "--load",
            "30",
            "--load-frames",
            "300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.startswith(READY):
                url = line[len(READY) :].split()[0]
                break
        assert url.startswith("ws://127.0.0.1:"), "simulator did not report ready"
        yield url, log_file
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _tools_file(path: Path) -> Path:
    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(ANSWER)),))
    )
    toolset = ToolSet(name="E2E tools", tools=(entry,))
    path.write_text(json.dumps(toolset_to_json(toolset)), encoding="utf-8")
    return path


def _log_entries(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def test_gui_process_answers_a_call_from_the_simulate_process(
    simulator: tuple[str, Path], tmp_path: Path
) -> None:
    url, log_file = simulator
    tools = _tools_file(tmp_path / "tools.json")
    # The app is quit (as File ▸ Quit does) once the simulator has logged the end of its
    # load stream, which it does after the answer came back or gave up on it.
    until = {"file": str(log_file), "file_contains": ['"load.end"']}
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("app_driver.py")),
            json.dumps({"until": until}),
            "--url",
            url,
            "--tools",
            str(tools),
            "--connect",
            "--auto",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert json.loads(result.stdout.strip().splitlines()[-1])["until_met"], output
    assert "main window shown" in output
    for noise in ("Traceback", "Event loop is closed", "Task was destroyed but it is pending"):
        assert noise not in output, output
    assert LICENSE not in output

    entries = _log_entries(log_file)
    notes = {e["type"]: e["frame"] for e in entries if e["direction"] == "note"}
    received = [e for e in entries if e["direction"] == "in"]
    types = [e["type"] for e in received]
    # Tools registered on connect, exactly as the seed does it.
    registration = next(e for e in received if e["type"] == "realtime.input_function_call")
    tools_sent = json.loads(registration["frame"]["data"]["content"])
    assert [t["name"] for t in tools_sent] == ["function_call_judge"]
    # The answer came back (default result style: function_call_output + response.create)…
    outputs = [e["frame"]["data"] for e in received if e["type"] == "realtime.function_call_output"]
    assert outputs, f"no function result reached the simulator: {types}"
    assert outputs[0]["output"] == ANSWER
    assert re.fullmatch(r"call_[A-Za-z0-9]{16}", outputs[0]["call_id"])
    assert "response.create" in types[types.index("realtime.function_call_output") :]
    # …and the simulator matched it to the call it had sent (load streams log a summary).
    assert "result.unknown_call" not in notes
    assert notes["load.end"]["calls"] >= 1
    assert notes["load.end"]["results"] == notes["load.end"]["calls"]
    assert LICENSE not in log_file.read_text(encoding="utf-8")
