"""The avatar REST endpoints, fetched the way a browser SDK does (CORS included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
import pytest_asyncio

from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from navtalk_desktop.simulator.roster import ELEVENLABS, OPENAI_REALTIME

ORIGIN = "http://localhost:5173"  # a Vite dev server, where the official web demos run
LICENSE = "sk_navtalk_RestTestLicense"


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    config = replace(SimulatorConfig.fast(), licenses=frozenset({LICENSE}))
    async with SimulatorServer(config) as server:
        yield server


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Origin": ORIGIN}) as session:
        yield session


@pytest.mark.asyncio
async def test_get_by_name_returns_the_avatar_with_cors(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    params = {"license": LICENSE, "name": "navtalk.Emily"}
    async with http.get(f"{sim.http_url}/avatar/getByName", params=params) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = await response.json()
    assert body["code"] == 200
    assert body["message"] == "SUCCESS"
    data = body["data"]
    assert data["name"] == "navtalk.Emily"
    assert data["providerName"] == OPENAI_REALTIME
    assert data["voice"] == "marin"
    assert len(data["id"]) == 32
    assert data["thumbnailUrl"].startswith(f"http://127.0.0.1:{sim.port}/")
    # The thumbnail itself is served too, with CORS, so <img> and canvas both work.
    async with http.get(data["thumbnailUrl"]) as image:
        assert image.status == 200
        assert image.headers["Content-Type"] == "image/svg+xml"
        assert image.headers["Access-Control-Allow-Origin"] == "*"
        assert (await image.text()).startswith("<svg")


@pytest.mark.asyncio
async def test_detail_by_avatar_id_with_the_license_header(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    sophia = next(a for a in sim.config.roster if a.name == "navtalk.Sophia")
    async with http.get(
        f"{sim.http_url}/avatar/detail",
        params={"avatarId": sophia.id},
        headers={"license": LICENSE},
    ) as response:
        body = await response.json()
    assert response.status == 200
    assert body["data"]["id"] == sophia.id
    assert body["data"]["providerName"] == ELEVENLABS


@pytest.mark.asyncio
async def test_preflight_allows_the_license_header_and_private_network(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    headers = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "license",
        "Access-Control-Request-Private-Network": "true",
    }
    async with http.options(f"{sim.http_url}/avatar/detail", headers=headers) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"] == "license"
        assert response.headers["Access-Control-Allow-Private-Network"] == "true"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        (
            "/avatar/getByName",
            {"license": "sk_wrong", "name": "navtalk.Emily"},
            401,
            "Invalid license key",
        ),
        ("/avatar/getByName", {"name": "navtalk.Emily"}, 401, "Invalid license key"),
        (
            "/avatar/getByName",
            {"license": LICENSE, "name": "navtalk.Nobody"},
            404,
            "Avatar not found",
        ),
        ("/avatar/detail", {"license": LICENSE}, 400, "Missing parameter: avatarId"),
        ("/avatar/list", {"license": LICENSE}, 404, "No such endpoint: /api/open/v1/avatar/list"),
    ],
)
async def test_errors_are_json_with_cors(
    sim: SimulatorServer,
    http: aiohttp.ClientSession,
    path: str,
    params: dict[str, str],
    status: int,
    message: str,
) -> None:
    async with http.get(f"{sim.http_url}{path}", params=params) as response:
        assert response.status == status
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = await response.json()
    assert body == {"code": status, "message": message, "data": None}


@pytest.mark.asyncio
async def test_plain_get_on_the_socket_path_asks_for_an_upgrade(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(sim.ws_url.replace("ws://", "http://")) as response:
        assert response.status == 426
