"""``navtalk-desktop replay --serve`` driven by a real ``respond`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_respond_cli import Simulator

pytestmark = pytest.mark.e2e

READY = "NavTalk replay ready:"
SENTENCE = "What's the weather in Beijing?"


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NAVTALK_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "NAVTALK_LICENSE": "sk_test_replay",
    }


def toolset(
    path: Path, responders: dict[str, Any], *, tools: tuple[str, ...] = ("get_weather", "get_time")
) -> Path:
    entries = [
        {
            "name": name,
            "description": f"{name} for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "responders": responders,
        }
        for name in tools
    ]
    path.write_text(
        json.dumps(
            {
                "format": "navtalk-desktop.toolset",
                "schema_version": 1,
                "name": "t",
                "tools": entries,
            }
        ),
        encoding="utf-8",
    )
    return path


def static(output: str) -> dict[str, Any]:
    return {"steps": [{"kind": "static", "output": output}]}


def respond(home: Path, url: str, tools: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "navtalk_desktop",
            "respond",
            "--url",
            url,
            "--tools",
            str(tools),
            "--say",
            SENTENCE,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
        check=False,
    )


def record(tmp_path: Path, tools: Path) -> Path:
    """A recording made by ``respond --record`` against ``simulate``."""
    recording = tmp_path / "recorded.jsonl"
    simulator = Simulator(tmp_path / "sim-home")
    try:
        done = respond(tmp_path / "home", simulator.url, tools, "--record", str(recording))
    finally:
        simulator.stop()
    assert done.returncode == 0, done.stderr
    return recording


class Replay:
    """A ``replay --serve`` child process."""

    def __init__(self, home: Path, recording: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "navtalk_desktop",
                "replay",
                str(recording),
                "--serve",
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(home),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith(READY), line + (
            self.process.stderr.read() if self.process.stderr else ""
        )
        self.url = line[len(READY) :].strip()

    def finish(self) -> tuple[int, list[str]]:
        out, _err = self.process.communicate(timeout=60)
        return self.process.returncode, out.splitlines()


def frames(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [json.loads(line) for line in lines]


def test_a_client_that_behaves_as_recorded_passes_with_fresh_call_ids(tmp_path: Path) -> None:
    tools = toolset(tmp_path / "tools.navtools.json", static("Sunny, 27 °C"))
    recording = record(tmp_path, tools)
    recorded_ids = {f["call_id"] for f in frames(recording) if f.get("call_id")}
    assert recorded_ids
    replay = Replay(tmp_path / "home", recording, "--speed", "max")
    again = tmp_path / "again.jsonl"
    client = respond(tmp_path / "home", replay.url, tools, "--record", str(again))
    code, report = replay.finish()
    assert client.returncode == 0, client.stderr
    assert 'call get_weather {"city":"Beijing"} -> "Sunny, 27 °C" [ok, static' in client.stdout
    assert code == 0, report
    assert report[-1] == "replay: the client behaved as recorded"
    assert report[0] == "tools: get_weather, get_time"
    assert any(
        line.startswith("call get_weather call_") and "output same" in line for line in report
    )
    # Re-keyed: the client saw and answered other ids than the recording's.
    seen = frames(again)
    new_ids = {f["call_id"] for f in seen if f.get("call_id")}
    assert new_ids
    assert not new_ids & recorded_ids
    outputs = [
        f for f in seen if f["direction"] == "out" and f["type"] == "realtime.function_call_output"
    ]
    assert [json.loads(f["raw"])["data"]["call_id"] for f in outputs] == sorted(new_ids)
    # The follow-up came after the client's output, as in the recording.
    follow_up = [
        i
        for i, f in enumerate(seen)
        if f["direction"] == "in" and f["type"] == "realtime.response.audio_transcript.done"
    ]
    answered = seen.index(outputs[0])
    assert follow_up
    assert follow_up[-1] > answered


def test_the_replay_waits_for_a_slow_client_before_the_follow_up(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import time\n\ndef respond(arguments, context):\n    time.sleep(0.5)\n    return 'Slow sun'\n",
        encoding="utf-8",
    )
    tools = toolset(
        tmp_path / "tools.navtools.json", {"steps": [{"kind": "script", "path": "slow.py"}]}
    )
    recording = record_with(tmp_path, tools, "--trust-scripts")
    replay = Replay(tmp_path / "home", recording, "--speed", "max")
    again = tmp_path / "again.jsonl"
    client = respond(
        tmp_path / "home", replay.url, tools, "--trust-scripts", "--record", str(again)
    )
    code, report = replay.finish()
    assert client.returncode == 0, client.stderr
    assert code == 0, report
    seen = frames(again)
    output_at = next(
        i
        for i, f in enumerate(seen)
        if f["direction"] == "out" and f["type"] == "realtime.function_call_output"
    )
    call_at = next(
        i
        for i, f in enumerate(seen)
        if f["type"] == "realtime.response.function_call_arguments.done"
    )
    # Nothing from the server between the call and the (slow) output: the replay waited.
    assert [f for f in seen[call_at + 1 : output_at] if f["direction"] == "in"] == []


def record_with(tmp_path: Path, tools: Path, *extra: str) -> Path:
    recording = tmp_path / "recorded.jsonl"
    simulator = Simulator(tmp_path / "sim-home")
    try:
        done = respond(tmp_path / "home", simulator.url, tools, "--record", str(recording), *extra)
    finally:
        simulator.stop()
    assert done.returncode == 0, done.stderr
    return recording


def test_a_different_client_is_reported_and_fails(tmp_path: Path) -> None:
    recording = record(tmp_path, toolset(tmp_path / "tools.navtools.json", static("Sunny, 27 °C")))
    changed = toolset(
        tmp_path / "changed.navtools.json",
        static("Rainy, 12 °C"),
        tools=("get_weather", "get_news"),
    )
    replay = Replay(tmp_path / "home", recording, "--speed", "max")
    # SDK clients look the avatar up over REST first: the replay answers like the service.
    rest = replay.url.replace("ws://", "http://").replace(
        "/wss/v2/realtime-chat", "/api/open/v1/avatar/getByName?name=navtalk.Emily&license=sk_x"
    )
    with urllib.request.urlopen(rest, timeout=10) as reply:
        body = json.loads(reply.read())
    assert body["code"] == 200
    assert body["data"]["name"] == "navtalk.Emily"
    client = respond(tmp_path / "home", replay.url, changed, "--result-style", "conversation_item")
    code, report = replay.finish()
    assert client.returncode == 0, client.stderr
    assert code == 1
    text = "\n".join(report)
    assert "DIFF tools differ: missing get_time extra get_news" in text
    assert "output differs" in text
    assert "-Sunny, 27 °C" in report
    assert "+Rainy, 12 °C" in report
    assert "result style conversation_item (recorded function_call_output)" in text


def test_a_client_answering_with_an_error_is_reported(tmp_path: Path) -> None:
    recording = record(tmp_path, toolset(tmp_path / "tools.navtools.json", static("Sunny")))
    silent = toolset(tmp_path / "silent.navtools.json", {"steps": [{"kind": "manual"}]})
    replay = Replay(tmp_path / "home", recording, "--speed", "max", "--wait", "2")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "navtalk_desktop",
            "respond",
            "--url",
            replay.url,
            "--tools",
            str(silent),
            "--say",
            SENTENCE,
            "--turn-timeout",
            "4",
        ],
        capture_output=True,
        text=True,
        env=_env(tmp_path / "home"),
        timeout=120,
        check=False,
    )
    code, report = replay.finish()
    assert code == 1
    # respond's "no automatic responder" error output still answers: an error, not the recorded text.
    assert any("output differs" in line or "was not answered" in line for line in report)


def test_a_malformed_recording_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"format": "navtalk-desktop-timeline", "version": 1}\nnot json\n', encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "replay", str(bad), "--serve"],
        capture_output=True,
        text=True,
        env=_env(tmp_path / "home"),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "line 2" in done.stderr


def test_a_client_that_leaves_early_is_reported(tmp_path: Path) -> None:
    tools = toolset(tmp_path / "tools.navtools.json", static("Sunny"))
    recording = record(tmp_path, tools)
    replay = Replay(tmp_path / "home", recording, "--speed", "max")
    # Connects, registers its tools, says nothing and leaves after a second.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "navtalk_desktop",
            "respond",
            "--url",
            replay.url,
            "--tools",
            str(tools),
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        env=_env(tmp_path / "home"),
        timeout=120,
        check=False,
    )
    code, report = replay.finish()
    assert code == 1
    assert f"DIFF the client never said {SENTENCE!r}" in report
    assert "DIFF the client left before the recording was played to its end" in report
    assert any(line.endswith("was not answered") for line in report)
