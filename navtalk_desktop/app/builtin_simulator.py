"""The built-in simulator the Local simulator profile connects to, started with the app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer

log = logging.getLogger(__name__)


async def start_simulator(
    config: SimulatorConfig | None, notify: Callable[[str, str], object]
) -> SimulatorServer | None:
    """Start the simulator on 127.0.0.1 (a free port); None when it cannot start.

    Args:
        config: its configuration (default: :class:`SimulatorConfig`'s defaults).
        notify: tells the user why it could not start (``notify(text, level)``).
    """
    # Imported here: the server is ~70 ms of imports the first paint does not wait for.
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer

    simulator = SimulatorServer(config or SimulatorConfig())
    try:
        await simulator.start("127.0.0.1", 0)
    except OSError as error:
        notify(f"The built-in simulator could not start: {error}", "error")
        return None
    except BaseException:
        # Shut down while starting: do not leave a half-started server behind.
        with contextlib.suppress(Exception):
            await simulator.stop()
        raise
    log.info("built-in simulator listening on %s", simulator.ws_url)
    return simulator
