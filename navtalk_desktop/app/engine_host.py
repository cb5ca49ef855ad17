"""Where the workbench's session engine runs: a child process (the default) or a thread.

``--engine process`` (see :mod:`navtalk_desktop.engine_process.design`): the engine runs in
a child process (:class:`~navtalk_desktop.engine_process.host.ProcessHost`), so an
automatic answer never waits for this process's interpreter, however busy the GUI is. The
GUI's keychain answers the child's keychain calls; the hosts the user allowed and the open
tool set's folder are mirrored into it. ``--engine thread``: the engine runs on a thread of
this process, its garbage collected on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchMode
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.engine.factory import EngineOptions
from navtalk_desktop.core.ports import SecretStore, TransportFactory
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.tools.consent import HostAllowList
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.engine_process.host import ProcessHost
from navtalk_desktop.engine_process.recipe import EngineRecipe
from navtalk_desktop.engine_process.wire import PortUpdate
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.media_peers import answering_peer
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.tasks import TaskRunner

__all__ = ["EngineOnThread", "adapter_on_thread", "adapter_over_process"]


def adapter_over_process(
    profile: ConnectionProfile,
    *,
    toolset: ToolSet,
    secrets: SecretStore,
    tasks: TaskRunner,
    hosts: HostAllowList,
    document_folder: Callable[[], Path | None],
    transport_factory: TransportFactory,
    media: bool = True,
) -> EngineAdapter:
    """The GUI's adapter over an engine in a child process (started here)."""

    def ports_now() -> PortUpdate:
        return PortUpdate(document_folder(), hosts.rules)

    recipe = EngineRecipe(
        EngineOptions(profile=profile, toolset=toolset),
        ports=ports_now(),
        how_to_allow=hosts.how_to_allow,
        media=media,
    )
    host = ProcessHost(recipe, secrets=secrets, ports_now=ports_now)
    # Consent given in a dialog reaches the child's webhooks before the next call.
    hosts.watch(host.refresh_ports)
    return EngineAdapter(
        profile=profile,
        transport_factory=transport_factory,  # unused: the child has its own
        secrets=secrets,
        tasks=tasks,
        toolset=toolset,
        simulator_url=None,  # known once start() has started the simulator
        host=host,
    )


@dataclass(frozen=True, slots=True)
class EngineOnThread:
    """The adapter over an engine thread, with what the workbench stops after it."""

    adapter: EngineAdapter
    thread: EngineThread
    collector: GuiThreadCollector
    http: AiohttpClient


def adapter_on_thread(
    profile: ConnectionProfile,
    *,
    toolset: Callable[[], ToolSet],
    responders: Callable[[AiohttpClient], ResponderFactory],
    secrets: SecretStore,
    tasks: TaskRunner,
    transport_factory: TransportFactory,
    media: bool = True,
) -> EngineOnThread:
    """The GUI's adapter over an engine on its own thread of this process."""
    thread = EngineThread()
    # With a second Python thread, garbage cycles holding Qt objects must still be
    # destroyed on the GUI thread: collection runs there only (see GuiThreadCollector).
    collector = GuiThreadCollector()
    collector.start()
    # aiohttp sessions belong to one loop: the dispatcher's responders (engine loop)
    # get their own client; the tool editor's test calls keep the GUI loop's.
    http = AiohttpClient()

    def dispatcher_for(session: Session) -> Dispatcher:
        return Dispatcher(session, toolset(), factory=responders(http), mode=DispatchMode.MANUAL)

    adapter = EngineAdapter(
        profile=profile,
        transport_factory=transport_factory,
        secrets=secrets,
        tasks=tasks,
        toolset=toolset(),
        dispatcher_factory=dispatcher_for,
        simulator_url=None,  # known once start() has started the simulator
        engine=thread,
        media_peers=answering_peer if media else None,
    )
    return EngineOnThread(adapter, thread, collector, http)
