"""A readable Markdown transcript of a timeline: user and avatar turns plus every function call.

Built from the frames themselves (not from live session objects), so an opened session
file exports exactly like a live one. Qt-free on purpose: it runs in the app's executor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from navtalk_desktop.core.session.protocol import (
    CallArgumentsDone,
    ConnectionEvent,
    ErrorEvent,
    TranscriptFrame,
    parse_frame,
)
from navtalk_desktop.core.session.redact import redact
from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineEntry


def _time(entry: TimelineEntry) -> str:
    return datetime.fromtimestamp(entry.wall_time).strftime("%H:%M:%S")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines() or [""])


def _code(value: str) -> str:
    try:
        pretty = json.dumps(json.loads(value), indent=2, ensure_ascii=False)
        lang = "json"
    except ValueError:
        pretty, lang = value, ""
    fence = "```"
    while fence in pretty:
        fence += "`"
    return f"{fence}{lang}\n{pretty}\n{fence}"


def _outgoing(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _typed_text(frame: dict[str, Any]) -> str | None:
    item = frame.get("item")
    if frame.get("type") != "conversation.item.create" or not isinstance(item, dict):
        return None
    if item.get("type") != "message" or item.get("role") != "user":
        return None
    parts = item.get("content") or []
    texts = [
        p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "input_text"
    ]
    return "\n".join(t for t in texts if t) or None


def _function_output(frame: dict[str, Any]) -> tuple[str, str] | None:
    kind = frame.get("type")
    if kind == "realtime.function_call_output":
        data = frame.get("data") or {}
        if isinstance(data, dict):
            return str(data.get("call_id", "")), str(data.get("output", ""))
    item = frame.get("item")
    if (
        kind == "conversation.item.create"
        and isinstance(item, dict)
        and item.get("type") == "function_call_output"
    ):
        return str(item.get("call_id", "")), str(item.get("output", ""))
    return None


def transcript_lines(entries: Iterable[TimelineEntry]) -> list[str]:
    """Markdown lines for the conversation and calls found in ``entries``."""
    lines: list[str] = []
    typed_seen: set[str] = set()
    for entry in entries:
        raw = entry.raw
        if isinstance(raw, bytes):
            continue
        if entry.direction is Direction.IN:
            event = parse_frame(raw)
            if isinstance(event, TranscriptFrame) and (event.final or event.role == "user"):
                who = "User (voice)" if event.role == "user" else "Avatar"
                lines += [f"**{who}** · {_time(entry)}", "", _quote(event.text), ""]
            elif isinstance(event, CallArgumentsDone):
                name = event.name or "(unknown function)"
                lines += [
                    f"#### 📞 Function call `{name}` · {_time(entry)}",
                    "",
                    f"- call id: `{event.call_id or '(missing)'}`",
                ]
                lines += [f"- warning: {w}" for w in event.warnings]
                lines += ["", "Arguments:", "", _code(event.raw_arguments or "{}"), ""]
            elif isinstance(event, ConnectionEvent):
                lines += [f"*{_time(entry)} — connection {event.summary()}*", ""]
            elif isinstance(event, ErrorEvent):
                lines += [f"*{_time(entry)} — server error: {event.summary()}*", ""]
        elif entry.direction is Direction.OUT:
            frame = _outgoing(raw)
            if frame is None:
                continue
            typed = _typed_text(frame)
            if typed is not None:
                # History replayed after a reconnect repeats earlier turns: show each once.
                key = f"{entry.seq}:{typed}"
                if key not in typed_seen:
                    typed_seen.add(key)
                    lines += [f"**User (typed)** · {_time(entry)}", "", _quote(typed), ""]
                continue
            result = _function_output(frame)
            if result is not None:
                call_id, output = result
                lines += [f"Result for `{call_id}` · {_time(entry)}:", "", _code(output), ""]
    return lines


def timeline_markdown(
    timeline: Timeline,
    *,
    title: str = "NavTalk session",
    secrets: Iterable[str | None] = (),
    stop: int | None = None,
) -> str:
    """The whole transcript as Markdown, with licenses redacted.

    Args:
        timeline: the frames.
        title: heading of the document.
        secrets: licenses to redact (URL license parameters and ``sk_navtalk_…`` keys always are).
        stop: only rows before this one (a snapshot taken on the loop thread).
    """
    count = len(timeline) if stop is None else min(stop, len(timeline))
    entries = [timeline[row] for row in range(count)]
    started = (
        datetime.fromtimestamp(entries[0].wall_time).strftime("%Y-%m-%d %H:%M:%S")
        if entries
        else "—"
    )
    header = [f"# {title}", "", f"Started {started} · {count} frames", ""]
    body = transcript_lines(entries) or ["*(no conversation in this session)*", ""]
    known = [s for s in secrets if s]
    return redact("\n".join(header + body), known)
