"""What responders need from the outside world: HTTP and its host policy, scripts, trust, people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from navtalk_desktop.core.json_value import JsonValue
from navtalk_desktop.core.responders.base import Answer, CallRequest


@dataclass(frozen=True, slots=True)
class HttpReply:
    """An HTTP response (any status)."""

    status: int
    text: str
    content_type: str = ""


class HttpRequestError(Exception):
    """The request got no HTTP response: refused, DNS, timeout, TLS. ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HttpClient(Protocol):
    """Sends one HTTP request (implemented in ``infra.http_client``)."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout_s: float,
        verify_tls: bool = True,
    ) -> HttpReply:
        """Send the request. Raises :class:`HttpRequestError` when no response arrives."""
        ...


class HostPolicy(Protocol):
    """Whether a webhook may contact the host of a URL (``core.toolset_consent``).

    Asked with the rendered URL before any connection (and before any DNS look-up).
    """

    def refusal(self, url: str) -> str | None:
        """None to go ahead; otherwise the reason, naming the host and how to allow it."""
        ...


class ScriptRunError(Exception):
    """A script could not run or failed: not found, raised, crashed, timed out, bad result."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScriptRunner(Protocol):
    """Runs a function from a Python file in another process (``infra.script_runner``)."""

    async def run(
        self,
        path: Path,
        function: str,
        arguments: JsonValue,
        context: Mapping[str, Any],
        timeout_s: float,
    ) -> JsonValue:
        """Call ``function(arguments, context)`` and return its JSON result.

        Raises:
            ScriptRunError: with a message naming the cause (exception text, exit code,
                timeout, non-JSON result).
        """
        ...


class ScriptTrust(Protocol):
    """Whether the person trusted this exact script file (real path and content hash)."""

    def is_trusted(self, path: Path) -> bool:
        """``True`` only when the file's current content at its real path was trusted."""
        ...


class ManualAnswers(Protocol):
    """Where manual steps wait for a person's answer (the dispatcher / call desk)."""

    async def wait_for_answer(self, request: CallRequest) -> Answer:
        """Wait until someone answers this call (cancelled when a deadline passes)."""
        ...
