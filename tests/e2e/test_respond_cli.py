"""``navtalk-desktop respond`` as a real process against ``navtalk-desktop simulate``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from navtalk_desktop.core.responders.config import (
    ResponderChain,
    ResponderStep,
    ScriptConfig,
    WebhookConfig,
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore

LICENSE = "sk_navtalk_e2e_secret_42"
READY = "NavTalk simulator ready:"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NAVTALK_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "NAVTALK_LICENSE": LICENSE,
    }
    env.update(extra)
    return env


class Simulator:
    """A ``navtalk-desktop simulate`` child process."""

    def __init__(self, home: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "navtalk_desktop",
                "simulate",
                "--fast",
                "--speech",
                "tone",
                # Protocol tests: canned SDPs (a real media peer's offer may arrive after a
                # fast turn's call, and the replay tests assert the order of frames).
                "--no-media",
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(home),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith(READY), line
        self.url = line[len(READY) :].split()[0]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    sim = Simulator(tmp_path_factory.mktemp("sim-home"))
    try:
        yield sim
    finally:
        sim.stop()


def respond(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "respond", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(home, **env),
        check=False,
    )


SEED_SENTENCES = {
    "What's the weather in Beijing?": 'call get_weather {"city":"Beijing"} -> "Beijing: ',
    "How do I integrate function calling?": 'call search_knowledge_base {"query":"How do I integrate function calling?"} -> "From the documentation:',
    "Show me today's sales numbers": 'call query_sales {"period":"today"} -> "Sales today (',
    "Turn on the lights": 'call control_device {"device":"lights","action":"on"} -> "Lights are now on (brightness 100)." [ok, webhook, ',
    "Update customer status for John": 'call update_customer_status {"customer_name":"John","status":"active"} -> "Updated John Carter: status changed from lead to active." [ok, script, ',
}


def test_seed_use_cases_headless_with_recording(simulator: Simulator, tmp_path: Path) -> None:
    record = tmp_path / "session.jsonl"
    says = [item for sentence in SEED_SENTENCES for item in ("--say", sentence)]
    result = respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        "example:use-cases",
        "--record",
        str(record),
        *says,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout
    for line, expected in zip(lines, SEED_SENTENCES.values(), strict=True):
        assert line.startswith(expected), line
        assert line.endswith(" ms]")
    assert "handled 5 calls" in result.stderr
    text = record.read_text(encoding="utf-8")
    assert LICENSE not in text + result.stdout + result.stderr
    frames = [json.loads(line) for line in text.splitlines()]
    outputs = [f for f in frames if f.get("type") == "realtime.function_call_output"]
    assert len(outputs) == 5


def test_tool_without_automatic_responder_gets_an_explicit_error(
    simulator: Simulator, tmp_path: Path
) -> None:
    tools = tmp_path / "manual.navtools.json"
    ToolSetFileStore().save(
        tools, ToolSet(tools=(ToolEntry(new_entry("weather").tool),))
    )  # manual only
    result = respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        str(tools),
        "--say",
        "What's the weather in Oslo?",
        "--max-calls",
        "1",
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        'call get_weather {"city":"Oslo"} -> "Error: no automatic responder answered get_weather: no responder answered" [error, dispatcher, '
    )
    assert "no tool has an automatic responder" in result.stderr


def test_foreign_tools_array_is_accepted(simulator: Simulator, tmp_path: Path) -> None:
    tools = tmp_path / "chat.json"
    tools.write_text(
        json.dumps(
            [
                {
                    "type": "function",
                    "function": new_entry("weather").tool.to_realtime() | {"strict": True},
                }
            ]
        )
    )
    result = respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        str(tools),
        "--say",
        "Weather in Rome?",
    )
    assert result.returncode == 0, result.stderr
    assert "OpenAI Chat Completions tools; no responders in this format" in result.stderr
    assert "ignored [0].function.strict" in result.stderr
    assert '"Error: no automatic responder answered get_weather' in result.stdout


def test_lint_errors_block_sending(simulator: Simulator, tmp_path: Path) -> None:
    tools = tmp_path / "bad.navtools.json"
    ToolSetFileStore().save(tools, ToolSet(tools=(ToolEntry(ToolDefinition("get weather", "x")),)))
    result = respond(tmp_path / "home", "--url", simulator.url, "--tools", str(tools))
    assert result.returncode == 2
    assert "error: tools[0].name: the name contains ' '" in result.stderr
    assert "1 error" in result.stderr


def test_unreadable_tool_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "navtalk-desktop.toolset", "schema_version": 1, "tools": [')
    result = respond(tmp_path / "home", "--url", "ws://127.0.0.1:9/x", "--tools", str(broken))
    assert result.returncode == 2
    assert "broken.json: not valid JSON: Expecting value at line 1, column" in result.stderr
    missing = respond(
        tmp_path / "home", "--url", "ws://127.0.0.1:9/x", "--tools", str(tmp_path / "nope.json")
    )
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr


def test_connection_refused_exits_non_zero(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = respond(
        tmp_path / "home",
        "--url",
        f"ws://127.0.0.1:{port}/wss/v2/realtime-chat",
        "--tools",
        "example:judge",
    )
    assert result.returncode == 1
    assert "failed:" in result.stderr
    assert LICENSE not in result.stderr


def test_invalid_license_exits_non_zero_without_showing_it(tmp_path: Path) -> None:
    sim = Simulator(tmp_path / "sim", "--license", "sk_only_this_one")
    try:
        result = respond(
            tmp_path / "home", "--url", sim.url, "--tools", "example:judge", "--say", "hello"
        )
    finally:
        sim.stop()
    assert result.returncode == 1
    assert "Invalid license key" in result.stderr
    # The failure is said once (it was printed as the state line and again in the summary).
    assert result.stderr.count("failed:") == 1, result.stderr
    assert LICENSE not in result.stderr + result.stdout


def test_license_is_required(tmp_path: Path) -> None:
    result = respond(
        tmp_path / "home",
        "--url",
        "ws://127.0.0.1:9/x",
        "--tools",
        "example:judge",
        NAVTALK_LICENSE="",
    )
    assert result.returncode == 2
    assert "no license: set $NAVTALK_LICENSE or pass --profile NAME" in result.stderr


def test_duration_ends_a_quiet_run(simulator: Simulator, tmp_path: Path) -> None:
    result = respond(
        tmp_path / "home", "--url", simulator.url, "--tools", "example:judge", "--duration", "0.5"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "handled 0 calls" in result.stderr


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("malformed_frame@ready", "protocol error: frame"),
        ("insufficient_balance@turn:1", "failed: Out of credit"),
        ("drop@turn:1", "failed: The connection was closed"),
    ],
)
def test_protocol_and_connection_errors_exit_non_zero(
    simulator: Simulator, tmp_path: Path, fault: str, message: str
) -> None:
    result = respond(
        tmp_path / "home",
        "--url",
        f"{simulator.url}?fault={fault}",
        "--tools",
        "example:use-cases",
        "--say",
        "What's the weather in Beijing?",
        "--turn-timeout",
        "30",  # the fault ends the run first; generous for a loaded machine
    )
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert LICENSE not in result.stderr + result.stdout


def _foreign_tool_file(tmp_path: Path) -> tuple[Path, Path]:
    """A tool set from someone else: a script for get_weather, a remote webhook for another tool."""
    folder = tmp_path / "from-someone"
    folder.mkdir()
    marker = tmp_path / "script-ran"
    (folder / "weather.py").write_text(
        "def respond(arguments, context):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    return 'Sunny in ' + arguments['city']\n",
        encoding="utf-8",
    )
    weather = new_entry("weather")
    remote = new_entry("iot")
    tools = folder / "shared.navtools.json"
    ToolSetFileStore().save(
        tools,
        ToolSet(
            tools=(
                weather.replace(
                    chain=ResponderChain(
                        steps=(ResponderStep(ScriptConfig("weather.py", "respond")),)
                    )
                ),
                remote.replace(
                    chain=ResponderChain(
                        steps=(
                            ResponderStep(WebhookConfig(url="https://api.example.invalid/hook")),
                        )
                    )
                ),
            )
        ),
    )
    return tools, marker


def test_untrusted_scripts_and_remote_hosts_need_flags_listed_at_start(
    simulator: Simulator, tmp_path: Path
) -> None:
    tools, marker = _foreign_tool_file(tmp_path)
    result = respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        str(tools),
        "--say",
        "What's the weather in Oslo?",
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "would run code or send call data without consent; nothing was started" in (
        result.stderr
    )
    script = tools.parent.resolve() / "weather.py"
    assert (
        f"tool get_weather: script {script}:respond runs code on this machine — pass --trust-scripts"
        in result.stderr
    )
    assert (
        "tool control_device: webhook POST https://api.example.invalid/hook sends call data to "
        "https://api.example.invalid:443 — pass --allow-host api.example.invalid (or --allow-any-host)"
    ) in result.stderr
    assert not marker.exists()
    only_scripts = respond(
        tmp_path / "home", "--url", simulator.url, "--tools", str(tools), "--trust-scripts"
    )
    assert only_scripts.returncode == 2
    assert "--trust-scripts" not in only_scripts.stderr.split("nothing was started")[1]
    assert "pass --allow-host api.example.invalid" in only_scripts.stderr


def test_with_the_flags_the_foreign_tool_set_runs(simulator: Simulator, tmp_path: Path) -> None:
    tools, marker = _foreign_tool_file(tmp_path)
    for hosts in (("--allow-host", "api.example.invalid"), ("--allow-any-host",)):
        result = respond(
            tmp_path / "home",
            "--url",
            simulator.url,
            "--tools",
            str(tools),
            "--trust-scripts",
            *hosts,
            "--say",
            "What's the weather in Oslo?",
        )
        assert result.returncode == 0, result.stderr
        (line,) = result.stdout.splitlines()
        assert line.startswith('call get_weather {"city":"Oslo"} -> "Sunny in Oslo" [ok, script, ')
        assert marker.exists()
        marker.unlink()
    bad = respond(
        tmp_path / "home", "--url", simulator.url, "--tools", str(tools), "--allow-host", "a/b"
    )
    assert bad.returncode == 2
    assert "--allow-host 'a/b': 'a/b' is not a host[:port]" in bad.stderr
