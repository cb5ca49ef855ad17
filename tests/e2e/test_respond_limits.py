"""``respond`` as a real process: no responder, call or frame stream can stall or bloat the engine.

Runaway rules and templates run against the real simulator (a scenario makes it call the
tools); bursts, repeated call ids and huge argument streams come from a scripted WebSocket
server. Every run is a real ``navtalk-desktop respond`` child process. Memory is the peak
RSS of that process and everything it started, measured by a small parent process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from navtalk_desktop.core.responders.config import (
    MatchKind,
    ResponderChain,
    ResponderConfig,
    ResponderStep,
    Rule,
    RulesConfig,
    StaticConfig,
    TemplateConfig,
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from tests.e2e.test_respond_cli import Simulator, _env
from tests.helpers.script_server import ScriptConnection, ScriptServer

CATASTROPHIC = "a" * 35 + "b"  # 36 characters: ^(a+)+$ backtracks through 2**35 splits
NESTED_LOOPS = (
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done"
)
MB = 1024 * 1024
# Peak RSS of `respond` and its workers. Runs here peak near 40 MB (75 MB with 30 MB of
# argument deltas, whose frames the timeline keeps); without the limits, the same runs
# peaked at 1.2 GB (center(300000000), folded by Jinja when the template compiles) and at
# 230 MB (the deltas buffered, joined and printed).
RSS_CEILING_KB = 200 * 1024
DELTA_RSS_CEILING_KB = 150 * 1024

SCENARIO = {
    "rules": [
        {"match": "check (?P<code>[ab]+)", "tool": "check_code", "arguments": {"code": "{code}"}},
        {"match": "spin", "tool": "spin", "arguments": {"n": 1}},
        {"match": "widen", "tool": "widen", "arguments": {"n": 1}},
        {"match": "greet", "tool": "greet", "arguments": {"n": 1}},
    ]
}
STRING_ARG = {"type": "object", "properties": {"code": {"type": "string"}}}
NUMBER_ARG = {"type": "object", "properties": {"n": {"type": "number"}}}

# Runs `respond` and reports the peak RSS (KiB) of it and its descendants on stderr.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(f'PEAK_RSS_KB {peak}\\n')\n"
    "sys.exit(code)\n"
)


def _tool(name: str, parameters: dict[str, object], config: ResponderConfig) -> ToolEntry:
    return ToolEntry(
        ToolDefinition(name, f"test tool {name}", parameters),
        chain=ResponderChain(steps=(ResponderStep(config),)),
    )


def _toolset_file(folder: Path, *, greet_only: bool = False) -> Path:
    greet = _tool("greet", NUMBER_ARG, StaticConfig("hello"))
    toolset = ToolSet(
        name="limits",
        tools=(greet,)
        if greet_only
        else (
            _tool(
                "check_code",
                STRING_ARG,
                RulesConfig(
                    rules=(
                        Rule(MatchKind.REGEX, "code", pattern="^(a+)+$", output="valid"),
                        Rule(MatchKind.ANY, output="invalid"),
                    )
                ),
            ),
            _tool("spin", NUMBER_ARG, TemplateConfig(NESTED_LOOPS)),
            _tool("widen", NUMBER_ARG, TemplateConfig("{{ 'x'|center(300000000) }}")),
            greet,
        ),
    )
    path = folder / "limits.navtools.json"
    ToolSetFileStore().save(path, toolset)
    return path


def _respond_command(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        MEASURE,
        sys.executable,
        "-m",
        "navtalk_desktop",
        "respond",
        *args,
    ]


class Run:
    """A finished measured ``respond`` run."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.lines = stdout.splitlines()
        match = re.search(r"PEAK_RSS_KB (\d+)", stderr)
        assert match is not None, stderr
        self.peak_rss_kb = int(match.group(1))


async def _respond(home: Path, *args: str, timeout_s: float = 60) -> Run:
    process = await asyncio.create_subprocess_exec(
        *_respond_command(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(home),
        start_new_session=True,  # a frozen run is killed with everything it started
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        pytest.fail(f"respond did not end by itself within {timeout_s:g} s (frozen engine)")
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    folder = tmp_path_factory.mktemp("sim-limits")
    scenario = folder / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO))
    sim = Simulator(folder / "home", "--scenario", str(scenario))
    try:
        yield sim
    finally:
        sim.stop()


def _line_for(run: Run, tool: str) -> str:
    found = [line for line in run.lines if line.startswith(f"call {tool} ")]
    assert len(found) == 1, run.stdout + run.stderr
    return found[0]


@pytest.mark.asyncio
async def test_runaway_regex_and_templates_get_error_answers_and_the_rest_is_answered(
    simulator: Simulator, tmp_path: Path
) -> None:
    tools = _toolset_file(tmp_path)
    run = await _respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        str(tools),
        "--say",
        f"check {CATASTROPHIC}",
        "--say",
        "spin",
        "--say",
        "widen",
        "--say",
        "greet",
    )
    assert run.code == 0, run.stderr
    assert len(run.lines) == 4, run.stdout + run.stderr
    regex = _line_for(run, "check_code")
    assert f'{{"code":"{CATASTROPHIC}"}}' in regex
    assert "took longer than its 1 s budget and was stopped" in regex
    assert "[error, rules," in regex
    spin = _line_for(run, "spin")
    assert '"Error: template' in spin
    assert "[error, template," in spin
    widen = _line_for(run, "widen")
    assert "center() larger than the 1,000,000 characters allowed (300,000,000)" in widen
    assert _line_for(run, "greet").startswith('call greet {"n":1} -> "hello" [ok, static,')
    assert "handled 4 calls" in run.stderr
    # center(300000000) was refused before anything was allocated.
    assert run.peak_rss_kb < RSS_CEILING_KB


