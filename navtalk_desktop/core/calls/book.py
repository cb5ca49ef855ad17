"""Function calls: one object per ``function_call_arguments.done``, with its whole lifecycle."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CallState(StrEnum):
    """Where a function call is in its lifecycle.

    ``RECEIVED → ANSWERING → ANSWERED | FAILED``; ``EXPIRED`` when the answer deadline passed
    first (an expired call can still be answered, e.g. by a fallback); ``ABANDONED`` when the
    connection dropped before it was answered (the server no longer knows the call).
    """

    RECEIVED = "received"
    ANSWERING = "answering"
    ANSWERED = "answered"
    FAILED = "failed"
    EXPIRED = "expired"
    ABANDONED = "abandoned"

    @property
    def is_final(self) -> bool:
        """Whether the call can no longer be answered."""
        return self in (CallState.ANSWERED, CallState.FAILED, CallState.ABANDONED)

    @property
    def is_open(self) -> bool:
        """Whether the call still waits for an answer."""
        return self in (CallState.RECEIVED, CallState.ANSWERING, CallState.EXPIRED)


@dataclass(frozen=True, slots=True)
class CallStep:
    """One step of a call's history.

    Attributes:
        name: ``received``, ``answering``, ``answered``, ``failed``, ``expired``,
            ``abandoned``, ``sent`` (one per frame) or ``response_started``.
        mono_time: monotonic seconds.
        wall_time: epoch seconds.
        note: detail (responder, frame type, reason).
    """

    name: str
    mono_time: float
    wall_time: float
    note: str = ""


class CallTimeline:
    """What a call's steps and findings say; shared by :class:`FunctionCall` and its snapshot.

    The class using it has ``steps`` (a sequence of :class:`CallStep`), ``warnings`` and
    ``violations``.
    """

    __slots__ = ()
    steps: Sequence[CallStep]
    warnings: Sequence[str]
    violations: Sequence[str]

    def step_time(self, name: str) -> float | None:
        """Monotonic time of the first step called ``name``, or ``None``."""
        for step in self.steps:
            if step.name == name:
                return step.mono_time
        return None

    @property
    def received_at(self) -> float | None:
        """Monotonic time the call arrived."""
        return self.step_time("received")

    @property
    def answer_latency_s(self) -> float | None:
        """Seconds from arrival to the answer being sent (answered or failed)."""
        start = self.step_time("received")
        end = self.step_time("answered")
        if end is None:
            end = self.step_time("failed")
        if start is None or end is None:
            return None
        return end - start

    @property
    def has_problems(self) -> bool:
        """Whether the call has warnings or schema violations."""
        return bool(self.warnings or self.violations)


@dataclass(slots=True, eq=False)
class FunctionCall(CallTimeline):
    """A function call from the model and everything that happened to it.

    Attributes:
        key: unique key in its :class:`CallBook` (the call id, or a generated key when the
            call id is missing or repeated).
        call_id: ``call_id`` as received (``""`` when missing).
        name: resolved function name (``""`` when none could be found).
        arguments: parsed arguments object, or ``None`` when they could not be parsed.
        raw_arguments: arguments exactly as received (a JSON string; objects re-serialised).
        warnings: problems with the event itself (missing call id, unparsable arguments,
            unknown tool, duplicate call id).
        violations: JSON Schema violations of the arguments against the tool's parameters.
        state: current state.
        overdue: the answer deadline passed before an answer was sent.
        steps: timestamped history.
        responder: who answered (``manual``, ``http``, ``fallback``…).
        output: the output string sent.
        is_error: the output reports an error.
        frames_sent: exact frames sent for the answer.
        model_resume_latency_s: seconds from the last answer frame to the next
            ``audio_transcript.delta``/``audio.delta`` from the server.
        response_id: id of the response that made the call, if known.
        connection: 1-based number of the connection the call arrived on.
        timeline_row: timeline row of the ``…arguments.done`` frame.
        duplicate_of: key of the first call received with the same ``call_id`` (the server
            repeated it); such a repeat is flagged and not answered again automatically.
        argument_error: why the arguments cannot be used (e.g. too large); the call is
            answered with this error instead of running responders.
    """

    key: str
    call_id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str
    warnings: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    state: CallState = CallState.RECEIVED
    overdue: bool = False
    steps: list[CallStep] = field(default_factory=list)
    responder: str | None = None
    output: str | None = None
    is_error: bool = False
    frames_sent: list[str] = field(default_factory=list)
    model_resume_latency_s: float | None = None
    response_id: str | None = None
    connection: int = 1
    timeline_row: int | None = None
    duplicate_of: str | None = None
    argument_error: str | None = None

    def add_step(self, name: str, mono_time: float, wall_time: float, note: str = "") -> None:
        """Record a step of the history."""
        self.steps.append(CallStep(name, mono_time, wall_time, note))


class CallBook:
    """Every call of a session (across reconnects), in arrival order, by key and by call id."""

    def __init__(self) -> None:
        self._calls: list[FunctionCall] = []
        self._by_key: dict[str, FunctionCall] = {}
        self._by_call_id: dict[str, list[FunctionCall]] = {}
        self._missing = 0

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[FunctionCall]:
        return iter(list(self._calls))

    def __contains__(self, key: object) -> bool:
        return key in self._by_key or key in self._by_call_id

    def new_key(self, call_id: str) -> str:
        """The key a new call with ``call_id`` gets: the id itself unless missing or taken."""
        if not call_id:
            self._missing += 1
            return f"<no call_id #{self._missing}>"
        if call_id not in self._by_key:
            return call_id
        n = 2
        while f"{call_id}#{n}" in self._by_key:
            n += 1
        return f"{call_id}#{n}"

    def add(self, call: FunctionCall) -> FunctionCall:
        """Store ``call`` under its key (which must be new)."""
        if call.key in self._by_key:
            raise ValueError(f"call key {call.key!r} already exists")
        self._calls.append(call)
        self._by_key[call.key] = call
        if call.call_id:
            self._by_call_id.setdefault(call.call_id, []).append(call)
        return call

    def get(self, key_or_call_id: str) -> FunctionCall | None:
        """The call with this key; or, for a call id used several times, the oldest one still
        open (else the latest)."""
        call = self._by_key.get(key_or_call_id)
        if call is not None and not (
            call.state.is_final and len(self._by_call_id.get(call.call_id, ())) > 1
        ):
            return call
        calls = self._by_call_id.get(key_or_call_id)
        if not calls:
            return call
        for candidate in calls:
            if candidate.state.is_open:
                return candidate
        return calls[-1]

    def by_key(self, key: str) -> FunctionCall | None:
        """The call stored under exactly ``key`` (no call-id fallback)."""
        return self._by_key.get(key)

    def with_call_id(self, call_id: str) -> list[FunctionCall]:
        """Every call received with ``call_id`` (more than one means the server repeated it)."""
        return list(self._by_call_id.get(call_id, ()))

    def open_calls(self) -> list[FunctionCall]:
        """Calls still waiting for an answer."""
        return [c for c in self._calls if c.state.is_open]

    def by_state(self, state: CallState) -> list[FunctionCall]:
        """Calls currently in ``state``."""
        return [c for c in self._calls if c.state is state]

    def clear(self) -> None:
        """Forget every call."""
        self._calls.clear()
        self._by_key.clear()
        self._by_call_id.clear()
        self._missing = 0
