"""Timeline thread contract: one writer thread appends while another flushes and reads."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineFilter

ROWS = 6000


def _frame(n: int) -> tuple[Direction, str, str, str | None, str | None]:
    """Row ``n`` of a talking stream: audio (spilled), transcript deltas, a done, a local row."""
    if n % 10 == 9:
        return Direction.LOCAL, "local.state", "", None, None
    if n % 10 == 8:
        raw = f'{{"type":"realtime.response.audio.done","data":{{}},"n":{n}}}'
        return Direction.IN, "realtime.response.audio.done", raw, None, None
    if n % 2:
        raw = f'{{"type":"realtime.response.audio_transcript.delta","data":{{"content":"w{n}"}}}}'
        return Direction.IN, "realtime.response.audio_transcript.delta", raw, "text:r", None
    payload = f"{n:08d}" * 200  # 1,600 characters: spilled
    raw = f'{{"type":"realtime.response.audio.delta","data":{{"delta":"{payload}"}}}}'
    return Direction.IN, "realtime.response.audio.delta", raw, "audio:r", payload


def _append(timeline: Timeline, n: int) -> None:
    direction, type_, raw, fold_key, audio = _frame(n)
    timeline.append(
        direction, type_, raw, summary=f"s{n}", fold_key=fold_key, audio=audio, call_id=str(n)
    )


class _Recorder:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.appended: list[tuple[int, int]] = []
        self.changed: list[int] = []

    def timeline_appended(self, start: int, count: int) -> None:
        # Rows announced must be readable, with their folding and spill records in place.
        for row in range(start, start + count):
            assert self.timeline[row].summary == f"s{row}"
            self.timeline.group_of(row)
            self.timeline.fold_key(row)
        self.appended.append((start, count))

    def timeline_changed(self, row: int) -> None:
        self.changed.append(row)

    def timeline_cleared(self) -> None:
        raise AssertionError("not cleared")


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every few bytecodes, so that races show up within one run."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_one_writer_thread_and_a_reading_flushing_thread() -> None:
    flushes: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
    # The GUI-thread set-up: the writer schedules flushes onto the reader's queue.
    timeline = Timeline(schedule=flushes.put, spill_threshold=1024)
    recorder = _Recorder(timeline)
    timeline.add_listener(recorder)
    errors: list[BaseException] = []
    reads = 0

    def writer() -> None:
        try:
            for n in range(ROWS):
                _append(timeline, n)
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            errors.append(error)
        finally:
            flushes.put(None)

    def reader() -> None:
        nonlocal reads
        try:
            done = False
            while not done:
                try:
                    callback = flushes.get(timeout=0.001)
                except queue.Empty:
                    callback = None
                else:
                    if callback is None:
                        done = True
                    else:
                        callback()
                count = len(timeline)
                if not count:
                    continue
                row = count - 1
                assert timeline[row].call_id == str(row)
                assert timeline.raw_frame(row) == _frame(row)[2]  # spilled rows read back
                if row >= 2 and timeline.is_spilled(row - (row % 2)):
                    assert timeline.raw_frame(row - (row % 2)) == _frame(row - (row % 2))[2]
                groups = timeline.logical_count()
                entry = timeline.logical_entry(groups - 1)
                assert all(r < len(timeline) for r in entry.rows)
                assert timeline.group_of(row) < timeline.logical_count()
                assert timeline.dropped() == []
                timeline.search(TimelineFilter(text="w1", start=max(0, row - 50)))
                reads += 1
            timeline.flush()
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            errors.append(error)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert reads > 0

    # Every row was announced exactly once, in order.
    assert recorder.appended[0][0] == 0
    for (start, count), (following, _) in zip(
        recorder.appended, recorder.appended[1:], strict=False
    ):
        assert following == start + count
    assert sum(count for _, count in recorder.appended) == ROWS

    # The result is what one thread would have built.
    single = Timeline(spill_threshold=1024)
    for n in range(ROWS):
        _append(single, n)
    assert len(timeline) == len(single) == ROWS
    assert timeline.logical_count() == single.logical_count()
    for group in range(single.logical_count()):
        mine, theirs = timeline.logical_entry(group), single.logical_entry(group)
        assert (mine.rows, mine.text, mine.size) == (theirs.rows, theirs.text, theirs.size)
    for row in range(ROWS):
        mine_row, their_row = timeline[row], single[row]
        assert mine_row._replace(wall_time=0, mono_time=0) == their_row._replace(
            wall_time=0, mono_time=0
        )
        assert timeline.raw_frame(row) == single.raw_frame(row) == _frame(row)[2]
    assert timeline.stats == single.stats
    timeline.close()
    single.close()
