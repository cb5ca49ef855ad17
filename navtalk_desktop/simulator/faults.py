"""Fault injection: what can go wrong in a session, and when.

A fault is written ``KIND[@WHEN[:N]][=SECONDS]`` on the command line, in a scenario file
and in the ``fault`` URL query parameter, for example ``gpu_full@connect``,
``insufficient_balance@turn:2``, ``drop@call``, ``session_timeout@after:30``,
``delay_session_updated=2.5`` or ``arguments_as_string``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FaultKind(enum.StrEnum):
    """Every fault the simulator can inject."""

    CONNECTION_LIMIT_EXCEEDED = "connection_limit_exceeded"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    GPU_FULL = "gpu_full"
    BACKEND_ERROR = "backend_error"
    SESSION_TIMEOUT = "session_timeout"
    DROP = "drop"
    MALFORMED_FRAME = "malformed_frame"
    ARGUMENTS_AS_STRING = "arguments_as_string"
    MISSING_FUNCTION_NAME = "missing_function_name"
    DELAY_SESSION_UPDATED = "delay_session_updated"


class FaultTrigger(enum.StrEnum):
    """When a fault fires.

    ``connect`` replaces ``connected.success``; ``ready`` follows ``session.updated``;
    ``turn`` fires as the N-th user turn starts; ``call`` right after the N-th
    ``function_call_arguments.done`` (N = 0: every call, for the argument faults);
    ``after`` N seconds after ``session.updated``.
    """

    CONNECT = "connect"
    READY = "ready"
    TURN = "turn"
    CALL = "call"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class ServiceStop:
    """The event and close frame of a fault that ends the session.

    Attributes:
        event_type: the ``conversation.connected.*`` event sent first.
        message: its top-level human-readable ``message``.
        close_code: WebSocket close code that follows.
        close_reason: close reason (``Insufficient points`` is what clients check).
    """

    event_type: str
    message: str
    close_code: int
    close_reason: str


# Messages follow NavTalk's documented examples; close codes are not documented, so they
# use the nearest standard codes (1008 policy, 1011 internal error, 1013 try again later).
SERVICE_STOPS: dict[FaultKind, ServiceStop] = {
    FaultKind.CONNECTION_LIMIT_EXCEEDED: ServiceStop(
        "conversation.connected.connection_limit_exceeded",
        "Maximum concurrent connections (5) exceeded. Please close other sessions and try again.",
        1008,
        "Maximum concurrent connections exceeded",
    ),
    FaultKind.INSUFFICIENT_BALANCE: ServiceStop(
        "conversation.connected.insufficient_balance",
        "Insufficient balance to continue service",
        1008,
        "Insufficient points",
    ),
    FaultKind.GPU_FULL: ServiceStop(
        "conversation.connected.gpu_full",
        "GPU resources are fully occupied, please try again later",
        1013,
        "GPU full",
    ),
    FaultKind.BACKEND_ERROR: ServiceStop(
        "conversation.connected.backend_error",
        "Backend service error, please try again later",
        1011,
        "Backend error",
    ),
    FaultKind.SESSION_TIMEOUT: ServiceStop(
        "conversation.connected.close",
        "Session timeout",
        1000,
        "Session timeout",
    ),
}

_DEFAULT_TRIGGER: dict[FaultKind, tuple[FaultTrigger, float]] = {
    FaultKind.CONNECTION_LIMIT_EXCEEDED: (FaultTrigger.CONNECT, 0),
    FaultKind.INSUFFICIENT_BALANCE: (FaultTrigger.TURN, 1),
    FaultKind.GPU_FULL: (FaultTrigger.CONNECT, 0),
    FaultKind.BACKEND_ERROR: (FaultTrigger.CONNECT, 0),
    FaultKind.SESSION_TIMEOUT: (FaultTrigger.READY, 0),
    FaultKind.DROP: (FaultTrigger.CALL, 1),
    FaultKind.MALFORMED_FRAME: (FaultTrigger.READY, 0),
    FaultKind.ARGUMENTS_AS_STRING: (FaultTrigger.CALL, 0),
    FaultKind.MISSING_FUNCTION_NAME: (FaultTrigger.CALL, 0),
    FaultKind.DELAY_SESSION_UPDATED: (FaultTrigger.READY, 0),
}

# Faults that change how function calls are written rather than doing something at a moment.
CALL_SHAPE_FAULTS = frozenset({FaultKind.ARGUMENTS_AS_STRING, FaultKind.MISSING_FUNCTION_NAME})


class FaultSpecError(ValueError):
    """A fault specification could not be parsed; the message says why."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault and its trigger.

    Attributes:
        kind: what goes wrong.
        trigger: when it happens.
        at: the ordinal for ``turn``/``call`` (0 = every call), seconds for ``after``.
        seconds: the delay of ``delay_session_updated``.
    """

    kind: FaultKind
    trigger: FaultTrigger
    at: float = 0
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse ``KIND[@WHEN[:N]][=SECONDS]``.

        Raises:
            FaultSpecError: unknown kind or trigger, or a malformed number.
        """
        spec = text.strip()
        seconds = 0.0
        if "=" in spec:
            spec, _, value = spec.partition("=")
            seconds = _number(value, text)
            if seconds < 0:
                raise FaultSpecError(f"fault {text!r}: seconds must not be negative")
        name, _, when = spec.partition("@")
        try:
            kind = FaultKind(name.strip().lower())
        except ValueError:
            known = ", ".join(k.value for k in FaultKind)
            raise FaultSpecError(f"unknown fault {name!r} in {text!r}; known: {known}") from None
        trigger, at = _DEFAULT_TRIGGER[kind]
        if when:
            trigger_name, _, number = when.partition(":")
            try:
                trigger = FaultTrigger(trigger_name.strip().lower())
            except ValueError:
                known = ", ".join(t.value for t in FaultTrigger)
                raise FaultSpecError(
                    f"unknown fault trigger {trigger_name!r} in {text!r}; known: {known}"
                ) from None
            at = _number(number, text) if number else (1 if trigger is FaultTrigger.TURN else 0)
            if trigger is FaultTrigger.CALL and not number and kind not in CALL_SHAPE_FAULTS:
                at = 1
        if kind in CALL_SHAPE_FAULTS and trigger is not FaultTrigger.CALL:
            raise FaultSpecError(f"fault {kind.value} changes function calls: use @call[:N]")
        if kind is FaultKind.DELAY_SESSION_UPDATED and seconds == 0.0:
            seconds = 2.0
        return cls(kind=kind, trigger=trigger, at=at, seconds=seconds)

    def __str__(self) -> str:
        text = f"{self.kind.value}@{self.trigger.value}"
        if self.at:
            text += f":{self.at:g}"
        if self.seconds:
            text += f"={self.seconds:g}"
        return text

    def fires_on(self, trigger: FaultTrigger, ordinal: int) -> bool:
        """Whether this fault fires at ``trigger`` for the ``ordinal``-th turn or call."""
        if self.trigger is not trigger:
            return False
        if trigger in (FaultTrigger.TURN, FaultTrigger.CALL):
            return self.at == 0 or int(self.at) == ordinal
        return True


def _number(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FaultSpecError(f"fault {spec!r}: {text!r} is not a number") from None
