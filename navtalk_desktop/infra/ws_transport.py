"""The :class:`~navtalk_desktop.core.ports.Transport` port over the ``websockets`` library."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)

from navtalk_desktop.core.ports import TransportClosed, TransportError
from navtalk_desktop.core.redact import RedactingFilter, mask_url, redact

# Audio and SDP frames are large; the reference's 5 MB frame must pass with room to spare.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# websockets logs the request line (with ?license=…) at DEBUG; its records go through this
# logger, whose filter masks license parameters whatever the handlers are.
# The licenses of every URL opened in this process are redacted too (close reasons may echo them).
_KNOWN_SECRETS: set[str] = set()
_WS_LOGGER = logging.getLogger("navtalk_desktop.infra.websockets")
_WS_LOGGER.addFilter(RedactingFilter(lambda: _KNOWN_SECRETS))


class WebSocketTransport:
    """One WebSocket connection (text out, text or bytes in).

    Args:
        max_size: largest frame accepted, in bytes; a larger frame closes the connection
            with code 1009 and a message naming the limit.
        open_timeout: seconds for the TCP + TLS + HTTP upgrade handshake.
        ping_interval: keep-alive ping period (``None`` = no pings; NavTalk clients send none).
    """

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
    ) -> None:
        self.max_size = max_size
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._ws: ClientConnection | None = None
        self._secrets: list[str] = []

    def _clean(self, text: str) -> str:
        return redact(mask_url(text), self._secrets)

    async def connect(self, url: str) -> None:
        """Open the socket.

        Raises:
            TransportError: with a user-readable, license-free message; ``transient`` is
                false for HTTP 4xx answers and malformed URLs.
        """
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            # The URL cannot even be split, so nothing of it is shown (it may hold the license).
            raise TransportError(
                "Not a valid WebSocket URL (it cannot be parsed)", transient=False
            ) from None
        self._secrets = [v for k, v in parse_qsl(parts.query) if k.lower() == "license" and v]
        _KNOWN_SECRETS.update(self._secrets)
        try:
            self._ws = await connect(
                url,
                max_size=self.max_size,
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                # Loopback traffic must never go through an HTTP proxy from the environment.
                proxy=None if host in _LOOPBACK_HOSTS else True,
                logger=_WS_LOGGER,
            )
        except (InvalidURI, ValueError):
            raise TransportError(
                f"Not a valid WebSocket URL: {self._clean(url)}", transient=False
            ) from None
        except InvalidStatus as error:
            status = error.response.status_code
            hint = " (check the license)" if status in (401, 403) else ""
            raise TransportError(
                f"The server refused the WebSocket connection: HTTP {status}{hint}",
                transient=status >= 500 or status in (408, 429),
                status=status,
            ) from None
        except InvalidHandshake as error:
            raise TransportError(
                f"WebSocket handshake failed: {self._clean(str(error))}", transient=True
            ) from None
        except TimeoutError:
            raise TransportError(
                f"Opening the connection timed out after {self._open_timeout:g} s", transient=True
            ) from None
        except OSError as error:
            detail = error.strerror or str(error)
            raise TransportError(
                f"Cannot connect to {host}: {self._clean(detail)}", transient=True
            ) from None
        except WebSocketException as error:
            raise TransportError(
                f"WebSocket error: {self._clean(str(error))}", transient=True
            ) from None

    async def send(self, text: str) -> None:
        """Send one text frame.

        Raises:
            TransportClosed: when the connection is closed.
        """
        ws = self._ws
        if ws is None:
            raise TransportClosed(None, "not connected")
        try:
            await ws.send(text)
        except ConnectionClosed as closed:
            raise self._closed(closed) from None

    async def receive(self) -> str | bytes:
        """Wait for the next frame.

        Raises:
            TransportClosed: when the connection is closed (code and reason of the close frame;
                1009 with the limit when a frame was too large).
        """
        ws = self._ws
        if ws is None:
            raise TransportClosed(None, "not connected")
        try:
            return await ws.recv()
        except ConnectionClosed as closed:
            raise self._closed(closed) from None

    def _closed(self, closed: ConnectionClosed) -> TransportClosed:
        if closed.sent is not None and closed.sent.code == 1009:
            return TransportClosed(
                1009,
                f"a frame larger than the {self.max_size // (1024 * 1024)} MiB limit arrived; "
                "the connection was closed",
            )
        frame = closed.rcvd or closed.sent
        if frame is None:
            return TransportClosed(1006, "connection lost without a close frame")
        return TransportClosed(frame.code, self._clean(frame.reason))

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(WebSocketException, OSError):
                await ws.close()
