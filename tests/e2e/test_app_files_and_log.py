"""The real process: FILE arguments open a tool set and a recording; the log file is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.infra.recording import export_timeline

LICENSE = "e2e-license-5d1c0f7a"


def test_files_open_and_the_log_file_is_redacted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tools = tmp_path / "team-tools.json"
    tools.write_text(
        json.dumps(
            {
                "format": "navtalk-desktop.toolset",
                "schema_version": 1,
                "name": "Team tools",
                "tools": [{"name": "lookup", "description": "Look something up", "parameters": {}}],
            }
        ),
        encoding="utf-8",
    )
    recording = tmp_path / "yesterday.jsonl"
    timeline = Timeline(schedule=lambda callback: None)
    timeline.append(Direction.IN, "conversation.item.created", '{"type": "x"}')
    export_timeline(timeline, recording)
    timeline.close()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NAVTALK_DESKTOP_HOME": str(home),
        "NAVTALK_LICENSE": LICENSE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    # Quit (as File ▸ Quit does) once both files were dealt with, however long that takes.
    until = {"log": ["Opened yesterday.jsonl", "missing.txt: no such file"]}
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("app_driver.py")),
            json.dumps({"until": until}),
            str(tools),
            str(recording),
            str(tmp_path / "missing.txt"),
            "--url",
            f"ws://127.0.0.1:9/wss/v2/realtime-chat?license={LICENSE}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert json.loads(result.stdout.strip().splitlines()[-1])["until_met"], output
    log_file = home / "logs" / "navtalk-desktop.log"
    text = log_file.read_text(encoding="utf-8")
    assert "main window shown" in text
    assert "shutting down" in text
    assert "Opened yesterday.jsonl: 1 frames" in text  # notifications are logged
    assert "missing.txt: no such file" in text
    assert LICENSE not in text
    assert LICENSE not in output
    # The tool set file opened in the editor is the one saved on exit (unchanged here).
    assert json.loads(tools.read_text(encoding="utf-8"))["name"] == "Team tools"
