"""Bad input from responders: every failure is a clear message and a well-formed output frame."""

from __future__ import annotations

import asyncio
import json
import socket
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from navtalk_desktop.core.calls.dispatcher import DispatchStatus
from navtalk_desktop.core.responders.config import (
    MatchKind,
    ResponderChain,
    ResponderConfig,
    ResponderStep,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.templates import FUNCTION_CALL_JUDGE
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.toolset_file import ScriptTrustFile
from tests.helpers.live_session import live_session

SCRIPT = textwrap.dedent(
    """
    import os, time
    def crash(arguments):
        os._exit(3)
    def hang(arguments):
        time.sleep(60)
    def a_set(arguments):
        return {1, 2}
    def a_dict(arguments):
        return {"echo": arguments["userInput"], "n": 2}
    """
)


@pytest_asyncio.fixture
async def backend() -> AsyncIterator[str]:
    release = asyncio.Event()

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500, text="upstream exploded")

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_post("/fail", fail)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[-1][1]}"
    finally:
        release.set()
        await runner.cleanup()


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


CASES: dict[str, tuple[ResponderConfig, str]] = {
    "template error": (
        TemplateConfig("{{ nope }}"),
        "Error: template uses an undefined value: 'nope' is undefined",
    ),
    "template syntax": (TemplateConfig("{% if %}"), "Error: template syntax error on line 1"),
    "webhook 500": (
        WebhookConfig(url="{{ vars.base }}/fail"),
        "returned HTTP 500: upstream exploded",
    ),
    "webhook timeout": (
        WebhookConfig(url="{{ vars.base }}/slow", timeout_s=0.3),
        "failed: no response within 0.3 s",
    ),
    "webhook refused": (
        WebhookConfig(url="http://127.0.0.1:{{ vars.dead_port }}/x"),
        "failed: cannot connect to 127.0.0.1",
    ),
    "script crash": (
        ScriptConfig("handlers.py", "crash"),
        "Error: handlers.py:crash exited with code 3 without a result",
    ),
    "script hang": (
        ScriptConfig("handlers.py", "hang", timeout_s=0.5),
        "did not finish within 0.5 s; the process was killed",
    ),
    "script non-JSON": (
        ScriptConfig("handlers.py", "a_set"),
        "a_set() returned set, which cannot be sent as JSON",
    ),
    "untrusted script": (ScriptConfig("other.py", "a_dict"), "is not trusted"),
    "injected rule error": (
        RulesConfig((Rule(MatchKind.ANY, error="CRM offline"),)),
        "Error: CRM offline",
    ),
}


async def _answer(
    tmp_path: Path, base: str, config: ResponderConfig
) -> tuple[object, list[dict[str, object]]]:
    scripts = tmp_path / "handlers.py"
    scripts.write_text(SCRIPT)
    (tmp_path / "other.py").write_text(SCRIPT + "\n# a different file\n")
    trust = ScriptTrustFile(tmp_path / "trust.json")
    trust.trust_for_session(scripts)
    toolset = ToolSet(
        tools=(ToolEntry(FUNCTION_CALL_JUDGE, ResponderChain(steps=(ResponderStep(config),))),),
        variables={"base": base, "dead_port": str(_refused_port())},
    )
    async with AiohttpClient() as http:
        factory = ResponderFactory(
            http=http, scripts=SubprocessScriptRunner(), trust=trust, base_dir=tmp_path
        )
        async with live_session(toolset, factory=factory) as live:
            record = await live.say("Please book a table for two at eight", within=30)
            return record, live.output_frames(record.call_id)


@pytest.mark.asyncio
@pytest.mark.parametrize("case", list(CASES))
async def test_failure_is_a_clear_error_output(case: str, tmp_path: Path, backend: str) -> None:
    config, expected = CASES[case]
    record, frames = await _answer(tmp_path, backend, config)
    assert record.status is DispatchStatus.ANSWERED  # type: ignore[attr-defined]
    assert record.is_error  # type: ignore[attr-defined]
    messages = record.messages  # type: ignore[attr-defined]
    assert any(expected.removeprefix("Error: ") in m for m in messages), messages
    result, follow_up = frames
    assert result["type"] == "realtime.function_call_output"
    data = result["data"]
    assert isinstance(data, dict)
    assert data["call_id"] == record.call_id  # type: ignore[attr-defined]
    assert isinstance(data["output"], str)
    assert data["output"].startswith("Error: ")
    assert expected in data["output"]
    assert follow_up == {"type": "response.create"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("config", "output"),
    [
        (StaticConfig({"temp": 20, "ok": True}), '{"temp":20,"ok":true}'),
        (StaticConfig(42), "42"),
        (StaticConfig(None), "null"),
        (RulesConfig((Rule(MatchKind.ANY, output=["a", 1]),)), '["a",1]'),
        (
            ScriptConfig("handlers.py", "a_dict"),
            '{"echo":"Please book a table for two at eight","n":2}',
        ),
    ],
)
async def test_non_string_results_are_sent_as_json_text(
    config: ResponderConfig, output: str, tmp_path: Path, backend: str
) -> None:
    record, frames = await _answer(tmp_path, backend, config)
    assert not record.is_error  # type: ignore[attr-defined]
    assert frames[0]["data"] == {"call_id": record.call_id, "output": output}  # type: ignore[attr-defined]
    json.loads(output)
