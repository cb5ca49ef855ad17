"""HTTP for webhook responders (aiohttp), with every failure turned into a readable message."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING

from navtalk_desktop.core.responders.ports import HttpReply, HttpRequestError
from navtalk_desktop.core.session.redact import mask_url

# aiohttp costs ~110 ms to import: it is loaded by the first request, not at start-up.
if TYPE_CHECKING:
    import aiohttp

# Webhook answers are spoken by an avatar; anything bigger is a mistake, not an answer.
MAX_RESPONSE_BYTES = 1_000_000


class AiohttpClient:
    """An :class:`~navtalk_desktop.core.responders.ports.HttpClient` over one aiohttp session.

    The session is created on first use, inside the running loop, and closed by
    :meth:`close`.
    """

    def __init__(self, *, user_agent: str = "NavTalk-Desktop") -> None:
        self._session: aiohttp.ClientSession | None = None
        self._user_agent = user_agent

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
        """Send one request and read the response (any status).

        Raises:
            HttpRequestError: timeout, refused connection, DNS failure, TLS problems,
                invalid URL, oversized response — each with its own message.
        """
        import aiohttp  # deferred: see the TYPE_CHECKING import

        session = self._ensure_session()
        shown = mask_url(url)
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                timeout=timeout,
                ssl=verify_tls,  # True = default verification, False = none
                # A redirect would take call data to a host nobody allowed (the host
                # policy checks the URL before the request, not where a reply points).
                allow_redirects=False,
            ) as response:
                raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise HttpRequestError(
                        f"response from {shown} is larger than {MAX_RESPONSE_BYTES} bytes"
                    )
                charset = response.charset or "utf-8"
                try:
                    text = raw.decode(charset, errors="replace")
                except LookupError:
                    text = raw.decode("utf-8", errors="replace")
                return HttpReply(response.status, text, response.content_type or "")
        except TimeoutError:
            raise HttpRequestError(f"no response within {timeout_s:g} s") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise HttpRequestError(
                f"TLS certificate of {exc.host} was rejected: {exc.certificate_error}"
            ) from None
        except aiohttp.ClientSSLError as exc:
            raise HttpRequestError(f"TLS handshake with {shown} failed: {_reason(exc)}") from None
        except aiohttp.ClientConnectorError as exc:
            raise HttpRequestError(
                f"cannot connect to {exc.host}:{exc.port}: {_reason(exc)}"
            ) from None
        except aiohttp.InvalidURL:
            raise HttpRequestError(f"invalid URL {shown!r}") from None
        except aiohttp.ClientResponseError as exc:
            raise HttpRequestError(f"bad HTTP response from {shown}: {exc.message}") from None
        except aiohttp.ClientError as exc:
            raise HttpRequestError(
                f"request to {shown} failed: {type(exc).__name__}: {exc}"
            ) from None
        except ssl.SSLError as exc:
            raise HttpRequestError(f"TLS error with {shown}: {exc.reason or exc}") from None

    def _ensure_session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": self._user_agent})
        return self._session

    async def close(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> AiohttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _reason(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    text = str(getattr(exc, "os_error", None) or inner or exc)
    return text or type(exc).__name__
