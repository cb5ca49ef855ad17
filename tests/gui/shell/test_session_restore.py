"""Opening a recording shows its timeline; the open tool set comes back after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from navtalk_desktop.app import Workbench
from tests.gui.shell.test_window_layout import front_docks
from tests.gui.test_app_integration import _recording
from tests.gui.ui_support import static_toolset_file, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., Workbench]


def test_opening_a_recording_puts_the_timeline_in_front(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    recording = _recording(tmp_path / "earlier.jsonl", 5)
    tools = static_toolset_file(tmp_path / "my-tools.json", "ok")
    first = workbench_factory(str(tools))
    # The user had the Tools tab in front when the app last closed.
    first.window.docks["tools"].raise_()
    qtbot.waitUntil(lambda: "tools" in front_docks(first.window), timeout=20_000)
    first.window.save_layout(first._layout)
    workbench = workbench_factory(str(recording))
    panel = workbench.panels["timeline"]
    qtbot.waitUntil(lambda: panel.model.rowCount() == 5, timeout=20_000)
    qtbot.waitUntil(lambda: "timeline" in front_docks(workbench.window), timeout=20_000)
    assert "tools" not in front_docks(workbench.window)


def test_the_open_tool_set_is_opened_again_at_the_next_start(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "my-tools.json", "From the last run.")
    first = workbench_factory(str(tools))
    assert first.editor.path == tools
    again = workbench_factory()  # no file argument: the last one comes back
    assert again.editor.path == tools
    assert again.editor.toolset.name == "Test tools"
    # Gone since: the default set opens, nothing is reported as asked-for and missing.
    tools.unlink()
    third = workbench_factory()
    assert third.editor.path != tools
    assert third.tools_failure is None
