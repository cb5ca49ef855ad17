"""Start-up of the real ``navtalk-desktop`` process: what is loaded before its window shows.

Start-up time (benchmark B5) is process start to the window shown. What the first screen
does not need is loaded after it: the network stack, the simulator, the tool editor, the
bundled examples and the log file's handler. Each is still loaded (and working) once the
app runs; these tests keep a later change from quietly moving one of them back in front
of the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Loaded after the window is shown, never before (each costs start-up time).
DEFERRED = (
    "websockets",
    "navtalk_desktop.infra.ws_transport",
    "navtalk_desktop.simulator",
    "navtalk_desktop.ui.tools.tools_panel",
    "navtalk_desktop.examples",
    "aiohttp",
    "jsonschema",
    "jinja2",
    "logging.handlers",
)

DRIVER = Path(__file__).with_name("app_driver.py")


def _run(tmp_path: Path, until: dict[str, object], *argv: str) -> dict[str, list[str]]:
    """Run the app until ``until`` holds (see ``app_driver``); which DEFERRED modules were
    loaded when the window was shown and at shutdown."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NAVTALK_DESKTOP_HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "NAVTALK_LOG_LEVEL": "INFO",
    }
    spec = {"deferred": DEFERRED, "until": until}
    result = subprocess.run(
        [sys.executable, str(DRIVER), json.dumps(spec), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    seen: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["until_met"], (until, result.stderr)
    return seen


def test_network_stack_tool_editor_and_examples_load_after_the_window_shows(
    tmp_path: Path,
) -> None:
    # Deferred, not dropped: the simulator comes up and the tool editor is built once it
    # runs. The app is quit once the simulator listens and the tool editor exists.
    built = [
        "websockets",
        "navtalk_desktop.simulator",
        "navtalk_desktop.ui.tools.tools_panel",
        "logging.handlers",
    ]
    seen = _run(tmp_path, {"log": ["built-in simulator listening"], "modules": built})
    assert seen["at_show"] == []
    for module in built:
        assert module in seen["at_shutdown"], seen
    # The log file was opened after the window was shown and has the records from before.
    log_text = (tmp_path / "home" / "logs" / "navtalk-desktop.log").read_text(encoding="utf-8")
    assert "main window shown" in log_text
    assert "shutting down" in log_text


def test_connect_at_start_up_still_loads_what_it_needs(tmp_path: Path) -> None:
    seen = _run(tmp_path, {"log": ["session ready"]}, "--connect")
    assert seen["at_show"] == []
    assert "navtalk_desktop.infra.ws_transport" in seen["at_shutdown"], seen
    # The transport loaded with the connection did connect: the session got ready.
    log_text = (tmp_path / "home" / "logs" / "navtalk-desktop.log").read_text(encoding="utf-8")
    assert "session ready" in log_text
