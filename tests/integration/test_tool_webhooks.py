"""Webhook responders over real HTTP on 127.0.0.1: success, non-2xx, timeouts, refused, bad TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, WebhookConfig
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.ports import HttpRequestError
from navtalk_desktop.core.tools.consent import HostAllowList
from navtalk_desktop.infra.http_client import AiohttpClient


class Backend:
    """A real aiohttp server recording what it received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path_qs,
                    "headers": dict(request.headers),
                    "body": body,
                }
            )
            if request.path == "/slow":
                await self.release.wait()
            if request.path == "/fail":
                return web.Response(status=500, text="database is locked\n")
            if request.path == "/json":
                return web.json_response({"reply": {"text": "from json"}, "n": 1})
            if request.path == "/redirect":
                raise web.HTTPTemporaryRedirect("/json")
            if request.path == "/empty":
                return web.Response(status=204)
            return web.Response(text=f"echo {request.method} {body}", charset="utf-8")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


async def _serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[-1][1]
    return runner, f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"


@pytest_asyncio.fixture
async def backend() -> AsyncIterator[tuple[Backend, str]]:
    server = Backend()
    runner, url = await _serve(server.app())
    try:
        yield server, url
    finally:
        server.release.set()
        await runner.cleanup()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[AiohttpClient]:
    async with AiohttpClient() as client:
        yield client


async def _call(
    http: AiohttpClient, config: WebhookConfig, arguments: dict[str, Any], **variables: str
) -> Any:
    runner = ChainRunner(ResponderFactory(http=http))
    request = CallRequest(
        "call_abc", "function_call_judge", arguments, json.dumps(arguments), variables
    )
    return await runner.run(ResponderChain(steps=(ResponderStep(config),)), request)


@pytest.mark.asyncio
async def test_seed_pattern_posts_arguments_and_answers_with_the_response_text(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    server, url = backend
    result = await _call(
        http, WebhookConfig(url="{{ vars.base }}/assist"), {"userInput": "Book a table"}, base=url
    )
    assert result.output == 'echo POST {"userInput": "Book a table"}'
    assert result.responder == "webhook"
    (request,) = server.requests
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {"userInput": "Book a table"}


@pytest.mark.asyncio
async def test_templated_method_url_headers_body_and_output_path(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    server, url = backend
    config = WebhookConfig(
        url=url + "/json?city={{ city | urlencode }}",
        method="PUT",
        headers={"X-Call": "{{ call.id }}", "Content-Type": "text/plain"},
        body_template="city={{ city }}",
        output_path="$.reply.text",
    )
    result = await _call(http, config, {"city": "São Paulo"})
    assert result.output == "from json"
    (request,) = server.requests
    assert request["method"] == "PUT"
    assert request["path"] == "/json?city=S%C3%A3o%20Paulo"
    assert request["headers"]["X-Call"] == "call_abc"
    assert request["body"] == "city=São Paulo"


@pytest.mark.asyncio
async def test_get_sends_no_body(backend: tuple[Backend, str], http: AiohttpClient) -> None:
    server, url = backend
    result = await _call(http, WebhookConfig(url=url + "/x", method="GET"), {"a": 1})
    assert result.output == "echo GET "
    assert server.requests[0]["body"] == ""


@pytest.mark.asyncio
async def test_http_500_becomes_an_error_output_like_the_seed(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    _server, url = backend
    result = await _call(http, WebhookConfig(url=url + "/fail?license=sk_navtalk_secret"), {})
    assert result.is_error
    assert result.output == (
        f"Error: webhook POST {url}/fail?license=*** returned HTTP 500: database is locked"
    )


@pytest.mark.asyncio
async def test_missing_output_path_is_explained(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    _server, url = backend
    result = await _call(http, WebhookConfig(url=url + "/json", output_path="$.nothing"), {})
    assert result.output == "Error: the webhook response has nothing at '$.nothing'"
    text = await _call(http, WebhookConfig(url=url + "/plain", output_path="$.x"), {})
    assert text.output.startswith("Error: cannot read '$.x' from the webhook response")


@pytest.mark.asyncio
async def test_timeout_is_an_error_output_not_a_hung_call(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    _server, url = backend
    result = await _call(http, WebhookConfig(url=url + "/slow", timeout_s=0.2), {})
    assert result.output == f"Error: webhook POST {url}/slow failed: no response within 0.2 s"
    assert 0.2 <= result.duration_s < 5


@pytest.mark.asyncio
async def test_refused_connection(http: AiohttpClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await _call(http, WebhookConfig(url=f"http://127.0.0.1:{port}/x"), {})
    assert result.output.startswith(
        f"Error: webhook POST http://127.0.0.1:{port}/x failed: cannot connect to 127.0.0.1:{port}"
    )


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.mark.asyncio
async def test_invalid_tls_certificate_is_rejected_unless_verification_is_off(
    tmp_path: Path, http: AiohttpClient
) -> None:
    runner, url = await _serve(Backend().app(), _self_signed(tmp_path))
    try:
        rejected = await _call(http, WebhookConfig(url=url + "/x"), {"a": 1})
        assert rejected.is_error
        assert rejected.output.startswith(
            f"Error: webhook POST {url}/x failed: TLS certificate of 127.0.0.1 was rejected"
        )
        assert "self-signed certificate" in rejected.output
        accepted = await _call(http, WebhookConfig(url=url + "/x", verify_tls=False), {"a": 1})
        assert accepted.output == 'echo POST {"a": 1}'
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_client_reports_invalid_urls_and_reuses_one_session(http: AiohttpClient) -> None:
    with pytest.raises(HttpRequestError, match=r"^invalid URL .http://\[::1.$"):
        await http.request("GET", "http://[::1", headers={}, body=None, timeout_s=1)
    await http.close()
    await http.close()  # idempotent


@pytest.mark.asyncio
async def test_loopback_hosts_need_no_consent(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    server, url = backend
    port = url.rsplit(":", 1)[1]
    nothing_allowed = HostAllowList()
    runner = ChainRunner(ResponderFactory(http=http, hosts=nothing_allowed))
    request = CallRequest("call_1", "function_call_judge", {"q": 1}, '{"q": 1}', {})
    for base in (url, f"http://localhost:{port}"):
        chain = ResponderChain(steps=(ResponderStep(WebhookConfig(url=f"{base}/hook")),))
        result = await runner.run(chain, request)
        assert not result.is_error, result.output
        assert result.output == 'echo POST {"q": 1}'
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_redirects_are_not_followed(
    backend: tuple[Backend, str], http: AiohttpClient
) -> None:
    server, url = backend
    result = await _call(http, WebhookConfig(url=f"{url}/redirect"), {"secret": "data"})
    assert result.is_error
    assert result.output == (
        f"Error: webhook POST {url}/redirect answered with a redirect (HTTP 307); redirects "
        "are not followed, so call data only goes to allowed hosts: use the final URL"
    )
    assert [r["path"] for r in server.requests] == ["/redirect"]
