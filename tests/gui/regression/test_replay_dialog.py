"""File → Replay Recording as Server…: the app serves a recording and reports on the client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QFileDialog

from navtalk_desktop import app as app_module
from tests.e2e.test_replay_cli import SENTENCE, record, static, toolset
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]


def _respond(url: str, tools: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
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
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "NAVTALK_DESKTOP_HOME": str(home),
            "NAVTALK_LICENSE": "sk_test_replay",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        },
    )


def test_replay_as_server_shows_the_url_and_the_report(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = toolset(tmp_path / "tools.navtools.json", static("Sunny, 27 °C"))
    recording = record(tmp_path, tools)
    workbench = workbench_factory()
    window = workbench.window
    file_menu = window.menuBar().actions()[0].menu()
    assert window.replay_action in file_menu.actions()
    # The menu asks for the recording first (a file dialog, opened without a nested loop).
    window.replay_action.trigger()
    chooser = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog))
    qtbot.waitUntil(chooser.isVisible, timeout=20_000)
    chooser.reject()

    dialog = workbench.open_replay(recording)
    qtbot.waitUntil(lambda: dialog.url_edit.text().startswith("ws://127.0.0.1:"), timeout=10_000)
    assert dialog.status.text() == "Waiting for a client to connect…"
    changed = toolset(tmp_path / "changed.navtools.json", static("Rainy, 12 °C"))
    client = _respond(dialog.url_edit.text(), changed, tmp_path / "home")
    try:
        qtbot.waitUntil(lambda: dialog.report_view.toPlainText() != "", timeout=60_000)
    finally:
        _out, err = client.communicate(timeout=60)
    assert client.returncode == 0, err
    report = dialog.report_view.toPlainText().splitlines()
    assert report[0] == "tools: get_weather, get_time"
    assert "-Sunny, 27 °C" in report
    assert "+Rainy, 12 °C" in report
    assert dialog.status.text() == "The client differed from the recording (see the DIFF lines)."
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)


def test_an_unreadable_recording_is_reported_in_the_dialog(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "navtalk-desktop-timeline", "version": 1}\n[]\n', encoding="utf-8")
    workbench = workbench_factory()
    dialog = workbench.open_replay(bad)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Cannot replay"), timeout=10_000)
    assert "line 2" in dialog.status.text()
    assert dialog.url_edit.text() == ""
    dialog.close()


def test_the_app_as_the_client_of_a_replay(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path, monkeypatch: Any
) -> None:
    from PySide6.QtCore import Qt

    from navtalk_desktop.core.calls.book import CallState
    from tests.e2e.test_replay_cli import Replay
    from tests.gui.ui_support import QUESTION, static_toolset_file

    tools = static_toolset_file(tmp_path / "tools.json", "It is sunny in Beijing.")
    recording = record(tmp_path, tools)
    replay = Replay(tmp_path / "home", recording, "--speed", "max")
    monkeypatch.setenv("NAVTALK_LICENSE", "sk_test_app_client")
    workbench = workbench_factory("--tools", str(tools), "--url", replay.url, "--auto", "--connect")
    try:
        qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
        conversation = workbench.panels["conversation"]
        qtbot.keyClicks(conversation.input, QUESTION)
        qtbot.mouseClick(conversation.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(workbench.bridge.calls) == 1, timeout=20_000)
        call = next(iter(workbench.bridge.calls))
        qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
        assert call.output == "It is sunny in Beijing."
        # The replayed follow-up: the avatar's reply after the answer, then the app leaves.
        qtbot.waitUntil(
            lambda: (
                "Here is what I found" in conversation.transcript.toPlainText()
                and not conversation.active_responses
            ),
            timeout=20_000,
        )
        connection = workbench.panels["connection"]
        qtbot.mouseClick(connection.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: workbench.bridge.state == "closed", timeout=20_000)
    finally:
        code, report = replay.finish()
    assert code == 0, report
    assert report[-1] == "replay: the client behaved as recorded"
    assert any(line.startswith("call function_call_judge call_") for line in report)
