"""The real GUI process keeps answering calls and quits on time after a 2 MB transcript delta.

A scripted server on 127.0.0.1 sends one 2 MB ``audio_transcript.delta`` (no spaces: the
worst case for Qt's line breaking), then function calls. The ``navtalk-desktop`` process
(``--connect --auto``, offscreen) must answer every call with its static responder and
leave by itself at ``--quit-after``: before the fix its GUI thread spent minutes laying
out the text and never quit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.gui.ui_support import static_toolset_file
from tests.helpers.script_server import ScriptConnection, ScriptServer

ANSWER = "E2E: still answering"
CALLS = 3
# Generous: a loaded CI machine; before the fix the process was still busy after minutes.
ANSWER_WITHIN_S = 60.0
QUIT_AFTER_S = 20
EXIT_WITHIN_S = 120.0


def _event(kind: str, **data: object) -> str:
    return json.dumps({"type": kind, "data": data})


def test_calls_after_a_2mb_delta_are_answered_and_the_app_quits_on_time(tmp_path: Path) -> None:
    tools = static_toolset_file(tmp_path / "tools.json", ANSWER)
    answered: list[str] = []

    async def script(conn: ScriptConnection) -> None:
        await conn.send(_event("conversation.connected.success", sessionId="s1", iceServers=[]))
        await conn.send(_event("realtime.session.created"))
        await conn.send(_event("realtime.session.updated"))
        await conn.send(
            _event("realtime.response.audio_transcript.delta", id="resp_1", content="x" * 2_000_000)
        )
        for n in range(CALLS):
            await conn.send(
                _event(
                    "realtime.response.function_call_arguments.done",
                    call_id=f"call_{n}",
                    function_name="function_call_judge",
                    arguments='{"userInput": "still there?"}',
                )
            )
            # The next call only once this one is answered: each is a call that arrived
            # while the GUI had the 2 MB text to show.
            while True:
                frame = await conn.recv(wait_s=ANSWER_WITHIN_S)
                if isinstance(frame, str) and f'"call_{n}"' in frame and ANSWER in frame:
                    answered.append(f"call_{n}")
                    break

    async def main() -> int:
        async with ScriptServer([script]) as server:
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"),
                "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "navtalk_desktop",
                "--url",
                f"{server.url}?license=sk_navtalk_e2e_huge",
                "--tools",
                str(tools),
                "--connect",
                "--auto",
                "--quit-after",
                str(QUIT_AFTER_S),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                return await asyncio.wait_for(process.wait(), EXIT_WITHIN_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise AssertionError(
                    f"the app did not quit within {EXIT_WITHIN_S:.0f} s "
                    f"(asked to after {QUIT_AFTER_S} s); calls answered: {answered}"
                ) from None
            finally:
                assert not server.errors, server.errors

    assert asyncio.run(main()) == 0
    assert answered == [f"call_{n}" for n in range(CALLS)]
