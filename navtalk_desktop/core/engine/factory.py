"""The one way to build an :class:`~navtalk_desktop.core.engine.engine.Engine`.

The desktop app, ``navtalk-desktop respond`` (headless) and the benchmarks all build their
engine here, from picklable :class:`EngineOptions` (what to run) and :class:`EnginePorts`
(the infra adapters it runs with: transport, keychain, responders). A host in another
process sends the options and builds the ports on its side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchMode
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.media import PeerFactory
from navtalk_desktop.core.ports import SecretStore, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet

__all__ = ["EngineOptions", "EnginePorts", "build_engine"]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """What an engine runs (picklable).

    Attributes:
        profile: where and how to connect.
        toolset: tools with their responder chains (its enabled tools are registered).
        tools: tools to register instead of the tool set's (``None``: the tool set's).
        answer_mode: the call desk's mode to start in.
        answering: build an automatic-answer dispatcher (False: calls are answered by
            hand only).
        unanswered_error: when no responder answers, send an ``Error: …`` output instead
            of waiting for a person (headless).
        desk: a person can answer (manual steps wait); False in headless runs.
        max_calls: handle at most this many calls (``respond --max-calls``).
        simulator_url: URL of the in-process simulator.
        license: a license to use instead of the keychain.
        connect_timeout_s: how long opening the socket may take.
    """

    profile: ConnectionProfile
    toolset: ToolSet | None = None
    tools: tuple[ToolDefinition, ...] | None = None
    answer_mode: DispatchMode = DispatchMode.MANUAL
    answering: bool = True
    unanswered_error: bool = False
    desk: bool = True
    max_calls: int | None = None
    simulator_url: str | None = None
    license: str | None = None
    connect_timeout_s: float = 15.0


@dataclass(frozen=True, slots=True)
class EnginePorts:
    """The adapters an engine runs with (built where the engine runs).

    Attributes:
        transport_factory: a new transport per connection.
        secrets: the keychain (None: no keychain at all).
        responders: builds the responder factory of each session's dispatcher (HTTP
            client, script runner, expression sandbox, trust); None: responders without
            infra (static answers only).
        timeline: builds each timeline (default: in memory with a spill file).
        media_peers: builds the avatar's WebRTC peer (``infra.webrtc.AnsweringPeer``);
            None: media offers are recorded and refused.
    """

    transport_factory: TransportFactory
    secrets: SecretStore | None = None
    responders: Callable[[], ResponderFactory] | None = None
    timeline: Callable[[], Timeline] = Timeline
    media_peers: PeerFactory | None = None


def build_engine(options: EngineOptions, ports: EnginePorts) -> Engine:
    """An engine for ``options`` with ``ports`` (not started: attach a sink or a host)."""

    def dispatcher_for(session: Session) -> Dispatcher:
        return Dispatcher(
            session,
            options.toolset,
            factory=ports.responders() if ports.responders is not None else None,
            mode=options.answer_mode,
            unanswered_error=options.unanswered_error,
            desk=options.desk,
            max_calls=options.max_calls,
        )

    return Engine(
        profile=options.profile,
        transport_factory=ports.transport_factory,
        secrets=ports.secrets,
        dispatcher_factory=dispatcher_for if options.answering else None,
        tools=list(options.tools) if options.tools is not None else None,
        toolset=options.toolset,
        answer_mode=options.answer_mode,
        simulator_url=options.simulator_url,
        timeline_factory=ports.timeline,
        license=options.license,
        connect_timeout_s=options.connect_timeout_s,
        media_peers=ports.media_peers,
    )
