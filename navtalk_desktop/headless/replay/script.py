"""A recording turned into what the replay server does: send frames, wait for the client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.headless.replay.frames import CallOutput, ClientEvent, Registration, classify
from navtalk_desktop.headless.replay.recording import RecordedFrame


@dataclass(frozen=True, slots=True)
class Send:
    """Send a recorded server frame ``delay_s`` after the previous step (at speed 1)."""

    frame: RecordedFrame
    delay_s: float


@dataclass(frozen=True, slots=True)
class Await:
    """Wait until the client does what the recorded client did here.

    Attributes:
        event: what the recorded client sent.
        recorded_at: when it sent it (monotonic seconds of the recording).
    """

    event: ClientEvent
    recorded_at: float


Step = Send | Await


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """A call the recorded server made.

    Attributes:
        call_id: its recorded id.
        name: the function name.
        sent_at: when the server sent ``…arguments.done``.
        arguments: the call's arguments (``{}`` when they were not an object).
    """

    call_id: str
    name: str
    sent_at: float
    arguments: dict[str, Any]


def build_script(frames: list[RecordedFrame]) -> list[Step]:
    """Steps in recorded order.

    Server frames are sent with the recorded gaps; the client frames the recorded server
    reacted to (tool registration, user turns, call outputs) become waits. Other client
    frames (audio, WebRTC answers, ``response.create``) are neither awaited nor timed.
    """
    steps: list[Step] = []
    previous: float | None = None
    registered = False
    for frame in frames:
        if frame.incoming:
            delay = 0.0 if previous is None else max(0.0, frame.time_s - previous)
            steps.append(Send(frame, delay))
            previous = frame.time_s
            continue
        event = classify(frame.raw)
        if event is None:
            continue
        if isinstance(event, Registration):
            if registered:
                continue  # input_config and input_function_call: one registration
            registered = True
        steps.append(Await(event, frame.time_s))
        previous = frame.time_s
    return steps


def recorded_calls(frames: list[RecordedFrame]) -> dict[str, RecordedCall]:
    """Every call of the recording by recorded id (first ``…arguments.done`` wins)."""
    calls: dict[str, RecordedCall] = {}
    for frame in frames:
        if (
            frame.incoming
            and frame.type == "realtime.response.function_call_arguments.done"
            and frame.call_id
            and frame.call_id not in calls
        ):
            name, arguments = _call_fields(frame.raw)
            calls[frame.call_id] = RecordedCall(frame.call_id, name, frame.time_s, arguments)
    return calls


def recorded_outputs(frames: list[RecordedFrame]) -> dict[str, tuple[CallOutput, float]]:
    """What the recorded client answered, by call id, with when it answered."""
    outputs: dict[str, tuple[CallOutput, float]] = {}
    for frame in frames:
        if frame.incoming:
            continue
        event = classify(frame.raw)
        if isinstance(event, CallOutput) and event.call_id not in outputs:
            outputs[event.call_id] = (event, frame.time_s)
    return outputs


def recorded_tools(frames: list[RecordedFrame]) -> tuple[str, ...]:
    """The tool names the recorded client registered (every registration frame, in order)."""
    names: list[str] = []
    for frame in frames:
        if not frame.incoming:
            event = classify(frame.raw)
            if isinstance(event, Registration):
                names += [name for name in event.tools if name not in names]
    return tuple(names)


def _call_fields(raw: str | bytes) -> tuple[str, dict[str, Any]]:
    """Function name and arguments of a ``…arguments.done`` frame (see the protocol notes)."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return "", {}
    data = frame.get("data") if isinstance(frame, dict) else None
    if not isinstance(data, dict):
        return "", {}
    upstream = frame.get("raw_data") if isinstance(frame.get("raw_data"), dict) else {}
    name = data.get("function_name") or data.get("name") or upstream.get("name")
    arguments = data.get("arguments", upstream.get("arguments"))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            arguments = None
    return (
        name if isinstance(name, str) else "",
        arguments if isinstance(arguments, dict) else {},
    )
