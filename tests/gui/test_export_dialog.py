"""The timeline's Export dialogs suggest a file name and never start in the working folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog

from navtalk_desktop.infra.recording import RecordingFileStore
from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel


@pytest.fixture
def panel(qloop: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TimelinePanel:
    from tests.gui.ui_support import make_bridge

    # The process runs in a folder of its own: the dialog must not open there.
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    panel = TimelinePanel(make_bridge(), files=RecordingFileStore())
    qtbot.addWidget(panel)
    panel.show()
    return panel


def _open_dialog(qtbot: Any, panel: TimelinePanel, ask: Any) -> QFileDialog:
    ask()
    qtbot.waitUntil(lambda: panel.findChild(QFileDialog) is not None, timeout=10_000)
    dialog = panel.findChild(QFileDialog)
    assert isinstance(dialog, QFileDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)
    return dialog


@pytest.mark.parametrize(
    ("action", "kind", "suffix"),
    [("ask_export_jsonl", "session", ".jsonl"), ("ask_export_markdown", "transcript", ".md")],
)
def test_export_suggests_a_name_outside_the_working_folder(
    qtbot: Any, panel: TimelinePanel, action: str, kind: str, suffix: str
) -> None:
    dialog = _open_dialog(qtbot, panel, getattr(panel, action))
    folder = Path(dialog.directory().absolutePath())
    assert folder != Path(os.getcwd())
    chosen = [Path(p) for p in dialog.selectedFiles()]
    assert len(chosen) == 1
    assert chosen[0].name.startswith(f"navtalk-{kind}-")
    assert chosen[0].suffix == suffix
    dialog.reject()


def test_the_next_dialog_opens_in_the_folder_chosen_last(
    qtbot: Any, panel: TimelinePanel, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    dialog = _open_dialog(qtbot, panel, panel.ask_export_markdown)
    dialog.fileSelected.emit(str(exports / "first.md"))  # as when the user accepts
    dialog.reject()
    qtbot.waitUntil(lambda: not panel.busy, timeout=20_000)
    qtbot.waitUntil(lambda: panel.findChild(QFileDialog) is None, timeout=10_000)
    dialog = _open_dialog(qtbot, panel, panel.ask_export_jsonl)
    assert Path(dialog.directory().absolutePath()) == exports
    dialog.reject()
