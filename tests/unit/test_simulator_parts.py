"""Simulator building blocks: faults, audio and VAD, session log, load frames, roster, CLI options."""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import math
import re
import wave
from collections import Counter
from pathlib import Path

import pytest

from navtalk_desktop.simulator import cli
from navtalk_desktop.simulator.audio import (
    SAMPLE_RATE,
    EnergyVad,
    Speaker,
    VadEventKind,
    chunks_b64,
    duration_ms,
    espeak_path,
    espeak_speech,
    ms_to_bytes,
    resample,
    rms,
    tone_speech,
    wav_to_pcm24k,
)
from navtalk_desktop.simulator.faults import FaultKind, FaultSpec, FaultSpecError, FaultTrigger
from navtalk_desktop.simulator.load import LoadFrames, LoadSpec
from navtalk_desktop.simulator.roster import DEFAULT_ROSTER, ELEVENLABS, find_avatar
from navtalk_desktop.simulator.session import masked_path, parse_tools
from navtalk_desktop.simulator.session_log import SessionLog

# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("text", "kind", "trigger", "at", "seconds"),
    [
        ("gpu_full", FaultKind.GPU_FULL, FaultTrigger.CONNECT, 0, 0.0),
        ("insufficient_balance", FaultKind.INSUFFICIENT_BALANCE, FaultTrigger.TURN, 1, 0.0),
        ("insufficient_balance@turn:3", FaultKind.INSUFFICIENT_BALANCE, FaultTrigger.TURN, 3, 0.0),
        ("drop@call", FaultKind.DROP, FaultTrigger.CALL, 1, 0.0),
        ("session_timeout@after:2.5", FaultKind.SESSION_TIMEOUT, FaultTrigger.AFTER, 2.5, 0.0),
        ("arguments_as_string", FaultKind.ARGUMENTS_AS_STRING, FaultTrigger.CALL, 0, 0.0),
        (
            "missing_function_name@call:2",
            FaultKind.MISSING_FUNCTION_NAME,
            FaultTrigger.CALL,
            2,
            0.0,
        ),
        ("delay_session_updated", FaultKind.DELAY_SESSION_UPDATED, FaultTrigger.READY, 0, 2.0),
        ("DELAY_SESSION_UPDATED=0.5", FaultKind.DELAY_SESSION_UPDATED, FaultTrigger.READY, 0, 0.5),
    ],
)
def test_fault_specs_parse(
    text: str, kind: FaultKind, trigger: FaultTrigger, at: float, seconds: float
) -> None:
    spec = FaultSpec.parse(text)
    assert (spec.kind, spec.trigger, spec.at, spec.seconds) == (kind, trigger, at, seconds)
    assert FaultSpec.parse(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("meteor", "unknown fault 'meteor'"),
        ("drop@soon", "unknown fault trigger 'soon'"),
        ("drop@turn:x", "'x' is not a number"),
        ("arguments_as_string@ready", "use @call[:N]"),
        ("delay_session_updated=-1", "must not be negative"),
    ],
)
def test_bad_fault_specs_explain_themselves(text: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FaultSpec.parse(text)


def test_fault_ordinals() -> None:
    every = FaultSpec.parse("arguments_as_string")
    second = FaultSpec.parse("drop@call:2")
    assert every.fires_on(FaultTrigger.CALL, 1)
    assert every.fires_on(FaultTrigger.CALL, 7)
    assert not second.fires_on(FaultTrigger.CALL, 1)
    assert second.fires_on(FaultTrigger.CALL, 2)
    assert not second.fires_on(FaultTrigger.TURN, 2)


# ---------------------------------------------------------------- audio


def test_tone_speech_length_follows_the_words() -> None:
    short, long = (
        tone_speech("Hi."),
        tone_speech("Here is what I found: sunny and warm in Beijing."),
    )
    assert 0 < duration_ms(short) < duration_ms(long)
    words = 9
    assert 150 * words <= duration_ms(long) <= 1000 * words
    assert rms(long) > 1000
    assert len(long) % 2 == 0


def test_chunks_are_100_ms_6400_base64_chars() -> None:
    chunks = chunks_b64(tone_speech("one two three four five"), 100)
    assert all(len(chunk) == 6400 for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) <= 6400


def test_vad_detects_one_utterance_with_prefix() -> None:
    vad = EnergyVad(threshold=500, prefix_ms=300, silence_ms=500, min_speech_ms=60)
    silence_before = bytes(ms_to_bytes(1000))
    speech = tone_speech("what is the weather like today")
    silence_after = bytes(ms_to_bytes(700))
    events = []
    stream = silence_before + speech + silence_after
    for offset in range(0, len(stream), 3072):  # 64 ms slices, like the browser demos
        events += vad.feed(stream[offset : offset + 3072])
    assert [e.kind for e in events] == [VadEventKind.STARTED, VadEventKind.STOPPED]
    assert 650 <= events[0].audio_ms <= 700  # 1000 ms of silence minus the 300 ms prefix
    assert events[1].audio_ms <= 1000 + duration_ms(speech)
    assert not vad.in_speech


def test_vad_ignores_silence_and_clicks() -> None:
    vad = EnergyVad(threshold=500, prefix_ms=300, silence_ms=500, min_speech_ms=60)
    click = tone_speech("a")[: ms_to_bytes(20)]
    assert vad.feed(bytes(ms_to_bytes(2000)) + click + bytes(ms_to_bytes(600))) == []


def _wav(samples: list[int], rate: int, *, streamed: bool) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    data = bytearray(buffer.getvalue())
    if streamed:  # espeak-ng writing to a pipe leaves placeholder sizes
        data[4:8] = (0xFFFFFFFF).to_bytes(4, "little")
        data[40:44] = (0xFFFFFFFF).to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize("streamed", [False, True])
def test_wav_from_espeak_is_resampled_to_24k(streamed: bool) -> None:
    tone = [int(8000 * math.sin(2 * math.pi * 200 * n / 22050)) for n in range(22050)]
    pcm = wav_to_pcm24k(_wav(tone, 22050, streamed=streamed))
    assert len(pcm) // 2 == SAMPLE_RATE  # one second stays one second
    assert abs(rms(pcm) - rms(b"".join(s.to_bytes(2, "little", signed=True) for s in tone))) < 100


def test_resample_identity_and_bad_wav() -> None:
    pcm = tone_speech("hello")
    assert resample(pcm, SAMPLE_RATE, SAMPLE_RATE) == pcm
    with pytest.raises(ValueError, match="not a WAV"):
        wav_to_pcm24k(b"OggS....")


@pytest.mark.skipif(espeak_path() is None, reason="espeak-ng is not installed")
def test_espeak_speaker_produces_24k_speech() -> None:
    speaker = Speaker("espeak")
    assert speaker.engine == "espeak-ng"
    pcm = asyncio.run(speaker.speak("Here is what I found"))
    assert 500 <= duration_ms(pcm) <= 5000
    assert rms(pcm) > 300


@pytest.mark.parametrize(
    ("executable", "message"),
    [("/bin/false", "espeak-ng failed (1)"), ("/nonexistent/espeak-ng", "could not start")],
)
def test_broken_espeak_falls_back_to_the_tone(
    executable: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(message)):
        asyncio.run(espeak_speech("hello", executable=executable))
    speaker = Speaker("espeak", executable=executable)
    assert asyncio.run(speaker.speak("hello there")) == tone_speech("hello there")
    assert "falling back to a voiced tone" in caplog.text


def test_tone_speaker_when_asked() -> None:
    speaker = Speaker("tone")
    assert speaker.engine == "tone"
    assert asyncio.run(speaker.speak("hello there")) == tone_speech("hello there")


# ---------------------------------------------------------------- session log


def test_session_log_elides_audio_and_writes_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "log.jsonl"
    session_log = SessionLog(path, capacity=3)
    seen = []
    session_log.add_listener(seen.append)
    audio = {"type": "realtime.response.audio.delta", "data": {"delta": "A" * 6400}}
    session_log.record("s1", "out", audio["type"], audio)
    session_log.record("s1", "in", "response.create", {"type": "response.create"})
    session_log.note("s2", "ignored", why="test")
    session_log.record("s2", "in", "<invalid json>", "{oops")
    session_log.close()
    assert audio["data"]["delta"] == "A" * 6400  # the caller's frame is untouched
    assert len(session_log.entries) == 3  # capacity
    assert [e.type for e in session_log.for_session("s2")] == ["ignored", "<invalid json>"]
    assert len(seen) == 4
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    assert lines[0]["frame"]["data"]["delta"] == "<6400 base64 chars>"
    assert lines[2] == {**lines[2], "session": "s2", "direction": "note", "frame": {"why": "test"}}


def test_session_log_keeps_audio_when_asked() -> None:
    session_log = SessionLog(keep_audio=True)
    frame = {"type": "input_audio_buffer.append", "audio": "B" * 100}
    session_log.record("s", "in", frame["type"], frame)
    assert session_log.entries[0].frame["audio"] == "B" * 100


def test_unwritable_log_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    session_log = SessionLog(blocker / "log.jsonl")
    session_log.note("s", "hello")
    assert session_log.path is None
    assert session_log.entries[0].type == "hello"


# ---------------------------------------------------------------- load frames


def test_load_frames_mix() -> None:
    frames = LoadFrames(call_every=100, seed=1)
    decoded = [json.loads(text) for text in itertools.islice(frames, 1000)]
    counts = Counter(frame["type"] for frame in decoded)
    assert counts["realtime.response.audio.delta"] >= 500
    assert counts["realtime.response.audio_transcript.delta"] >= 200
    assert counts["realtime.response.function_call_arguments.done"] == 9
    assert frames.sent == 1000
    done = [f for f in decoded if f["type"] == "realtime.response.audio_transcript.done"]
    assert done
    assert all(f["data"]["content"] for f in done)


@pytest.mark.parametrize(("text", "rate"), [("max", None), ("2000", 2000.0), (" 12.5 ", 12.5)])
def test_load_spec_parse(text: str, rate: float | None) -> None:
    assert LoadSpec.parse(text).rate == rate


@pytest.mark.parametrize("text", ["0", "-5", "fast", ""])
def test_load_spec_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="load"):
        LoadSpec.parse(text)


