"""A call as the timeline shows it: for "Save as test" on a timeline row and "show source".

A timeline opened from a session file has no live call objects, only frames; the call
(its name, arguments and the answer the client sent) is read back from them here so the
same Save-as-test form serves live calls and recorded ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.core.regression.suite import TestSource
from navtalk_desktop.core.session.protocol import CALL_ARGS_DONE
from navtalk_desktop.core.timeline.timeline import Direction, Timeline

# What the app sends as an error output (the responders' and the desk's convention).
ERROR_PREFIX = "Error:"


def call_row(timeline: Timeline, call_id: str, time: str | None = None) -> int | None:
    """The row of ``call_id``'s ``…arguments.done`` frame (the one nearest ``time`` if several)."""
    rows = [
        row
        for row, entry in enumerate(timeline)
        if entry.call_id == call_id and entry.type == CALL_ARGS_DONE
    ]
    if not rows:
        return None
    wanted = _epoch(time)
    if wanted is None:
        return rows[0]
    return min(rows, key=lambda row: abs(timeline[row].wall_time - wanted))


def call_from_timeline(timeline: Timeline, call_id: str) -> FunctionCall | None:
    """The call ``call_id`` as its frames show it (``output`` is ``None`` when unanswered)."""
    row = call_row(timeline, call_id)
    if row is None:
        return None
    name, arguments, raw_arguments = _call_fields(timeline.raw_frame(row))
    output: str | None = None
    for later in range(row + 1, len(timeline)):
        entry = timeline[later]
        if entry.direction is Direction.OUT and entry.call_id == call_id:
            output = _output(timeline.raw_frame(later))
            if output is not None:
                break
    return FunctionCall(
        key=call_id,
        call_id=call_id,
        name=name,
        arguments=arguments,
        raw_arguments=raw_arguments,
        output=output,
        is_error=output is not None and output.startswith(ERROR_PREFIX),
        timeline_row=row,
    )


def source_of(
    call: CallView,
    timeline: Timeline,
    session_id: str | None = None,
    recording: str | None = None,
) -> TestSource | None:
    """Where a test saved from ``call`` comes from (``None`` for a call without an id)."""
    if not call.call_id:
        return None
    time = None
    row = call.timeline_row
    if row is not None and 0 <= row < len(timeline) and timeline[row].call_id == call.call_id:
        moment = datetime.fromtimestamp(timeline[row].wall_time, UTC)
        time = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return TestSource(call.call_id, session_id=session_id, recording=recording, time=time)


def _epoch(time: str | None) -> float | None:
    if time is None:
        return None
    try:
        return datetime.fromisoformat(time).timestamp()
    except ValueError:
        return None


def _call_fields(raw: str | bytes) -> tuple[str, dict[str, Any] | None, str]:
    """Name, parsed arguments and arguments text of a ``…arguments.done`` frame."""
    frame = _object(raw)
    data = _as_object(frame.get("data"))
    upstream = _as_object(frame.get("raw_data"))
    name = data.get("function_name") or data.get("name") or upstream.get("name") or ""
    arguments = data.get("arguments", upstream.get("arguments"))
    raw_arguments = arguments if isinstance(arguments, str) else json.dumps(arguments)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            arguments = None
    return str(name), arguments if isinstance(arguments, dict) else None, raw_arguments


def _output(raw: str | bytes) -> str | None:
    """The output of a sent answer frame (either result style), else ``None``."""
    frame = _object(raw)
    item = frame.get("item")
    if isinstance(item, dict) and item.get("type") == "function_call_output":
        output = item.get("output")
        return output if isinstance(output, str) else None
    data = frame.get("data")
    if frame.get("type") == "realtime.function_call_output" and isinstance(data, dict):
        output = data.get("output")
        return output if isinstance(output, str) else None
    return None


def _object(raw: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return _as_object(value)


def _as_object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
