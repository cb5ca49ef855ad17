"""Script responders run out of process: results, exceptions, crashes, hangs, trust."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, ScriptConfig
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.ports import ScriptRunError
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.toolset_file import ScriptTrustFile

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys, time

    def respond(arguments, context):
        print("noise on stdout must not corrupt the reply")
        return f"{arguments['city']} via {context['name']} ({context['vars']['region']})"

    def as_json(arguments):
        return {"city": arguments["city"], "list": [1, 2.5, None, True]}

    async def coroutine(arguments, context):
        await asyncio.sleep(0)
        return "async ok"

    def raises(arguments, context):
        return helper(arguments)

    def helper(arguments):
        raise ValueError("no such city: " + arguments["city"])

    def returns_set(arguments):
        return {1, 2}

    def hangs(arguments):
        # Next to the script: the isolated child gets no variables beyond a short allow-list.
        with open(os.path.join(os.path.dirname(__file__), "pid"), "w") as out:
            out.write(str(os.getpid()))
        time.sleep(60)

    def crashes(arguments):
        os._exit(3)

    def segfaults(arguments):
        import signal
        os.kill(os.getpid(), signal.SIGSEGV)

    def exits(arguments):
        sys.exit(4)

    def sees_license(arguments):
        return os.environ.get("NAVTALK_LICENSE", "hidden")

    def cwd(arguments):
        return os.getcwd()

    not_a_function = 3
    """
)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "handlers.py"
    path.write_text(SCRIPT)
    return path


@pytest.fixture
def trust(tmp_path: Path, script: Path) -> ScriptTrustFile:
    store = ScriptTrustFile(tmp_path / "trust.json")
    store.trust(script)
    return store


async def _run(
    script: Path, trust: ScriptTrustFile | None, function: str, timeout_s: float = 10.0
) -> Any:
    factory = ResponderFactory(
        scripts=SubprocessScriptRunner(), trust=trust, base_dir=script.parent
    )
    chain = ResponderChain(steps=(ResponderStep(ScriptConfig(script.name, function, timeout_s)),))
    request = CallRequest(
        "call_9", "weather", {"city": "Oslo"}, '{"city": "Oslo"}', {"region": "EU"}
    )
    return await ChainRunner(factory).run(chain, request)


@pytest.mark.asyncio
async def test_result_text_and_context(script: Path, trust: ScriptTrustFile) -> None:
    result = await _run(script, trust, "respond")
    assert result.output == "Oslo via weather (EU)"
    assert result.responder == "script"
    assert result.attempts[0].message == "handlers.py:respond"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("function", "output"),
    [
        ("as_json", '{"city":"Oslo","list":[1,2.5,null,true]}'),
        ("coroutine", "async ok"),
        ("sees_license", "hidden"),
    ],
)
async def test_json_and_async_results(
    script: Path,
    trust: ScriptTrustFile,
    function: str,
    output: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NAVTALK_LICENSE", "sk_navtalk_must_not_leak")
    assert (await _run(script, trust, function)).output == output


@pytest.mark.asyncio
async def test_runs_in_the_scripts_folder(script: Path, trust: ScriptTrustFile) -> None:
    assert (await _run(script, trust, "cwd")).output == str(script.parent)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("raises", "Error: handlers.py:raises failed: ValueError: no such city: Oslo (File "),
        (
            "returns_set",
            "Error: handlers.py:returns_set failed: returns_set() returned set, which cannot be sent as JSON",
        ),
        ("crashes", "Error: handlers.py:crashes exited with code 3 without a result"),
        ("segfaults", "Error: handlers.py:segfaults crashed (killed by SIGSEGV)"),
        ("exits", "Error: handlers.py:exits failed: the script called sys.exit(4)"),
        (
            "not_a_function",
            "Error: handlers.py:not_a_function failed: no function 'not_a_function' in handlers.py",
        ),
        ("missing", "Error: handlers.py:missing failed: no function 'missing' in handlers.py"),
    ],
)
async def test_failures_are_clear_error_outputs(
    script: Path, trust: ScriptTrustFile, function: str, message: str
) -> None:
    result = await _run(script, trust, function)
    assert result.is_error
    assert result.output.startswith(message)


@pytest.mark.asyncio
async def test_exception_names_the_line(script: Path, trust: ScriptTrustFile) -> None:
    result = await _run(script, trust, "raises")
    line = (
        SCRIPT.splitlines().index('    raise ValueError("no such city: " + arguments["city"])') + 1
    )
    assert f'File "{script}", line {line}, in helper' in result.output


@pytest.mark.asyncio
async def test_hanging_script_is_killed_at_the_timeout(
    script: Path, trust: ScriptTrustFile, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    result = await _run(script, trust, "hangs", timeout_s=1.0)
    assert time.monotonic() - started < 10
    assert (
        result.output
        == "Error: handlers.py:hangs did not finish within 1 s; the process was killed"
    )
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.asyncio
async def test_untrusted_script_never_runs(script: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _write(
        script, f"def respond(a, c):\n    open({str(marker)!r}, 'w').close()\n    return 'ran'\n"
    )
    untrusted = ScriptTrustFile(tmp_path / "empty-trust.json")
    result = await _run(script, untrusted, "respond")
    assert result.is_error
    assert "is not trusted" in result.output
    assert not marker.exists()
    no_trust_store = await _run(script, None, "respond")
    assert "is not trusted" in no_trust_store.output
    untrusted.trust(script)
    assert (await _run(script, untrusted, "respond")).output == "ran"
    assert marker.exists()


@pytest.mark.asyncio
async def test_editing_a_trusted_script_revokes_its_trust(
    script: Path, trust: ScriptTrustFile
) -> None:
    assert (await _run(script, trust, "cwd")).output == str(script.parent)
    _write(script, SCRIPT + "\n# changed\n")
    assert "is not trusted" in (await _run(script, trust, "cwd")).output


@pytest.mark.asyncio
async def test_runner_reports_a_missing_file(tmp_path: Path) -> None:
    runner = SubprocessScriptRunner()
    with pytest.raises(ScriptRunError, match="does not exist"):
        await runner.run(tmp_path / "nope.py", "respond", {}, {}, 5)


@pytest.mark.asyncio
async def test_runner_round_trips_unicode(tmp_path: Path) -> None:
    path = tmp_path / "u.py"
    path.write_text("def respond(a, c):\n    return a\n", encoding="utf-8")
    value = {"text": "北京 · São Paulo · 🌧"}
    assert await SubprocessScriptRunner().run(path, "respond", value, {}, 10) == value
    assert json.dumps(value)  # sanity: the value is JSON
