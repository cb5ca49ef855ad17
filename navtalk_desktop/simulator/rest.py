"""The avatar REST endpoints official clients call before opening the socket, with CORS.

Served from the WebSocket port through websockets' ``process_request`` hook:

* ``GET /api/open/v1/avatar/detail?license=…&avatarId=…``
* ``GET /api/open/v1/avatar/getByName?license=…&name=…``
* ``GET /static/avatars/<id>.svg`` (the ``thumbnailUrl``)
* ``OPTIONS`` on any of them: the browser's CORS preflight.
* ``GET /client``: a plain web client that follows the protocol like NavTalk's web SDK and
  shows the avatar's WebRTC video and voice (``?license=…&name=…``).

The license may also come in a ``license`` request header, as the REST docs allow.
"""

from __future__ import annotations

import email.utils
import functools
import http
import json
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.roster import find_avatar, thumbnail_svg

WS_PATH = "/wss/v2/realtime-chat"
REST_PREFIX = "/api/open/v1"
STATIC_PREFIX = "/static/avatars/"
CLIENT_PATH = "/client"
_ALLOWED_HEADERS = "license, content-type, authorization"


def handle_http(request: Request, config: SimulatorConfig, base_url: str) -> Response | None:
    """Answer a plain HTTP request, or return ``None`` to go on with the WebSocket handshake.

    Args:
        request: the parsed request (any method; websockets only enforces GET after this).
        config: licenses and roster.
        base_url: ``http://host:port`` as the client addressed us, for ``thumbnailUrl``.
    """
    path = urlsplit(request.path).path
    if path == WS_PATH and request.method == "GET":
        return None  # the handshake, or websockets' own 426 for a GET without Upgrade
    if request.method == "OPTIONS":
        return _response(request, http.HTTPStatus.NO_CONTENT, b"", None)
    if request.method not in ("GET", "HEAD"):
        return _json(request, http.HTTPStatus.METHOD_NOT_ALLOWED, 405, "Method not allowed")
    if path in (CLIENT_PATH, CLIENT_PATH + "/"):
        return _response(request, http.HTTPStatus.OK, client_page(), "text/html; charset=utf-8")
    if path.startswith(STATIC_PREFIX):
        avatar_id = path[len(STATIC_PREFIX) :].removesuffix(".svg")
        match = find_avatar(config.roster, avatar_id=avatar_id, name=None)
        if match is None:
            return _json(request, http.HTTPStatus.NOT_FOUND, 404, "Avatar not found")
        body = thumbnail_svg(match.avatar).encode()
        return _response(request, http.HTTPStatus.OK, body, "image/svg+xml")
    if path in (f"{REST_PREFIX}/avatar/detail", f"{REST_PREFIX}/avatar/getByName"):
        return _avatar(request, config, base_url, by_name=path.endswith("getByName"))
    return _json(request, http.HTTPStatus.NOT_FOUND, 404, f"No such endpoint: {path}")


@functools.cache
def client_page() -> bytes:
    """The web client page (package data ``resources/simulator/client.html``)."""
    page = resources.files("navtalk_desktop").joinpath("resources", "simulator", "client.html")
    return page.read_bytes()


def _avatar(request: Request, config: SimulatorConfig, base_url: str, *, by_name: bool) -> Response:
    query = parse_qs(urlsplit(request.path).query)
    license_key = (query.get("license") or [""])[0] or request.headers.get("license")
    if not config.accepts_license(license_key):
        return _json(request, http.HTTPStatus.UNAUTHORIZED, 401, "Invalid license key")
    key = "name" if by_name else "avatarId"
    value = (query.get(key) or [""])[0]
    if not value:
        return _json(request, http.HTTPStatus.BAD_REQUEST, 400, f"Missing parameter: {key}")
    match = find_avatar(
        config.roster, avatar_id=None if by_name else value, name=value if by_name else None
    )
    if match is None:
        return _json(request, http.HTTPStatus.NOT_FOUND, 404, "Avatar not found")
    return _json(request, http.HTTPStatus.OK, 200, "SUCCESS", match.avatar.detail(base_url))


def _json(
    request: Request, status: http.HTTPStatus, code: int, message: str, data: Any = None
) -> Response:
    body = json.dumps({"code": code, "message": message, "data": data}).encode()
    return _response(request, status, body, "application/json; charset=utf-8")


def _response(
    request: Request, status: http.HTTPStatus, body: bytes, content_type: str | None
) -> Response:
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            # websockets answers one HTTP request per connection.
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "GET, OPTIONS"),
            (
                "Access-Control-Allow-Headers",
                request.headers.get("Access-Control-Request-Headers") or _ALLOWED_HEADERS,
            ),
            ("Access-Control-Max-Age", "600"),
            ("Cache-Control", "no-store"),
        ]
    )
    if content_type is not None:
        headers["Content-Type"] = content_type
    # Chrome's Private Network Access preflight: a public page fetching from 127.0.0.1.
    if request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    if request.method == "HEAD":
        body = b""
    return Response(status.value, status.phrase, headers, body)
