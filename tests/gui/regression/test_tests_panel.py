"""The Tests panel in the real app: the tool set's suites run with live results and diffs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop import app as app_module
from navtalk_desktop.infra.test_suite_file import load_suite
from tests.gui.ui_support import QUESTION, static_toolset_file, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]
ANSWER = "It is sunny in Beijing."


def _files(tmp_path: Path) -> Path:
    tools = static_toolset_file(tmp_path / "judge.navtools.json", ANSWER)
    data = json.loads(tools.read_text(encoding="utf-8"))
    data["tests"] = ["judge.navtests.json"]
    tools.write_text(json.dumps(data), encoding="utf-8")
    suite = {
        "format": "navtalk-desktop.tests",
        "schema_version": 1,
        "name": "Judge",
        "tools": "judge.navtools.json",
        "tests": [
            {
                "name": "answers",
                "tool": "function_call_judge",
                "arguments": {"userInput": "weather"},
                "expect": {"text": ANSWER},
            },
            {
                "name": "outdated",
                "tool": "function_call_judge",
                "arguments": {"userInput": "weather"},
                "expect": {"not_error": True, "text": "It is raining."},
            },
            {
                "name": "conversation",
                "kind": "conversation",
                "say": QUESTION,
                "calls": [{"tool": "function_call_judge"}],
                "reply": {"regex": "sunny"},
            },
        ],
    }
    (tmp_path / "judge.navtests.json").write_text(json.dumps(suite), encoding="utf-8")
    return tools


def test_tests_panel_runs_the_tool_sets_suite_and_rerecords(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = _files(tmp_path)
    workbench = workbench_factory("--tools", str(tools))
    window = workbench.window
    assert "tests" in window.docks
    panel = workbench.panels["tests"]
    assert panel.suite_combo.currentText() == "judge.navtests.json"
    rows = [panel.results.topLevelItem(i) for i in range(panel.results.topLevelItemCount())]
    assert [r.text(1) for r in rows] == ["answers", "outdated", "conversation"]
    assert [r.text(2) for r in rows] == ["call", "call", "conversation"]

    qtbot.mouseClick(panel.run_all_button, Qt.MouseButton.LeftButton)
    assert not panel.run_all_button.isEnabled()  # one run at a time
    qtbot.waitUntil(lambda: panel.progress.text().startswith("3 run:"), timeout=30_000)
    assert panel.progress.text() == "3 run: 2 passed, 1 failed"
    assert [r.text(0) for r in rows] == ["passed", "failed", "passed"]

    # A conversation test's details list the calls its own session made, with the answers.
    panel.results.setCurrentItem(rows[2])
    detail = panel.detail.toPlainText()
    assert "Calls in the test's session:\n1. function_call_judge {" in detail
    assert f"→ {ANSWER}" in detail
    assert "Avatar's reply:\n" in detail

    panel.results.setCurrentItem(rows[1])
    detail = panel.detail.toPlainText()
    assert "-It is raining." in detail
    assert f"+{ANSWER}" in detail
    assert panel.run_failed_button.isEnabled()

    # After an intended change: expect the actual answer from now on, in the file too.
    assert panel.rerecord_button.isEnabled()
    qtbot.mouseClick(panel.rerecord_button, Qt.MouseButton.LeftButton)
    saved = load_suite(tmp_path / "judge.navtests.json")
    assert saved.tests[1].expect.text == ANSWER
    assert saved.tests[1].expect.not_error
    assert not panel.rerecord_button.isEnabled()
    assert panel.detail.toPlainText() == f"Re-recorded: the test now expects\n{ANSWER}"

    # Run Failed runs only what failed before: the re-recorded test, which now passes.
    qtbot.mouseClick(panel.run_failed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.text().startswith("1 run:"), timeout=30_000)
    assert panel.progress.text() == "1 run: 1 passed, 0 failed"
    assert [r.text(0) for r in rows] == ["passed", "passed", "passed"]


def test_a_broken_suite_is_reported_and_nothing_runs(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = _files(tmp_path)
    (tmp_path / "judge.navtests.json").write_text('{"format": "navtalk-desktop.tests"}')
    workbench = workbench_factory("--tools", str(tools))
    panel = workbench.panels["tests"]
    assert panel.progress.text().startswith("Cannot read judge.navtests.json: schema_version")
    assert panel.results.topLevelItemCount() == 0
    assert not panel.run_all_button.isEnabled()
