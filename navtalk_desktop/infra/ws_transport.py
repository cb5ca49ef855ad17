"""The :class:`~navtalk_desktop.core.ports.Transport` port over the ``websockets`` library.

``websockets`` does the handshake, TLS, proxies, pings, fragments and the closing
handshake. Incoming messages take a shorter road than its ``recv()``: :class:`_BatchConnection`
collects every complete message of one ``data_received`` in a list that
:meth:`WebSocketTransport.receive_many` hands over whole, so a reader wakes once per network
read instead of once per message (``recv()`` costs an assembler queue, a future and a task
switch per message), and it cuts plain data frames out of the byte stream itself instead of
running websockets' generator-based frame parser on each (see the class).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import CLIENT, OPEN, Event

from navtalk_desktop.core.ports import TransportClosed, TransportError
from navtalk_desktop.core.session.redact import RedactingFilter, mask_url, redact

# Audio and SDP frames are large; the reference's 5 MB frame must pass with room to spare.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# websockets logs the request line (with ?license=…) at DEBUG; its records go through this
# logger, whose filter masks license parameters whatever the handlers are.
# The licenses of every URL opened in this process are redacted too (close reasons may echo them).
_KNOWN_SECRETS: set[str] = set()
_WS_LOGGER = logging.getLogger("navtalk_desktop.infra.websockets")
_WS_LOGGER.addFilter(RedactingFilter(lambda: _KNOWN_SECRETS))
# Flow control: above this many buffered bytes (or messages) not yet taken by the reader,
# reading from the socket pauses until the reader takes them, so a slow consumer does not
# buffer without bound. Large enough that a fast reader never hits it.
DEFAULT_HIGH_WATER_BYTES = 4 * 1024 * 1024
DEFAULT_HIGH_WATER_MESSAGES = 4096
# A message split into more fragments than this closes the connection with 1009
# (what websockets' own assembler does).
MAX_FRAGMENTS = 4096
_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY
_CONT = Opcode.CONT
_PONG = Opcode.PONG
# First header byte of an unfragmented text / binary frame (FIN set, no RSV bits).
_FIN_TEXT = 0x80 | Opcode.TEXT
_FIN_BINARY = 0x80 | Opcode.BINARY
_MAX_HEADER = 14  # 2 + 8 bytes of length + 4 of mask
_HEADERS_END = b"\r\n\r\n"


def _frame_size(buf: bytes, pos: int, end: int) -> int | None:
    """Wire size of the frame starting at ``pos``, or None while its header is incomplete."""
    if end - pos < 2:
        return None
    second = buf[pos + 1]
    length = second & 0x7F
    header = 6 if second & 0x80 else 2  # a mask adds 4 bytes
    if length == 126:
        if end - pos < 4:
            return None
        length = (buf[pos + 2] << 8) | buf[pos + 3]
        header += 2
    elif length == 127:
        if end - pos < 10:
            return None
        length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
        header += 8
    return header + length


class _BatchConnection(ClientConnection):
    """A client connection whose messages are read in batches, bypassing ``recv()``.

    Complete messages (text decoded, fragments reassembled) go into a list as the sans-I/O
    protocol parses them; :meth:`recv_batch` returns the whole list. Pings, pongs, close
    frames and the handshake are handled by ``websockets`` exactly as usual. ``recv()``
    must not be used on this connection.

    Frame splitting: once the handshake succeeded (no extension negotiated), this class
    cuts the byte stream into frames itself. A complete, unmasked, unfragmented text or
    binary frame within the size limit becomes a message right away (websockets' generator
    parser costs ~4 us per frame, most of a fast reader's time); every other frame (ping,
    pong, close, fragments, oversized, anything odd) is handed, whole, to the sans-I/O
    protocol, which therefore always sees whole frames and handles them exactly as usual.
    As soon as the protocol leaves the OPEN state (a close was sent or received, or the
    connection failed), everything left goes to the protocol and splitting stops for good.

    The ``max_queue`` argument of ``connect`` is not used for data; the high-water marks are
    :attr:`high_bytes` and :attr:`high_messages`.
    """

    high_bytes = DEFAULT_HIGH_WATER_BYTES
    high_messages = DEFAULT_HIGH_WATER_MESSAGES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch: list[str | bytes] = []
        self._batch_bytes = 0
        self._fragments: list[Frame] = []
        # Set when a message cannot be delivered (bad UTF-8, too many fragments): the
        # reader fails the connection after taking the messages before it.
        self._receive_failure: tuple[BaseException, CloseCode, str] | None = None
        self._failure_sent = False
        self._batch_waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        # Frame splitting (see the class docstring): None until the handshake is decided.
        self._splitting: bool | None = None
        self._tail = b""  # the start of a frame whose end has not arrived yet
        self._head_probe = b""  # last bytes of the handshake response seen so far
        self._max_size: int | None = None

    def process_event(self, event: Event) -> None:
        """Queue data frames as messages; everything else goes to ``websockets``."""
        if self.response is None:  # the handshake response
            super().process_event(event)
            return
        assert isinstance(event, Frame)
        opcode = event.opcode
        if opcode is _TEXT or opcode is _BINARY or opcode is _CONT:
            if self._receive_failure is not None:
                return  # the connection is failing: nothing after the bad message counts
            if event.fin and not self._fragments and opcode is not _CONT:
                self._queue(event.data, opcode is _TEXT)
                return
            self._fragment(event)
        elif opcode is _PONG:
            self.acknowledge_pings(bytes(event.data))

    def _fragment(self, frame: Frame) -> None:
        fragments = self._fragments
        if len(fragments) >= MAX_FRAGMENTS:
            self._fragments = []
            self._fail_receiving(
                ValueError(f"more than {MAX_FRAGMENTS} fragments"),
                CloseCode.MESSAGE_TOO_BIG,
                "too many fragments",
            )
            return
        fragments.append(frame)
        if frame.fin:
            self._fragments = []
            self._queue(b"".join(f.data for f in fragments), fragments[0].opcode is _TEXT)

    def _queue(self, data: bytes | bytearray | memoryview, text: bool) -> None:
        message: str | bytes
        if text:
            try:
                message = str(data, "utf-8")
            except UnicodeDecodeError as error:
                self._fail_receiving(
                    error, CloseCode.INVALID_DATA, f"{error.reason} at position {error.start}"
                )
                return
        else:
            message = bytes(data)
        self._batch.append(message)
        self._batch_bytes += len(message)

    def _fail_receiving(self, error: BaseException, code: CloseCode, reason: str) -> None:
        self._receive_failure = (error, code, reason)

    def data_received(self, data: bytes) -> None:
        """Parse ``data``; wake the reader once for all the messages it completed."""
        if self._splitting:
            if self.protocol.state is OPEN:
                self._split(data)
            else:
                self._stop_splitting(data)
        elif self._splitting is None:
            self._handshake_data(data)
        else:
            super().data_received(data)
        if self._batch or self._receive_failure is not None:
            self._wake_reader()
            if not self._reading_paused and (
                self._batch_bytes > self.high_bytes or len(self._batch) > self.high_messages
            ):
                self._reading_paused = True
                self.transport.pause_reading()

    def eof_received(self) -> None:
        """Wake the reader: no more data comes."""
        if self._splitting:
            self._stop_splitting(b"")  # a cut-off frame reaches the protocol, which says so
        super().eof_received()
        self._wake_reader()

    # ------------------------------------------------------------------ frame splitting
    def _handshake_data(self, data: bytes) -> None:
        """Feed the protocol up to the end of the handshake response, then start splitting."""
        probe = self._head_probe + data
        end = probe.find(_HEADERS_END)
        if end < 0:
            self._head_probe = probe[-3:]
            super().data_received(data)
            return
        cut = end + len(_HEADERS_END) - len(self._head_probe)
        self._head_probe = b""
        super().data_received(data[:cut])
        protocol = self.protocol
        max_message = getattr(protocol, "max_message_size", -1)
        max_fragment = getattr(protocol, "max_fragment_size", None)
        self._splitting = (
            self.response is not None
            and protocol.state is OPEN
            and protocol.side is CLIENT
            and not protocol.extensions
            and max_message != -1  # a websockets without these attributes: no splitting
            and max_fragment is None
        )
        self._max_size = max_message if self._splitting else None
        rest = data[cut:]
        if rest:
            if self._splitting:
                self._split(rest)
            else:
                super().data_received(rest)

    def _stop_splitting(self, data: bytes) -> None:
        """Give the protocol the unsplit bytes and everything after; it reads on its own."""
        self._splitting = False
        pending = self._tail + data
        self._tail = b""
        if pending:
            super().data_received(pending)

    def _split(self, data: bytes) -> None:
        """Cut ``data`` (after any frame started earlier) into frames."""
        pos = 0
        end = len(data)
        tail = self._tail
        # Complete a frame begun in an earlier read with just the bytes it needs.
        while tail and pos < end:
            size = _frame_size(tail, 0, len(tail))
            want = (size if size is not None else _MAX_HEADER) - len(tail)
            take = min(max(want, 1), end - pos)
            tail += data[pos : pos + take]
            pos += take
            used = self._frames(tail, 0, len(tail))
            tail = tail[used:]
            if not self._splitting:
                self._tail = tail
                self._stop_splitting(data[pos:])
                return
        if tail:
            self._tail = tail
            return
        used = self._frames(data, pos, end)
        if not self._splitting:
            self._tail = b""
            self._stop_splitting(data[used:])
            return
        self._tail = data[used:] if used < end else b""

    def _frames(self, buf: bytes, pos: int, end: int) -> int:
        """Handle the complete frames in ``buf[pos:end]``; return where the rest starts.

        Stops early, with splitting off, when a frame handed to the protocol changed its
        state or a message could not be decoded: the caller gives the rest to the protocol.
        """
        batch = self._batch
        max_size = self._max_size
        view = memoryview(buf)
        added = 0
        while end - pos >= 2:
            first = buf[pos]
            second = buf[pos + 1]
            length = second & 0x7F
            start = pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            stop = start + length
            if (
                first in (_FIN_TEXT, _FIN_BINARY)
                and not second & 0x80
                and not self._fragments
                and (max_size is None or length <= max_size)
            ):
                if stop > end:
                    break
                if first == _FIN_TEXT:
                    try:
                        # Decoded straight from the read buffer: no copy of the bytes first.
                        message: str | bytes = str(view[start:stop], "utf-8")
                    except UnicodeDecodeError as error:
                        self._fail_receiving(
                            error,
                            CloseCode.INVALID_DATA,
                            f"{error.reason} at position {error.start}",
                        )
                        self._splitting = False
                        self._batch_bytes += added
                        return stop
                else:
                    message = buf[start:stop]
                batch.append(message)
                added += length
                pos = stop
                continue
            # Anything else goes to the protocol, whole (it checks the size from the header).
            size = _frame_size(buf, pos, end)
            if size is None or (pos + size > end and (max_size is None or length <= max_size)):
                break
            whole = min(pos + size, end)
            self._batch_bytes += added
            added = 0
            super().data_received(buf[pos:whole])
            pos = whole
            if self.protocol.state is not OPEN or self._receive_failure is not None:
                self._splitting = False
                return pos
        self._batch_bytes += added
        return pos

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake the reader: it takes what is left, then sees the close."""
        super().connection_lost(exc)
        self._wake_reader()

    def _wake_reader(self) -> None:
        waiter = self._batch_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def recv_batch(self) -> list[str | bytes]:
        """Every message received so far (at least one), in order; waits for the first.

        Raises:
            ConnectionClosed: when the connection is closed and every message was taken.
        """
        while not self._batch:
            failure = self._receive_failure
            if failure is not None:
                if not self._failure_sent:
                    # Fail the connection as recv() does (close frame with the code).
                    self._failure_sent = True
                    error, code, reason = failure
                    self.set_connection_exc(error)
                    with contextlib.suppress(ConnectionClosed):
                        async with self.send_context():
                            self.protocol.fail(code, reason)
                break
            if self.connection_lost_waiter.done():
                break
            if self._batch_waiter is not None:
                raise RuntimeError("recv_batch() is already waiting on this connection")
            self._batch_waiter = self.loop.create_future()
            try:
                await self._batch_waiter
            finally:
                self._batch_waiter = None
        if self._batch:
            batch = self._batch
            self._batch = []
            self._batch_bytes = 0
            if self._reading_paused:
                self._reading_paused = False
                self.transport.resume_reading()
            return batch
        # Wait for the protocol state to be CLOSED before reading close_exc (as recv() does).
        await asyncio.shield(self.connection_lost_waiter)
        raise self.close_exc


