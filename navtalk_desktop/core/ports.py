"""Ports: the small protocols core services use to reach the outside world (socket, keychain, clock)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable


class TransportClosed(Exception):  # noqa: N818  (a state, not a programming error)
    """The socket is closed; no more frames will arrive.

    Attributes:
        code: WebSocket close code, or ``None`` when the peer vanished without a close frame.
        reason: close reason sent by the server (``"Insufficient points"``), or an explanation.
    """

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(
            f"connection closed (code {code}): {reason}"
            if reason
            else f"connection closed (code {code})"
        )
        self.code = code
        self.reason = reason


class TransportError(Exception):
    """Opening the socket failed.

    Attributes:
        message: what went wrong, readable by a user; never contains the license.
        transient: ``True`` when retrying later may help (refused, timeout, HTTP 5xx),
            ``False`` when it will not (HTTP 401/403, malformed URL).
        status: HTTP status of a refused handshake, if any.
    """

    def __init__(self, message: str, *, transient: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status


@runtime_checkable
class Transport(Protocol):
    """One WebSocket connection, text frames out, text or binary frames in.

    A transport is used for one connection only; reconnecting asks the factory for a new one.
    """

    async def connect(self, url: str, *, open_timeout: float | None = None) -> None:
        """Open the socket within ``open_timeout`` seconds (``None``: the transport's default).

        Raises :class:`TransportError` (transient when the time ran out).
        """

    async def send(self, text: str) -> None:
        """Send one text frame. Raises :class:`TransportClosed`."""

    async def receive(self) -> str | bytes:
        """Wait for the next frame. Raises :class:`TransportClosed` when the socket is closed."""
        ...

    async def receive_many(self) -> list[str | bytes]:
        """Wait for at least one frame; return every frame that has arrived, in order.

        Reading in batches saves a wake-up per frame at high frame rates. Frames returned by
        :meth:`receive` are not returned again, and the two may be mixed. Raises
        :class:`TransportClosed` once every frame received before the close was returned.
        """
        ...

    async def close(self) -> None:
        """Close the socket (idempotent)."""


TransportFactory = Callable[[], Transport]


class SecretStoreUnavailable(Exception):  # noqa: N818  (reads naturally at the call site)
    """There is no usable keychain; ``message`` tells the user what to install or unlock."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@runtime_checkable
class SecretStore(Protocol):
    """Where licenses live: one secret per key (the profile name). Never a settings file."""

    async def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or ``None``. Raises :class:`SecretStoreUnavailable`."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``. Raises :class:`SecretStoreUnavailable`."""

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error if absent). Raises :class:`SecretStoreUnavailable`."""


@runtime_checkable
class Clock(Protocol):
    """Time source: monotonic seconds for durations, wall-clock epoch seconds for display."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class SystemClock:
    """The real clock (``time.monotonic`` / ``time.time``)."""

    __slots__ = ()

    # The functions themselves rather than methods calling them: the session reads both
    # clocks for every frame, and a Python-level call more costs ~0.1 us each time.
    monotonic = staticmethod(time.monotonic)
    """Seconds on a clock that never goes backwards."""
    wall = staticmethod(time.time)
    """Seconds since the Unix epoch."""
