"""Headless Debian Chromium driven over the DevTools protocol (plain CDP, no Playwright).

Only what the browser tests need: start Chromium on a page, evaluate JavaScript in it,
capture a screenshot, stop it. Chromium is told to stay off the network (no component
updates, no background requests): every test address is on 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

DEBIAN_PACKAGE = "chromium"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    # Raw-IP ICE candidates (not mDNS names) and no permission prompts.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--disable-breakpad",
    "--no-pings",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--window-size=900,720",
    "--remote-debugging-port=0",
)


def chromium_path() -> str | None:
    """Debian's Chromium, when installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium process with one page, driven over CDP."""

    def __init__(self, executable: str, url: str, env: dict[str, str] | None = None) -> None:
        self._executable = executable
        self._url = url
        self._env = env
        self._profile = tempfile.TemporaryDirectory(prefix="navtalk-chromium-")
        self._process: asyncio.subprocess.Process | None = None
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self.log_path = Path(self._profile.name) / "chromium.log"

    async def __aenter__(self) -> Browser:
        with self.log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                self._executable,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                self._url,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env or dict(os.environ),
            )
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = asyncio.get_running_loop().time() + 30
        # Chromium writes the port once DevTools listens.
        while not (port_file.exists() and port_file.read_text().strip()):
            if self._process.returncode is not None:
                raise RuntimeError(f"Chromium exited: {self.log_path.read_text()[-2000:]}")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port within 30 s")
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        targets = await asyncio.to_thread(_get_json, f"http://127.0.0.1:{port}/json/list")
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = await connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        with contextlib.suppress(OSError):
            self._profile.cleanup()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its result."""
        assert self._ws is not None
        message_id = next(self._ids)
        await self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self._ws.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"CDP {method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self, path: Path) -> None:
        """Save a PNG of the page."""
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return json.load(response)