# ---------------------------------------------------------------- roster, tools, masking


def test_roster_has_both_providers_and_resolves_duplicates() -> None:
    assert {a.provider for a in DEFAULT_ROSTER} == {"OpenAIRealtime", ELEVENLABS}
    lily = find_avatar(DEFAULT_ROSTER, avatar_id=None, name="navtalk.Lily")
    assert lily is not None
    assert lily.duplicates == 2
    assert lily.avatar.updated_at == max(
        a.updated_at for a in DEFAULT_ROSTER if a.name == "navtalk.Lily"
    )
    emily = next(a for a in DEFAULT_ROSTER if a.name == "navtalk.Emily")
    assert find_avatar(DEFAULT_ROSTER, avatar_id=emily.id, name="navtalk.Lily") is not None
    assert find_avatar(DEFAULT_ROSTER, avatar_id="0" * 32, name="navtalk.Emily") is None


def test_parse_tools_accepts_flat_and_nested_shapes() -> None:
    tools, problems = parse_tools(
        [
            {"type": "function", "name": "a", "parameters": {"type": "object"}},
            {"type": "function", "function": {"name": "b", "description": "B"}},
            {"type": "function"},
            "nonsense",
        ]
    )
    assert [t.name for t in tools] == ["a", "b"]
    assert tools[1].description == "B"
    assert problems == ["tools[2] has no name", "tools[3] has no name"]
    assert parse_tools({"not": "a list"})[1] == ["tools must be a list, not dict"]


