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
    "navtalk_desktop.ui.tools_panel",
    "navtalk_desktop.examples",
    "aiohttp",
    "jsonschema",
    "jinja2",
    "logging.handlers",
)

# Runs the app as `python -m navtalk_desktop` does and reports, as JSON on stdout, which
# DEFERRED modules were loaded when the window was shown and which at shutdown.
DRIVER = """
import json, logging, sys
deferred = json.loads(sys.argv[1])
seen = {}
def loaded():
    return sorted(m for m in deferred if m in sys.modules)
class Spy(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if message == "main window shown":
            seen["at_show"] = loaded()
        elif message == "shutting down":
            seen["at_shutdown"] = loaded()
spy_log = logging.getLogger("navtalk_desktop.app")
spy_log.setLevel(logging.INFO)
spy_log.addHandler(Spy())
from navtalk_desktop.cli import main
status = main(sys.argv[2:])
print(json.dumps(seen))
sys.exit(status)
"""


def _run(tmp_path: Path, *argv: str) -> dict[str, list[str]]:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NAVTALK_DESKTOP_HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "NAVTALK_LOG_LEVEL": "INFO",
    }
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(DEFERRED), *argv],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    seen: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def test_network_stack_tool_editor_and_examples_load_after_the_window_shows(
    tmp_path: Path,
) -> None:
    seen = _run(tmp_path, "--quit-after", "2")
    assert seen["at_show"] == []
    # Deferred, not dropped: the simulator is up and the tool editor built once it runs.
    for module in (
        "websockets",
        "navtalk_desktop.simulator",
        "navtalk_desktop.ui.tools_panel",
        "logging.handlers",
    ):
        assert module in seen["at_shutdown"], seen
    # The log file was opened after the window was shown and has the records from before.
    log_text = (tmp_path / "home" / "logs" / "navtalk-desktop.log").read_text(encoding="utf-8")
    assert "main window shown" in log_text
    assert "shutting down" in log_text


def test_connect_at_start_up_still_loads_what_it_needs(tmp_path: Path) -> None:
    seen = _run(tmp_path, "--connect", "--quit-after", "3")
    assert seen["at_show"] == []
    assert "navtalk_desktop.infra.ws_transport" in seen["at_shutdown"], seen
    # The transport loaded with the connection did connect: the session got ready.
    log_text = (tmp_path / "home" / "logs" / "navtalk-desktop.log").read_text(encoding="utf-8")
    assert "session ready" in log_text
