"""When to reconnect after a connection ends, and how long to wait (exponential backoff + jitter)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Auto-reconnect settings of a profile.

    Attributes:
        enabled: reconnect automatically after a transient failure.
        initial_delay_s: wait before the first attempt.
        max_delay_s: cap of the exponential growth.
        multiplier: growth factor per attempt.
        jitter: fraction of the delay randomised (0.2 = ±20 %), so many clients do not
            reconnect in lockstep.
        max_attempts: give up after this many failed attempts in a row (0 = never give up).
    """

    enabled: bool = True
    initial_delay_s: float = 1.0
    max_delay_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.2
    max_attempts: int = 8

    def __post_init__(self) -> None:
        problems = []
        if self.initial_delay_s < 0:
            problems.append("initial_delay_s must be >= 0")
        if self.max_delay_s < self.initial_delay_s:
            problems.append("max_delay_s must be >= initial_delay_s")
        if self.multiplier < 1:
            problems.append("multiplier must be >= 1")
        if not 0 <= self.jitter <= 1:
            problems.append("jitter must be between 0 and 1")
        if self.max_attempts < 0:
            problems.append("max_attempts must be >= 0")
        if problems:
            raise ValueError("invalid reconnect policy: " + "; ".join(problems))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before reconnect attempt ``attempt`` (1-based).

        Args:
            attempt: 1 for the first retry after a drop.
            rng: random source for the jitter (tests pass a seeded one).

        Returns:
            ``min(cap, initial * multiplier**(attempt-1))`` with ±``jitter`` applied, never above
            the cap and never negative.
        """
        base = min(self.max_delay_s, self.initial_delay_s * self.multiplier ** max(0, attempt - 1))
        spread = base * self.jitter
        value = base + (rng or random).uniform(-spread, spread)
        return max(0.0, min(self.max_delay_s, value))

    def allows(self, attempt: int) -> bool:
        """Whether attempt number ``attempt`` (1-based) may be made."""
        return self.enabled and (self.max_attempts == 0 or attempt <= self.max_attempts)


class EndKind(StrEnum):
    """Why a connection ended, which decides whether to reconnect."""

    TRANSIENT = "transient"
    """Network drop, server restart, capacity: reconnecting may help."""
    FATAL = "fatal"
    """Invalid license, no credit, concurrency limit: reconnecting cannot help."""
    CLOSED = "closed"
    """A deliberate end (by us or the server): nothing to fix, nothing to retry."""


# conversation.connected.* events that end the session. gpu_full/backend_error are capacity
# problems the reference says to "retry later"; the others need the user to act.
SERVER_EVENT_ENDS: dict[str, EndKind] = {
    "conversation.connected.fail": EndKind.FATAL,
    "conversation.connected.insufficient_balance": EndKind.FATAL,
    "conversation.connected.connection_limit_exceeded": EndKind.FATAL,
    "conversation.connected.gpu_full": EndKind.TRANSIENT,
    "conversation.connected.backend_error": EndKind.TRANSIENT,
    "conversation.connected.close": EndKind.CLOSED,
    # v1 names and undocumented names from client constant tables.
    "realtime.session.gpu_full": EndKind.TRANSIENT,
    "realtime.session.insufficient_balance": EndKind.FATAL,
    "session.gpu_full": EndKind.TRANSIENT,
    "session.insufficient_balance": EndKind.FATAL,
    "session.backend.error": EndKind.TRANSIENT,
}

INSUFFICIENT_POINTS = "Insufficient points"


def classify_fail_message(message: str) -> EndKind:
    """``conversation.connected.fail`` covers both "Invalid license key" and "Connection timeout"."""
    lowered = message.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return EndKind.TRANSIENT
    return EndKind.FATAL


def classify_close(code: int | None, reason: str) -> EndKind:
    """Classify a socket close that was not announced by a ``conversation.connected.*`` event.

    Args:
        code: WebSocket close code (``None`` or 1006 when the connection just vanished).
        reason: close reason string.

    Returns:
        ``FATAL`` for "Insufficient points" and policy violations (1008, typically a refused
        license), ``CLOSED`` for a normal close (1000), ``TRANSIENT`` otherwise.
    """
    if INSUFFICIENT_POINTS.lower() in reason.lower():
        return EndKind.FATAL
    if code == 1008:
        return EndKind.FATAL
    if code == 1000:
        return EndKind.CLOSED
    return EndKind.TRANSIENT
