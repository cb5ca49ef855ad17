"""Recording files on disk: atomic exports, the streaming writer, reading torn recordings."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navtalk_desktop.core.timeline.recording import RecordingError, encode_line
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.infra.atomic_file import atomic_write, atomic_write_text
from navtalk_desktop.infra.recording import (
    RecordingWriter,
    export_timeline,
    open_recording,
)

LICENSE = "sk_navtalk_RecordingSecret77"
LATER = "later-learnt-license-value"


def _fill(timeline: Timeline, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        frame = json.dumps({"type": "tick", "n": n, "t": "中文"}, ensure_ascii=False)
        timeline.append(Direction.IN, "tick", frame)


def _wait_for(condition: object, what: str) -> None:
    # Waits for the state asserted on; the deadline only turns a hang into a failure.
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


# ---------------------------------------------------------------- reading a torn recording
@pytest.mark.parametrize("cut", ["after one byte", "inside a character", "one byte short"])
def test_a_recording_with_a_torn_last_line_opens_with_a_note(tmp_path: Path, cut: str) -> None:
    timeline = Timeline()
    _fill(timeline, 5)
    path = tmp_path / "crashed.jsonl"
    export_timeline(timeline, path)
    data = path.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut_at = {
        "after one byte": last_start + 1,
        "inside a character": data.index("中".encode(), last_start) + 1,  # not UTF-8 there
        "one byte short": len(data) - 2,  # only the closing brace and newline missing
    }[cut]
    path.write_bytes(data[:cut_at])

    opened = open_recording(path)

    assert [json.loads(str(e.raw))["n"] for e in opened.timeline] == [0, 1, 2, 3]
    assert opened.note is not None
    assert "line 6 is cut off" in opened.note
    assert "4 complete entries" in opened.note


def test_a_complete_recording_has_no_note_and_a_bad_middle_line_is_still_an_error(
    tmp_path: Path,
) -> None:
    timeline = Timeline()
    _fill(timeline, 3)
    path = tmp_path / "ok.jsonl"
    export_timeline(timeline, path)
    assert open_recording(path).note is None
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:10]  # a torn line that is not the last one is damage, not a crash
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RecordingError, match="line 3"):
        open_recording(path)


# ---------------------------------------------------------------- atomic writes
def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "session.md"
    target.write_text("old content", encoding="utf-8")

    def half_then_fail(stream: object) -> None:
        stream.write("half of the new content")  # type: ignore[attr-defined]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old content"
    assert os.listdir(tmp_path) == ["session.md"]


def test_writing_over_a_folder_fails_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "session.jsonl"
    folder.mkdir()
    (folder / "inside.txt").write_text("kept", encoding="utf-8")
    timeline = Timeline()
    _fill(timeline, 3)
    with pytest.raises(IsADirectoryError):
        export_timeline(timeline, folder)
    with pytest.raises(IsADirectoryError):
        atomic_write_text(folder, "text")
    assert os.listdir(tmp_path) == ["session.jsonl"]
    assert (folder / "inside.txt").read_text(encoding="utf-8") == "kept"


def test_an_export_failing_midway_keeps_the_previous_export(tmp_path: Path) -> None:
    timeline = Timeline(spill_threshold=10)
    _fill(timeline, 3)
    timeline.append(Direction.IN, "audio", '{"d":"' + "A" * 100 + '"}', audio="A" * 100)
    path = tmp_path / "session.jsonl"
    assert export_timeline(timeline, path) == 4
    before = path.read_bytes()
    timeline.close()  # the spilled audio cannot be read back any more: row 3 fails
    with pytest.raises(KeyError):
        export_timeline(timeline, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["session.jsonl"]


def test_atomic_text_keeps_the_permissions_of_the_replaced_file(tmp_path: Path) -> None:
    target = tmp_path / "tools.json"
    target.write_text("{}", encoding="utf-8")
    target.chmod(0o600)
    atomic_write_text(target, '{"a": 1}')
    assert target.stat().st_mode & 0o777 == 0o600
    atomic_write_text(tmp_path / "new.json", "{}")
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------- streaming writer
def test_the_writer_streams_entries_before_it_is_closed_with_secrets_redacted(
    tmp_path: Path,
) -> None:
    timeline = Timeline()
    path = tmp_path / "live.jsonl"
    secrets = [LICENSE]
    writer = RecordingWriter(path, timeline, secrets=lambda: list(secrets))
    writer.start()
    try:
        _fill(timeline, 50)
        timeline.append(Direction.OUT, "x", f'{{"url":"wss://h/?license={LICENSE}"}}')
        timeline.flush()  # where the timeline's listeners learn of new rows (the engine's loop)
        # Without closing: the entries reach the file on their own.
        _wait_for(lambda: path.read_bytes().count(b"\n") == 52, "entries not written")
        data = path.read_bytes()
        lines = [json.loads(line) for line in data.splitlines()]
        assert lines[0]["format"] == "navtalk-desktop-timeline"
        assert [line["seq"] for line in lines[1:]] == list(range(1, 52))
        assert LICENSE not in data.decode("utf-8")
        # A license learnt during the session is redacted from then on.
        secrets.append(LATER)
        timeline.append(Direction.OUT, "y", f'{{"token":"{LATER}"}}')
        _fill(timeline, 10, start=50)
    finally:
        count = writer.close()  # writes what is left even without a listener call
    assert count == 62
    text = path.read_text(encoding="utf-8")
    assert LATER not in text
    assert LICENSE not in text
    opened = open_recording(path)
    assert opened.note is None
    assert [e.seq for e in opened.timeline] == list(range(1, 63))
    assert opened.timeline[61].raw == timeline[61].raw


def test_a_recording_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    timeline = Timeline()
    writer = RecordingWriter(Path("/dev/full"), timeline)
    with pytest.raises(OSError, match="No space left"):
        writer.start()  # the header cannot be written: nothing starts
    assert not timeline._listeners


# ---------------------------------------------------------------- line encoding
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@given(
    head=st.text(alphabet=st.sampled_from('ab"{}:,=?&\\\x00\x1f\u2063é'), max_size=40),
    filler=st.sampled_from(["QUF=", 'x"y', "z\\n", "\x01", "中"]),
    repeat=st.integers(min_value=0, max_value=300),
    summary=st.one_of(_text, st.just("\u2063navtalk-raw\u2063")),
)
@settings(max_examples=200, deadline=None)
def test_encoded_lines_are_exactly_what_json_writes(
    head: str, filler: str, repeat: int, summary: str
) -> None:
    # Long raw frames take a fast path; the line must not differ from json.dumps by a byte.
    record = {"seq": 1, "type": "t", "raw": head + filler * repeat, "summary": summary}
    assert encode_line(record) == json.dumps(record, ensure_ascii=False) + "\n"
