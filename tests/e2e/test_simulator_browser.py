"""A plain browser client sees and hears the simulated avatar (headless Debian Chromium).

The page is the simulator's own ``/client``: it follows the protocol like NavTalk's web SDK
(offer from the server over the session socket, answer and trickled candidates from the
browser, server candidates inside the SDP) and reports what it receives: the ICE state,
pixel statistics of the video drawn to a canvas, and the audio energy WebRTC measured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from tests.helpers.chromium_cdp import DEBIAN_PACKAGE, Browser, chromium_path

TIMEOUT = 45.0  # only spent when a test fails
QUESTION = "Hello there, please tell me a little story about the sea."

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason=f"Debian package '{DEBIAN_PACKAGE}' is not installed "
    "(python3 dev.py test installs it when run as root)",
)


async def wait_stats(
    browser: Browser, condition: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll the page's statistics until ``condition`` holds."""
    stats: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        stats = await browser.evaluate("window.navtalkClient ? navtalkClient.stats() : {}") or {}
        if stats and condition(stats):
            return stats
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; page state: {stats}")


@pytest.mark.asyncio
async def test_browser_client_sees_and_hears_the_avatar(tmp_path: Path) -> None:
    executable = chromium_path()
    assert executable is not None
    async with SimulatorServer(SimulatorConfig.fast()) as sim:
        page = (
            f"http://127.0.0.1:{sim.port}/client?license=sk_browser_test&name=navtalk.Emily&media=1"
        )
        async with Browser(executable, page) as browser:
            await wait_stats(
                browser,
                lambda s: s["socket"] == "open" and s["ice"] in ("connected", "completed"),
                "ICE connected",
            )
            assert await browser.evaluate("document.getElementById('state').textContent") == (
                "Connected"
            )
            # Changing, non-black frames: the idle face blinks and drifts.
            video = await wait_stats(browser, lambda s: s["distinct"] >= 8, "changing video")
            assert video["luma"] > 60
            assert (video["videoWidth"], video["videoHeight"]) == (320, 384)
            # Idle: the voice track carries silence.
            idle = await browser.evaluate("navtalkClient.stats()")
            assert idle["audioEnergy"] < 1e-4
            await browser.evaluate(f"navtalkClient.say({QUESTION!r})")
            spoken = await wait_stats(
                browser,
                lambda s: s["audioEnergy"] > 0.01 and s["audioLevel"] > 0.05,
                "the avatar's voice",
            )
            # The avatar's words arrived too (the question alone is "You: …\n").
            assert len(spoken["transcript"]) > len(f"You: {QUESTION}\n")
            await browser.screenshot(tmp_path / "client.png")
    assert (tmp_path / "client.png").stat().st_size > 10_000
    states = [e.frame["state"] for e in sim.session_log.entries if e.type == "webrtc.state"]
    assert "connected" in states
