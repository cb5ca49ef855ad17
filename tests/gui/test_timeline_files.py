"""The timeline panel's files: exports that fail leave nothing behind; torn recordings open."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.infra.recording import RecordingFileStore, export_timeline
from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel


@pytest.fixture
def panel(qloop: Any, qtbot: Any) -> TimelinePanel:
    from tests.gui.ui_support import make_bridge

    bridge = make_bridge()
    panel = TimelinePanel(bridge, files=RecordingFileStore())
    qtbot.addWidget(panel)
    panel.show()
    for n in range(20):
        bridge.timeline.append(
            Direction.IN, "tick", json.dumps({"type": "tick", "n": n}), summary=f"tick {n}"
        )
    qtbot.waitUntil(lambda: panel.model.rowCount() == 20, timeout=20_000)
    return panel


def _notes(panel: TimelinePanel) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    panel.notification_requested.connect(lambda level, text: notes.append((level, text)))
    return notes


@pytest.mark.parametrize("kind", ["jsonl", "markdown"])
def test_an_export_over_a_folder_fails_and_leaves_no_temporary_file(
    qtbot: Any, panel: TimelinePanel, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / f"session.{kind}"
    target.mkdir()
    (target / "inside.txt").write_text("kept", encoding="utf-8")
    notes = _notes(panel)
    task = panel.export_jsonl(target) if kind == "jsonl" else panel.export_markdown(target)
    qtbot.waitUntil(task.done, timeout=10_000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=20_000)
    assert notes
    assert notes[-1][0] == "error"
    assert target.name in notes[-1][1]
    assert os.listdir(tmp_path) == [target.name]  # no .part / temporary file
    assert (target / "inside.txt").read_text(encoding="utf-8") == "kept"


def test_an_export_failing_midway_keeps_the_previous_file(
    qtbot: Any, panel: TimelinePanel, tmp_path: Path
) -> None:
    target = tmp_path / "session.jsonl"
    target.write_text("previous export\n", encoding="utf-8")
    timeline = panel.bridge.timeline
    timeline.append(Direction.IN, "audio", '{"d":"' + "A" * 2000 + '"}', audio="A" * 2000)
    timeline.close()  # its spilled audio can no longer be read: the export fails midway
    notes = _notes(panel)
    task = panel.export_jsonl(target)
    qtbot.waitUntil(task.done, timeout=10_000)
    qtbot.waitUntil(lambda: bool(notes), timeout=20_000)
    assert notes[-1][0] == "error"
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert os.listdir(tmp_path) == ["session.jsonl"]


def test_a_recording_cut_off_by_a_crash_opens_with_a_warning(
    qtbot: Any, panel: TimelinePanel, tmp_path: Path
) -> None:
    path = tmp_path / "crashed.jsonl"
    export_timeline(panel.bridge.timeline, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5])  # the last entry's line is torn
    panel.bridge.clear_timeline()  # the engine owns the store: clearing is a command
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=20_000)
    notes = _notes(panel)
    task = panel.import_jsonl(path)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    qtbot.waitUntil(lambda: bool(notes), timeout=20_000)
    level, text = notes[-1]
    assert level == "warning"
    assert "crashed.jsonl: 19 frames" in text
    assert "cut off" in text
    qtbot.waitUntil(lambda: panel.model.rowCount() == 19, timeout=20_000)