class WebSocketTransport:
    """One WebSocket connection (text out, text or bytes in).

    Args:
        max_size: largest frame accepted, in bytes; a larger frame closes the connection
            with code 1009 and a message naming the limit.
        open_timeout: seconds for the TCP + TLS + HTTP upgrade handshake when
            :meth:`connect` is given none (a session gives its connect timeout).
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
        self._ws: _BatchConnection | None = None
        self._secrets: list[str] = []
        # Messages taken from the connection but not yet returned by receive().
        self._unread: list[str | bytes] = []
        self._unread_at = 0

    def _clean(self, text: str) -> str:
        return redact(mask_url(text), self._secrets)

    async def connect(self, url: str, *, open_timeout: float | None = None) -> None:
        """Open the socket: TCP, TLS and the HTTP upgrade within ``open_timeout`` seconds.

        Args:
            url: ``ws://`` or ``wss://`` URL (it may hold the license; never shown).
            open_timeout: the session's connect timeout (default: the one given to the
                constructor).

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
        if open_timeout is None:
            open_timeout = self._open_timeout
        try:
            ws = await connect(
                url,
                max_size=self.max_size,
                open_timeout=open_timeout,
                ping_interval=self._ping_interval,
                # Loopback traffic must never go through an HTTP proxy from the environment.
                proxy=None if host in _LOOPBACK_HOSTS else True,
                logger=_WS_LOGGER,
                create_connection=_BatchConnection,
            )
            assert isinstance(ws, _BatchConnection)
            self._ws = ws
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
                f"Opening the connection timed out after {open_timeout:g} s", transient=True
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
        if self._unread_at >= len(self._unread):
            self._unread = await self.receive_many()
            self._unread_at = 0
        frame = self._unread[self._unread_at]
        self._unread_at += 1
        return frame

    async def receive_many(self) -> list[str | bytes]:
        """Wait for at least one frame; return every frame received so far, in order.

        Raises:
            TransportClosed: as :meth:`receive`, once every frame before the close was returned.
        """
        if self._unread_at < len(self._unread):
            frames = self._unread[self._unread_at :]
            self._unread = []
            self._unread_at = 0
            return frames
        ws = self._ws
        if ws is None:
            raise TransportClosed(None, "not connected")
        try:
            return await ws.recv_batch()
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
