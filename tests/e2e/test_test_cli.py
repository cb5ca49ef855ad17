"""``navtalk-desktop test`` as a real process: the bundled suite, failures with diffs, JUnit, consent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_respond_cli import Simulator

pytestmark = pytest.mark.e2e


def run_tests(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NAVTALK_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.pop("NAVTALK_LICENSE", None)
    return subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "test", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def static_toolset(folder: Path, **extra: Any) -> Path:
    """A tool set whose get_weather answers a fixed JSON text."""
    tool = {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "responders": {"steps": [{"kind": "static", "output": '{"city": "Beijing", "temp": 27}'}]},
    }
    return write_json(
        folder / "weather.navtools.json",
        {
            "format": "navtalk-desktop.toolset",
            "schema_version": 1,
            "name": "Weather",
            "tools": [tool],
            **extra,
        },
    )


def suite(folder: Path, tests: list[dict[str, Any]], name: str = "Weather") -> Path:
    return write_json(
        folder / "weather.navtests.json",
        {
            "format": "navtalk-desktop.tests",
            "schema_version": 1,
            "name": name,
            "tools": "weather.navtools.json",
            "tests": tests,
        },
    )


def junit(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_bundled_use_case_suite_passes_and_writes_junit(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    done = run_tests(tmp_path / "home", "example:use-cases", "--junit", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    root = junit(report)
    (testsuite,) = root.findall("testsuite")
    assert testsuite.get("name") == "Seed use cases"
    assert testsuite.get("tests") == "10"
    assert (testsuite.get("failures"), testsuite.get("errors")) == ("0", "0")
    names = {case.get("name") for case in testsuite.iter("testcase")}
    assert "update customer status for John" in names
    assert "says: turn on the lights" in names
    kinds = [case.get("classname") for case in testsuite.iter("testcase")]
    assert kinds.count("Seed use cases.conversation") == 5
    lights = testsuite.find("testcase[@name='turn on the lights']/system-out")
    assert lights is not None
    assert lights.text == "Lights are now on (brightness 100)."
    lines = done.stdout.splitlines()
    assert sum(line.startswith("PASS Seed use cases::") for line in lines) == 10
    assert lines[-1] == "10 tests: 10 passed, 0 failed, 0 errors, 0 skipped"


def test_a_wrong_expectation_fails_with_a_diff_and_exit_1(tmp_path: Path) -> None:
    static_toolset(tmp_path)
    path = suite(
        tmp_path,
        [
            {
                "name": "right",
                "tool": "get_weather",
                "arguments": {"city": "Beijing"},
                "expect": {"json_subset": {"temp": 27}},
            },
            {
                "name": "wrong temperature",
                "tool": "get_weather",
                "arguments": {"city": "Beijing"},
                "expect": {"json_subset": {"temp": 30}},
            },
            {
                "name": "reply mentions Paris",
                "kind": "conversation",
                "say": "What's the weather in Beijing?",
                "calls": [{"tool": "get_weather", "arguments": {"city": "Beijing"}}],
                "reply": {"text": "Paris is sunny"},
            },
        ],
    )
    report = tmp_path / "report.xml"
    done = run_tests(tmp_path / "home", str(path), "--junit", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("PASS Weather::right ")
    assert lines[1].startswith("FAIL Weather::wrong temperature ")
    assert lines[1].endswith("JSON subset not found: $.temp: expected 30, got 27")
    assert '    -  "temp": 30' in lines
    assert '    +  "temp": 27' in lines
    assert any(
        line.startswith("FAIL Weather::reply mentions Paris ")
        and line.endswith("the reply differs from the expected text")
        for line in lines
    )
    assert "    -Paris is sunny" in lines
    assert lines[-1] == "3 tests: 1 passed, 2 failed, 0 errors, 0 skipped"
    root = junit(report)
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    failure = root.find(".//testcase[@name='wrong temperature']/failure")
    assert failure is not None
    assert failure.get("message") == "JSON subset not found: $.temp: expected 30, got 27"
    assert failure.text is not None
    assert '+  "temp": 27' in failure.text


def test_a_catastrophic_regex_fails_its_test_instead_of_hanging(tmp_path: Path) -> None:
    static_toolset(tmp_path)
    path = suite(
        tmp_path,
        [
            {
                "name": "backtracking",
                "tool": "get_weather",
                "arguments": {"city": "Beijing"},
                "expect": {"regex": "^(a|aa)+$"},
            },
            {"name": "after it", "tool": "get_weather", "arguments": {"city": "x"}},
        ],
    )
    # (a|aa)+$ against many a's and a final "!" backtracks exponentially.
    toolset = json.loads((tmp_path / "weather.navtools.json").read_text())
    toolset["tools"][0]["responders"]["steps"][0]["output"] = "a" * 200 + "!"
    write_json(tmp_path / "weather.navtools.json", toolset)
    done = run_tests(tmp_path / "home", str(path), timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "budget and was stopped" in done.stdout
    assert "PASS Weather::after it" in done.stdout


def test_conversation_tests_against_a_simulate_process_with_k_and_jobs(tmp_path: Path) -> None:
    static_toolset(tmp_path)
    tests = [
        {
            "name": f"asks {n}",
            "kind": "conversation",
            "say": "What's the weather in Beijing?",
            "calls": [
                {
                    "tool": "get_weather",
                    "arguments": {"city": "Beijing"},
                    "output": f"Sunny, {n} degrees",
                }
            ],
            "reply": {"regex": f"Sunny, {n} degrees"},
        }
        for n in range(4)
    ]
    tests.append({"name": "excluded", "tool": "get_weather", "arguments": {}})
    path = suite(tmp_path, tests)
    simulator = Simulator(tmp_path / "sim-home")
    try:
        env_url = simulator.url
        report = tmp_path / "report.xml"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "navtalk_desktop",
                "test",
                str(path),
                "--url",
                env_url,
                "-k",
                "asks",
                "--jobs",
                "4",
                "--junit",
                str(report),
            ],
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"),
                "NAVTALK_LICENSE": "sk_test_x",
            },
            timeout=120,
            check=False,
        )
    finally:
        simulator.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    root = junit(report)
    assert root.get("tests") == "4"
    assert "excluded" not in done.stdout
    for n in range(4):
        out = root.find(f".//testcase[@name='asks {n}']/system-out")
        assert out is not None
        assert out.text is not None
        assert f"Sunny, {n} degrees" in out.text


def test_the_tool_sets_own_suites_run_when_no_suite_is_given(tmp_path: Path) -> None:
    static_toolset(tmp_path, tests=["weather.navtests.json"])
    suite(
        tmp_path,
        [
            {
                "name": "t",
                "tool": "get_weather",
                "arguments": {"city": "B"},
                "expect": {"regex": "27"},
            }
        ],
    )
    done = run_tests(tmp_path / "home", "--tools", str(tmp_path / "weather.navtools.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "1 tests: 1 passed, 0 failed, 0 errors, 0 skipped"


def test_scripts_need_trust_scripts_like_respond(tmp_path: Path) -> None:
    (tmp_path / "answer.py").write_text(
        "def respond(arguments, context):\n    return 'from the script'\n", encoding="utf-8"
    )
    static_toolset(tmp_path)
    toolset = json.loads((tmp_path / "weather.navtools.json").read_text())
    toolset["tools"][0]["responders"] = {"steps": [{"kind": "script", "path": "answer.py"}]}
    write_json(tmp_path / "weather.navtools.json", toolset)
    path = suite(
        tmp_path,
        [
            {
                "name": "s",
                "tool": "get_weather",
                "arguments": {"city": "B"},
                "expect": {"text": "from the script"},
            }
        ],
    )
    refused = run_tests(tmp_path / "home", str(path))
    assert refused.returncode == 2
    assert "nothing was run" in refused.stderr
    assert "--trust-scripts" in refused.stderr
    assert refused.stdout == ""
    trusted = run_tests(tmp_path / "home", str(path), "--trust-scripts")
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr


def test_a_malformed_suite_is_a_usage_error_with_its_location(tmp_path: Path) -> None:
    static_toolset(tmp_path)
    path = suite(tmp_path, [{"name": "t", "tool": "get_weather", "expext": {"text": "x"}}])
    done = run_tests(tmp_path / "home", str(path))
    assert done.returncode == 2
    assert "tests[0].expext: unknown field" in done.stderr
    missing = run_tests(tmp_path / "home", str(tmp_path / "nope.navtests.json"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr


def test_tests_made_from_a_recording_pass_then_catch_a_change(tmp_path: Path) -> None:
    tools = static_toolset(tmp_path)
    recording = tmp_path / "session.jsonl"
    simulator = Simulator(tmp_path / "sim-home")
    try:
        recorded = subprocess.run(
            [
                sys.executable,
                "-m",
                "navtalk_desktop",
                "respond",
                "--url",
                simulator.url,
                "--tools",
                str(tools),
                "--say",
                "What's the weather in Beijing?",
                "--record",
                str(recording),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={
                **os.environ,
                "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"),
                "NAVTALK_LICENSE": "sk_x",
            },
        )
    finally:
        simulator.stop()
    assert recorded.returncode == 0, recorded.stderr
    target = tmp_path / "made.navtests.json"
    made = run_tests(
        tmp_path / "home", "--from-recording", str(recording), str(target), "--tools", str(tools)
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == [
        "added get_weather city=Beijing",
        f"1 test added to {target}",
    ]
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["tools"] == "weather.navtools.json"
    (case,) = data["tests"]
    # The recorded output was JSON: expected as a JSON value, not as exact text.
    assert case["expect"] == {"not_error": True, "json_subset": {"city": "Beijing", "temp": 27}}
    assert run_tests(tmp_path / "home", str(target)).returncode == 0
    changed = json.loads(tools.read_text())
    changed["tools"][0]["responders"]["steps"][0]["output"] = '{"city": "Beijing", "temp": 31}'
    write_json(tools, changed)
    failing = run_tests(tmp_path / "home", str(target))
    assert failing.returncode == 1
    assert "$.temp: expected 27, got 31" in failing.stdout


def test_a_call_the_conversation_test_does_not_list_is_a_failure(tmp_path: Path) -> None:
    static_toolset(tmp_path)
    path = suite(
        tmp_path,
        [
            {
                "name": "no tool expected",
                "kind": "conversation",
                "say": "What's the weather in Beijing?",
                "calls": [],
                "reply": {},
            }
        ],
    )
    done = run_tests(tmp_path / "home", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "expected calls [], got ['get_weather']" in done.stdout


def test_a_var_naming_a_webhook_host_needs_allow_host(tmp_path: Path) -> None:
    static_toolset(tmp_path, variables={"weather_url": "http://127.0.0.1:9"})
    toolset = json.loads((tmp_path / "weather.navtools.json").read_text())
    toolset["tools"][0]["responders"] = {
        "steps": [{"kind": "webhook", "url": "{{ vars.weather_url }}/weather"}]
    }
    write_json(tmp_path / "weather.navtools.json", toolset)
    path = suite(tmp_path, [{"name": "w", "tool": "get_weather", "arguments": {"city": "B"}}])
    done = run_tests(tmp_path / "home", str(path), "--var", "weather_url=https://api.example.com")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--allow-host api.example.com" in done.stderr
    assert done.stdout == ""
