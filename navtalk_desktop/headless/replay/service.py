"""The app's replay service: a :class:`ReplayServer` per recording, on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

from navtalk_desktop.headless.replay.recording import read_recording
from navtalk_desktop.headless.replay.server import ReplayServer


class _Run:
    """A started replay (see :class:`~navtalk_desktop.core.replay_port.ReplayRun`)."""

    def __init__(self, server: ReplayServer) -> None:
        self._server = server
        self.url = server.ws_url

    async def report(self) -> tuple[list[str], bool]:
        """Wait for the client to finish; the report lines and whether it matched."""
        await self._server.finished.wait()
        report = self._server.report
        assert report is not None  # finished is set only after the report
        return report.lines(), not report.differences()

    async def stop(self) -> None:
        """Stop listening and close the client's connection."""
        await self._server.stop()


class ReplayServerService:
    """Starts :class:`ReplayServer` instances at the recorded timing (speed 1)."""

    async def start(self, recording: Path) -> _Run:
        """Read the recording off the event loop and listen on a free loopback port."""
        frames = await asyncio.to_thread(read_recording, recording)
        server = ReplayServer(frames)
        await server.start("127.0.0.1", 0)
        return _Run(server)
