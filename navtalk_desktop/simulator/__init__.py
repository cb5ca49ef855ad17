"""The built-in NavTalk v2 simulator: a local asyncio + websockets server. No Qt.

Public API::

    from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer

    async with SimulatorServer(SimulatorConfig.fast()) as sim:
        sim.ws_url     # ws://127.0.0.1:PORT/wss/v2/realtime-chat
        sim.http_url   # http://127.0.0.1:PORT/api/open/v1
        sim.session_log.entries
"""

from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import FaultKind, FaultSpec, FaultSpecError, FaultTrigger
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.roster import DEFAULT_ROSTER, Avatar
from navtalk_desktop.simulator.scenario import Scenario, ScenarioError, load_scenario
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.simulator.session_log import LogEntry, SessionLog
from navtalk_desktop.simulator.timings import Timings

__all__ = [
    "DEFAULT_ROSTER",
    "Avatar",
    "FaultKind",
    "FaultSpec",
    "FaultSpecError",
    "FaultTrigger",
    "LoadSpec",
    "LogEntry",
    "Scenario",
    "ScenarioError",
    "SessionLog",
    "SimulatorConfig",
    "SimulatorServer",
    "Timings",
    "load_scenario",
]