@pytest.mark.asyncio
async def test_duration_ends_a_run_whose_template_never_finishes(
    simulator: Simulator, tmp_path: Path
) -> None:
    tools = _toolset_file(tmp_path)
    run = await _respond(
        tmp_path / "home",
        "--url",
        simulator.url,
        "--tools",
        str(tools),
        "--say",
        "spin",
        "--duration",
        "4",
    )
    assert run.code == 0, run.stderr
    assert len(run.lines) == 1, run.stdout + run.stderr
    assert '"Error: template' in _line_for(run, "spin")


# ---------------------------------------------------------------------- scripted server

SUCCESS = '{"type":"conversation.connected.success","data":{"sessionId":"s1"}}'
SESSION_CREATED = '{"type":"realtime.session.created","data":{}}'
SESSION_UPDATED = '{"type":"realtime.session.updated","data":{}}'


def _call(call_id: str, name: str = "greet") -> str:
    return json.dumps(
        {
            "type": "realtime.response.function_call_arguments.done",
            "data": {"function_name": name, "call_id": call_id, "arguments": '{"n":1}'},
        }
    )


def _outputs(conn: ScriptConnection) -> list[dict[str, object]]:
    frames = [json.loads(f) for f in conn.received if isinstance(f, str)]
    return [f for f in frames if "output" in json.dumps(f) and "call_id" in json.dumps(f)]


async def _greet(conn: ScriptConnection) -> None:
    await conn.send(SUCCESS)
    await conn.send(SESSION_CREATED)
    await conn.send(SESSION_UPDATED)


@pytest.mark.asyncio
async def test_max_calls_handles_exactly_that_many_of_a_burst(tmp_path: Path) -> None:
    async def script(conn: ScriptConnection) -> None:
        await _greet(conn)
        for n in range(20):
            await conn.send(_call(f"call_burst_{n:02d}"))

    async with ScriptServer([script]) as server:
        tools = _toolset_file(tmp_path, greet_only=True)
        run = await _respond(
            tmp_path / "home", "--url", server.url, "--tools", str(tools), "--max-calls", "1"
        )
    assert run.code == 0, run.stderr
    assert run.lines == [line for line in run.lines if line.startswith("call greet")]
    assert len(run.lines) == 1, run.stdout
    assert "handled 1 call\n" in run.stderr
    outputs = [f for f in _outputs(server.connections[0]) if "call_burst_" in json.dumps(f)]
    assert len(outputs) == 1, outputs


@pytest.mark.asyncio
async def test_a_repeated_call_id_is_answered_once_and_flagged(tmp_path: Path) -> None:
    async def script(conn: ScriptConnection) -> None:
        await _greet(conn)
        await conn.send(_call("call_twice"))
        await conn.send(_call("call_twice"))
        await conn.send(_call("call_other"))

    record = tmp_path / "session.jsonl"
    async with ScriptServer([script]) as server:
        tools = _toolset_file(tmp_path, greet_only=True)
        run = await _respond(
            tmp_path / "home",
            "--url",
            server.url,
            "--tools",
            str(tools),
            "--max-calls",
            "3",
            "--record",
            str(record),
        )
    assert run.code == 0, run.stderr
    assert len(run.lines) == 3, run.stdout
    outputs = _outputs(server.connections[0])
    assert sum("call_twice" in json.dumps(f) for f in outputs) == 1, outputs
    assert sum("call_other" in json.dumps(f) for f in outputs) == 1, outputs
    flagged = [line for line in run.lines if "duplicate call_id call_twice" in line]
    assert len(flagged) == 1, run.stdout
    assert "(no output sent:" in flagged[0]
    # The timeline holds a notice row on the repeat, marked as an error.
    rows = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    notices = [r for r in rows if "duplicate call_id call_twice" in json.dumps(r)]
    assert any(r.get("type") == "local.responder" and r.get("error") for r in notices), notices


@pytest.mark.asyncio
async def test_huge_argument_deltas_stay_bounded_and_end_in_a_clear_error(tmp_path: Path) -> None:
    piece = "x" * (MB // 2)
    delta = json.dumps(
        {
            "type": "realtime.response.function_call_arguments.delta",
            "data": {"call_id": "call_huge", "delta": piece},
            "raw_data": {"name": "greet", "call_id": "call_huge"},
        }
    )
    done = json.dumps(
        {
            "type": "realtime.response.function_call_arguments.done",
            "data": {"call_id": "call_huge", "function_name": "greet"},
        }
    )

    async def script(conn: ScriptConnection) -> None:
        await _greet(conn)
        for _ in range(60):  # 30 MB of argument text for one call
            await conn.send(delta)
        await conn.send(done)
        await conn.send(_call("call_after"))

    async with ScriptServer([script]) as server:
        tools = _toolset_file(tmp_path, greet_only=True)
        run = await _respond(
            tmp_path / "home", "--url", server.url, "--tools", str(tools), "--max-calls", "2"
        )
    assert run.code == 0, run.stderr
    assert len(run.lines) == 2, run.stdout
    huge = run.lines[0]
    assert huge.startswith("call greet ")
    assert "Error: arguments too large: 31,457,280 characters of argument deltas" in huge
    assert "[error, dispatcher," in huge
    assert '-> "hello" [ok, static,' in run.lines[1]
    assert "the arguments are too large and are not kept" in run.stderr
    outputs = _outputs(server.connections[0])
    assert sum("call_huge" in json.dumps(f) for f in outputs) == 1, outputs
    assert run.peak_rss_kb < DELTA_RSS_CEILING_KB
