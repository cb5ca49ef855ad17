"""``navtalk-desktop simulate`` as a real process: ready line, a seed-flow session, clean stop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

LICENSE = "sk_navtalk_E2eSecretLicense"
READY = re.compile(
    r"^NavTalk simulator ready: (ws://127\.0\.0\.1:(\d+)/wss/v2/realtime-chat) "
    r"\(REST (http://127\.0\.0\.1:\d+/api/open/v1)\)$"
)


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}


def _read_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The next stdout line, or fail after ``timeout`` (the process may be slow to import)."""
    result: list[str] = []
    reader = threading.Thread(
        target=lambda: result.append(process.stdout.readline() if process.stdout else "")
    )
    reader.start()
    reader.join(timeout)
    assert result, "no line from the simulator in time"
    return result[0].rstrip("\n")


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    log_path = tmp_path / "session.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "navtalk_desktop", "simulate", "--port", "0", "--fast",
         "--license", LICENSE, "--log", str(log_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )  # fmt: skip
    try:
        yield process, log_path
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


async def _seed_flow(ws_url: str) -> dict[str, object]:
    tools = [
        {
            "type": "function",
            "name": "function_call_judge",
            "description": "Judge the request",
            "parameters": {
                "type": "object",
                "properties": {"userInput": {"type": "string"}},
                "required": ["userInput"],
            },
        }
    ]
    async with connect(f"{ws_url}?license={LICENSE}&name=navtalk.Emily") as ws:
        await ws.send(
            json.dumps(
                {"type": "realtime.input_function_call", "data": {"content": json.dumps(tools)}}
            )
        )

        async def until(event_type: str) -> dict[str, object]:
            while True:
                frame: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame["type"] == event_type:
                    return frame

        await until("realtime.session.updated")
        text = "What's the weather in Beijing?"
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await ws.send(json.dumps({"type": "response.create"}))
        return await until("realtime.response.function_call_arguments.done")


def test_ready_line_session_and_sigterm(simulator: tuple[subprocess.Popen[str], Path]) -> None:
    process, log_path = simulator
    line = _read_line(process)
    found = READY.match(line)
    assert found, line
    ws_url = found.group(1)
    call = asyncio.run(_seed_flow(ws_url))
    data = call["data"]
    assert isinstance(data, dict)
    assert data["function_name"] == "function_call_judge"
    assert data["arguments"] == {"userInput": "What's the weather in Beijing?"}

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "NavTalk simulator stopped" in out
    assert "Traceback" not in err
    log_text = log_path.read_text(encoding="utf-8")
    assert "function_call_arguments.done" in log_text
    for text in (line, out, err, log_text):
        assert LICENSE not in text


def test_sigint_stops_cleanly(simulator: tuple[subprocess.Popen[str], Path]) -> None:
    process, _log_path = simulator
    assert READY.match(_read_line(process))
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_bad_scenario_is_a_clear_error(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.json"
    scenario.write_text('{"rules": [{"match": "("}]}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "simulate", "--scenario", str(scenario)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        check=False,
    )
    assert result.returncode == 2
    assert f"{scenario}: rules[0]" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "navtalk_desktop", "simulate", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(tmp_path),
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