def test_masked_path_hides_the_license() -> None:
    path = "/wss/v2/realtime-chat?license=sk_navtalk_secret&name=navtalk.Emily&fault=drop%40call"
    masked = masked_path(path)
    assert "sk_navtalk_secret" not in masked
    assert masked.startswith("/wss/v2/realtime-chat?license=***&name=navtalk.Emily")


# ---------------------------------------------------------------- command-line options


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser)
    return parser.parse_args(argv)


def test_cli_options_build_the_config(tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text('{"greeting": "Hi!", "faults": ["gpu_full"]}', encoding="utf-8")
    args = _args(
        "--fast", "--license", "sk_a", "--license", "sk_b", "--fault", "drop@call:2",
        "--arguments-as-string", "--load", "500", "--load-frames", "10", "--scenario", str(scenario),
        "--log", str(tmp_path / "log.jsonl"), "--max-connections", "2",
    )  # fmt: skip
    config = cli.build_config(args)
    assert config.licenses == frozenset({"sk_a", "sk_b"})
    assert [str(f) for f in config.faults] == ["drop@call:2", "gpu_full@connect"]
    assert config.arguments_as_string
    assert config.load == LoadSpec(rate=500.0, frames=10)
    assert config.scenario.greeting == "Hi!"
    assert config.max_connections_per_license == 2
    assert config.timings.response_latency == 0.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fault", "meteor"], "unknown fault"),
        (["--load", "lots"], "load must be"),
        (["--port", "70000"], "port must be 0-65535"),
    ],
)
def test_cli_rejects_bad_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        _args(*argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err
