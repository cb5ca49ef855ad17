"""Timeline store: appending, batched notifications, search, folding, spill, JSONL round trip."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navtalk_desktop.core.timeline.timeline import (
    TEXT_FOLD_PREFIX,
    Direction,
    Timeline,
    TimelineFilter,
    TimelineImportError,
)
from navtalk_desktop.infra.recording import export_timeline, open_recording

LICENSE = "sk_navtalk_TimelineSecret42"


class Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def timeline_appended(self, start: int, count: int) -> None:
        self.calls.append(("appended", start, count))

    def timeline_changed(self, row: int) -> None:
        self.calls.append(("changed", row, 0))

    def timeline_cleared(self) -> None:
        self.calls.append(("cleared", 0, 0))


def delta(text: str, rid: str = "r1") -> str:
    return json.dumps(
        {"type": "realtime.response.audio_transcript.delta", "data": {"id": rid, "content": text}}
    )


def fill(timeline: Timeline) -> None:
    timeline.append(
        Direction.OUT, "realtime.input_config", '{"type":"realtime.input_config"}', summary="config"
    )
    timeline.append(
        Direction.IN, "conversation.connected.success", '{"type":"conversation.connected.success"}'
    )
    for part in ("It ", "is ", "sunny"):
        timeline.append(
            Direction.IN,
            "realtime.response.audio_transcript.delta",
            delta(part),
            summary=part,
            fold_key=TEXT_FOLD_PREFIX + "t|r1",
        )
    timeline.append(
        Direction.IN,
        "realtime.response.function_call_arguments.done",
        '{"type":"realtime.response.function_call_arguments.done","data":{"call_id":"call_1"}}',
        summary="get_weather({})",
        call_id="call_1",
    )
    timeline.append(Direction.LOCAL, "local.error", "", summary="boom", error="boom")


def test_append_and_read() -> None:
    timeline = Timeline()
    fill(timeline)
    assert len(timeline) == 7
    entry = timeline[5]
    assert entry.seq == 6
    assert entry.call_id == "call_1"
    assert entry.direction is Direction.IN
    assert entry.size == len(entry.raw)
    assert timeline[0].mono_time <= timeline[6].mono_time
    assert timeline.append(Direction.IN, "x", "é") == 7
    assert timeline[7].size == 2


def test_entries_are_kept_out_of_the_cycle_collectors_scans(tmp_path: Path) -> None:
    # One entry per frame for a whole session: full collections must not walk them all.
    timeline = Timeline()
    fill(timeline)
    timeline.append(Direction.IN, "binary", b"\x00\xffpcm")
    assert not any(gc.is_tracked(entry) for entry in timeline)
    tracked = {id(obj) for obj in gc.get_objects()}
    assert not any(id(entry) in tracked for entry in timeline)
    out = tmp_path / "t.jsonl"
    export_timeline(timeline, out)
    copy = Timeline()
    open_recording(out, copy)
    assert not any(gc.is_tracked(entry) for entry in copy)
    gc.collect()
    assert list(copy) == list(timeline)  # collections leave them whole


def test_notifications_are_batched_per_loop_iteration() -> None:
    async def run() -> Listener:
        timeline = Timeline()
        listener = Listener()
        timeline.add_listener(listener)
        for i in range(1000):
            timeline.append(Direction.IN, "t", str(i))
        assert listener.calls == []  # nothing before the loop runs the flush
        await asyncio.sleep(0)
        timeline.append(Direction.IN, "t", "late")
        await asyncio.sleep(0)
        return listener

    listener = asyncio.run(run())
    assert listener.calls == [("appended", 0, 1000), ("appended", 1000, 1)]


def test_without_a_loop_notifications_are_immediate_and_folds_report_changes() -> None:
    timeline = Timeline()
    listener = Listener()
    timeline.add_listener(listener)
    fill(timeline)
    assert ("appended", 0, 1) in listener.calls
    # The second and third delta grew the group whose first row is 2.
    assert listener.calls.count(("changed", 2, 0)) == 2
    timeline.clear()
    assert listener.calls[-1] == ("cleared", 0, 0)
    assert len(timeline) == 0
    assert timeline.logical_count() == 0
    timeline.remove_listener(listener)


def test_search_by_every_field() -> None:
    timeline = Timeline()
    fill(timeline)
    assert timeline.search(TimelineFilter()) == list(range(7))
    assert timeline.search(TimelineFilter(types=frozenset({"realtime.input_config"}))) == [0]
    assert timeline.search(TimelineFilter(type_contains="TRANSCRIPT")) == [2, 3, 4]
    assert timeline.search(
        TimelineFilter(directions=frozenset({Direction.OUT, Direction.LOCAL}))
    ) == [0, 6]
    assert timeline.search(TimelineFilter(call_id="call_1")) == [5]
    assert timeline.search(TimelineFilter(text="SUNNY")) == [4]
    assert timeline.search(TimelineFilter(regex=r"\"id\": \"r\d\"")) == [2, 3, 4]
    assert timeline.search(TimelineFilter(errors_only=True)) == [6]
    assert timeline.search(TimelineFilter(type_contains="delta", start=3, stop=4)) == [3]
    with pytest.raises(ValueError, match="invalid regular expression"):
        timeline.search(TimelineFilter(regex="("))


def test_folding_keeps_every_frame() -> None:
    timeline = Timeline()
    fill(timeline)
    # Interleaved audio deltas fold separately; a non-delta frame in the direction ends runs.
    for _ in range(2):
        timeline.append(
            Direction.IN, "realtime.response.audio.delta", "{}", fold_key="audio:r2", size=10
        )
        timeline.append(
            Direction.IN,
            "realtime.response.audio_transcript.delta",
            "{}",
            summary="x",
            fold_key="text:r2",
        )
    timeline.append(
        Direction.OUT, "realtime.input_audio_buffer.append", "{}"
    )  # other direction: no effect
    timeline.append(
        Direction.IN, "realtime.response.audio.delta", "{}", fold_key="audio:r2", size=10
    )
    timeline.append(Direction.IN, "realtime.response.audio.done", "{}")
    timeline.append(
        Direction.IN, "realtime.response.audio.delta", "{}", fold_key="audio:r2", size=10
    )
    groups = [timeline.logical_entry(g) for g in range(timeline.logical_count())]
    assert [g.rows for g in groups] == [
        (0,),
        (1,),
        (2, 3, 4),
        (5,),
        (6,),
        (7, 9, 12),
        (8, 10),
        (11,),
        (13,),
        (14,),
    ]
    assert groups[2].text == "It is sunny"
    assert groups[2].count == 3
    assert groups[5].text == "3 frames, 30 bytes"
    assert groups[6].text == "xx"
    assert sum(g.count for g in groups) == len(timeline)
    assert timeline.group_of(9) == 5


def test_audio_is_spilled_and_exported_exactly(tmp_path: Path) -> None:
    timeline = Timeline(spill_threshold=100)
    payload = "QUJD" * 1000
    raw = '{"type":"realtime.response.audio.delta","data":{"delta":"' + payload + '"}}'
    row = timeline.append(
        Direction.IN, "realtime.response.audio.delta", raw, audio=payload, fold_key="audio:r"
    )
    small = timeline.append(
        Direction.IN, "realtime.response.audio.delta", '{"data":{"delta":"QQ=="}}', audio="QQ=="
    )
    binary = timeline.append(Direction.IN, "binary", b"\x01" * 500, audio=b"\x01" * 500)
    assert timeline.is_spilled(row)
    assert not timeline.is_spilled(small)
    assert timeline.is_spilled(binary)
    assert "4000 chars of audio spilled" in str(timeline[row].raw)
    assert len(timeline[row].raw) < 120
    assert timeline[row].size == len(raw)
    assert timeline.raw_frame(row) == raw
    assert timeline.raw_frame(binary) == b"\x01" * 500
    assert timeline[binary].raw == b""
    assert timeline.stats.spilled_frames == 2

    out = tmp_path / "t.jsonl"
    export_timeline(timeline, out)
    copy = Timeline(spill_threshold=100)
    assert len(open_recording(out, copy).timeline) == 3
    assert list(copy) == list(timeline)
    assert copy.raw_frame(row) == raw
    assert copy.raw_frame(binary) == b"\x01" * 500
    timeline.close()
    copy.close()


def test_spill_limit_drops_payloads_and_export_says_so(tmp_path: Path) -> None:
    timeline = Timeline(spill_threshold=10, spill_limit_bytes=150)
    rows = [
        timeline.append(
            Direction.IN,
            "realtime.response.audio.delta",
            '{"d":"' + "A" * 100 + '"}',
            audio="A" * 100,
        )
        for _ in range(3)
    ]
    assert timeline.dropped() == rows[1:]
    assert timeline.stats.dropped_frames == 2
    assert timeline.stats.dropped_bytes == 2 * 108
    assert "dropped" in str(timeline[rows[1]].raw)
    out = tmp_path / "t.jsonl"
    export_timeline(timeline, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["dropped_frames"] == 2
    assert [line.get("dropped", False) for line in lines[1:]] == [False, True, True]
    copy = Timeline(spill_threshold=10)
    open_recording(out, copy)
    assert list(copy) == list(timeline)
    assert copy.dropped() == rows[1:]
    copy.close()
    timeline.close()


def test_jsonl_round_trip_is_lossless_with_license_redacted(tmp_path: Path) -> None:
    timeline = Timeline()
    fill(timeline)
    leaky = (
        '{"type":"x","data":{"url":"wss://h/p?license='
        + LICENSE
        + '&name=a","key":"'
        + LICENSE
        + '"}}'
    )
    timeline.append(Direction.IN, "x", leaky, summary=f"has {LICENSE}")
    timeline.append(Direction.IN, "binary", b"\x00\xffpcm")
    out = tmp_path / "t.jsonl"
    assert export_timeline(timeline, out, secrets=[LICENSE]) == 9
    text = out.read_text(encoding="utf-8")
    assert LICENSE not in text
    copy = Timeline()
    open_recording(out, copy)
    assert list(copy)[:7] == list(timeline)[:7]
    assert copy[7].raw == '{"type":"x","data":{"url":"wss://h/p?license=***&name=a","key":"***"}}'
    assert copy[8] == timeline[8]
    assert [copy.logical_entry(g).rows for g in range(copy.logical_count())] == [
        timeline.logical_entry(g).rows for g in range(timeline.logical_count())
    ]
    # Exporting the imported copy gives the same file: the format is stable.
    again = tmp_path / "again.jsonl"
    export_timeline(copy, again)
    assert again.read_text(encoding="utf-8") == text
    # New entries continue after the imported sequence numbers.
    copy.append(Direction.LOCAL, "note", "")
    assert copy[9].seq == 10


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"format":"something-else","version":1}\n', "not a NavTalk Desktop timeline"),
        ('{"format":"navtalk-desktop-timeline","version":99}\n', "unsupported version"),
        ("not json\n", "not JSON"),
        ("[1]\n", "not a JSON object"),
        ('{"seq":1}\n', "missing 'raw'"),
        (
            '{"seq":"1","direction":"in","wall_time":1,"mono_time":1,"type":"t","size":1,"raw":""}\n',
            "'seq'",
        ),
        (
            '{"seq":1,"direction":"up","wall_time":1,"mono_time":1,"type":"t","size":1,"raw":""}\n',
            "'up'",
        ),
        (
            '{"seq":1,"direction":"in","wall_time":1,"mono_time":1,"type":"t","size":1,"raw_base64":"%%"}\n',
            "base64",
        ),
    ],
)
def test_import_rejects_bad_files_and_adds_nothing(
    tmp_path: Path, content: str, reason: str
) -> None:
    good = '{"seq":1,"direction":"in","wall_time":1,"mono_time":1,"type":"t","size":1,"raw":"x"}\n'
    path = tmp_path / "bad.jsonl"
    path.write_text(good + content if not content.startswith('{"format"') else content + good)
    timeline = Timeline()
    with pytest.raises(TimelineImportError, match=reason) as info:
        open_recording(path, timeline)
    assert str(path) in str(info.value)
    assert "line" in str(info.value)
    assert len(timeline) == 0


def test_many_entries_stay_compact() -> None:
    timeline = Timeline()
    frame = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"r","content":"w"}}'
    for _ in range(100_000):
        timeline.append(
            Direction.IN,
            "realtime.response.audio_transcript.delta",
            frame,
            summary="w",
            fold_key="text:r",
        )
    assert len(timeline) == 100_000
    assert timeline.logical_count() == 1
    assert len(timeline.logical_entry(0).text) == 100_000
    assert timeline.search(TimelineFilter(text="w", start=99_990)) == list(range(99_990, 100_000))


_raw = st.one_of(st.text(alphabet=st.characters(), max_size=60), st.binary(max_size=60))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Direction)),
            st.text(max_size=20),
            _raw,
            st.text(alphabet=st.characters(), max_size=20),
            st.one_of(st.none(), st.text(max_size=10)),
            st.one_of(st.none(), st.sampled_from(["text:a", "audio:b"])),
        ),
        max_size=15,
    )
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_jsonl_round_trip_property(tmp_path: Path, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    timeline = Timeline(spill_threshold=30)
    for direction, type_, raw, summary, call_id, fold_key in rows:
        audio = raw if fold_key == "audio:b" else None
        timeline.append(
            direction, type_, raw, summary=summary, call_id=call_id, fold_key=fold_key, audio=audio
        )
    out = tmp_path / "p.jsonl"
    export_timeline(timeline, out)
    copy = Timeline(spill_threshold=30)
    open_recording(out, copy)
    assert list(copy) == list(timeline)
    assert [copy.raw_frame(r) for r in range(len(copy))] == [
        timeline.raw_frame(r) for r in range(len(timeline))
    ]
    assert [copy.group_of(r) for r in range(len(copy))] == [
        timeline.group_of(r) for r in range(len(timeline))
    ]
    timeline.close()
    copy.close()


def test_lone_surrogates_and_non_ascii_round_trip(tmp_path: Path) -> None:
    timeline = Timeline()
    timeline.append(Direction.IN, "x", "a\ud800b", summary="\udfff")
    timeline.append(Direction.IN, "y", "中文")
    out = tmp_path / "s.jsonl"
    export_timeline(timeline, out)
    assert "中文" in out.read_text(encoding="utf-8")  # readable where UTF-8 allows
    copy = Timeline()
    open_recording(out, copy)
    assert list(copy) == list(timeline)
