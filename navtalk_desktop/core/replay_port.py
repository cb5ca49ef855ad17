"""What the app needs to replay a recording as a server (implemented in ``replay/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class ReplayRun(Protocol):
    """One recording being served.

    Attributes:
        url: where a client connects (``ws://127.0.0.1:PORT/wss/v2/realtime-chat``).
    """

    url: str

    async def report(self) -> tuple[list[str], bool]:
        """Wait until the client finished; the report lines and whether it behaved as recorded."""
        ...

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        ...


class ReplayService(Protocol):
    """Starts replays."""

    async def start(self, recording: Path) -> ReplayRun:
        """Read ``recording`` and listen on 127.0.0.1.

        Raises:
            ValueError: the recording cannot be read or has nothing to replay (the
                message names the file and line).
            OSError: no port to listen on.
        """
        ...
