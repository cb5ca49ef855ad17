"""export_timeline(stop=…): an export is a snapshot of the rows that existed when asked."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.infra.recording import export_timeline, open_recording


def _append(timeline: Timeline, n: int) -> None:
    timeline.append(Direction.IN, "conversation.item.created", json.dumps({"n": n}))


def test_stop_exports_rows_before_it_only(tmp_path: Path) -> None:
    timeline = Timeline(schedule=lambda callback: None)
    for n in range(10):
        _append(timeline, n)
    out = tmp_path / "part.jsonl"
    assert export_timeline(timeline, out, stop=4) == 4
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["entries"] == 4
    assert [json.loads(json.loads(line)["raw"])["n"] for line in lines[1:]] == [0, 1, 2, 3]
    again = Timeline(schedule=lambda callback: None)
    assert len(open_recording(out, again).timeline) == 4
    # Out-of-range stops are clamped; no stop means every row.
    assert export_timeline(timeline, out, stop=99) == 10
    assert export_timeline(timeline, out, stop=-3) == 0
    assert export_timeline(timeline, out) == 10


def test_export_on_a_worker_thread_ignores_rows_appended_meanwhile(tmp_path: Path) -> None:
    timeline = Timeline(schedule=lambda callback: None)
    for n in range(2000):
        _append(timeline, n)
    stop = len(timeline)
    out = tmp_path / "snapshot.jsonl"
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(export_timeline(timeline, out, stop=stop))
    )
    worker.start()
    for n in range(2000, 6000):  # frames keep arriving while the file is written
        _append(timeline, n)
    worker.join(timeout=60)
    assert result == [stop]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == stop + 1
    assert json.loads(json.loads(lines[-1])["raw"])["n"] == stop - 1
