"""How the child process builds its engine: picklable options plus which ports to build there.

The engine's options (:class:`~navtalk_desktop.core.engine.factory.EngineOptions`) cross
the pipe as they are; its ports cannot (sockets, worker pools, the GUI's keychain), so the
recipe says which to build *in the child*:

* the WebSocket transport, the HTTP client, the script runner and the expression
  sandbox are the child's own (they do I/O where the engine runs);
* the keychain stays in the GUI process (its backend, its unlock prompt, the test suite's
  memory keyring): the child gets a :class:`RemoteSecretStore` that asks it over the pipe;
* the GUI's consent state (hosts a webhook may contact) and the open tool set's folder
  are mirrored: :class:`PortMirror` holds the last :class:`~.wire.PortUpdate` the GUI
  sent;
* script trust is the user's trust file, read at each check, in either process.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.factory import EngineOptions, EnginePorts, build_engine
from navtalk_desktop.core.media import PeerFactory
from navtalk_desktop.core.ports import Transport
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.consent import HostAllowList, HostRule
from navtalk_desktop.engine_process.wire import PortUpdate

__all__ = ["BuiltEngine", "EngineRecipe", "PortMirror", "RemoteSecretStore", "SecretsCall"]

SecretsCall = Callable[[str, tuple[str, ...]], Awaitable[str | None]]
"""Asks the GUI's secret store: ``(method, args)`` → the method's result."""


class RemoteSecretStore:
    """The GUI process's keychain, seen from the child (every call crosses the pipe).

    Raises what the GUI's store raised (:class:`~navtalk_desktop.core.ports.SecretStoreUnavailable`).
    """

    def __init__(self, call: SecretsCall) -> None:
        self._call = call

    async def get(self, key: str) -> str | None:
        """The secret under ``key`` in the GUI's keychain, or ``None``."""
        return await self._call("get", (key,))

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in the GUI's keychain."""
        await self._call("set", (key, value))

    async def delete(self, key: str) -> None:
        """Forget ``key`` in the GUI's keychain."""
        await self._call("delete", (key,))


class PortMirror:
    """The child's copy of the GUI's consent state and open document folder.

    Attributes:
        hosts: the webhook host policy the child's responders ask (loopback always).
        document_folder: where relative script paths resolve (the open tool set's folder).
    """

    def __init__(self, how_to_allow: str, first: PortUpdate) -> None:
        self.hosts = HostAllowList(how_to_allow=how_to_allow)
        self.document_folder: Path | None = None
        self._allowed: tuple[HostRule, ...] = ()
        # Dispatchers keep their factory for the session's life while the document can
        # change (Examples menu): each one's script folder follows the GUI's.
        self._factories: weakref.WeakSet[ResponderFactory] = weakref.WeakSet()
        self.apply(first)

    def follow(self, factory: ResponderFactory) -> ResponderFactory:
        """Keep ``factory``'s script folder on the GUI's open document from now on."""
        factory.base_dir = self.document_folder
        self._factories.add(factory)
        return factory

    def apply(self, update: PortUpdate) -> None:
        """Take the GUI's current state (hosts are only ever added, as in the GUI)."""
        self.document_folder = update.document_folder
        for factory in self._factories:
            factory.base_dir = update.document_folder
        new = [rule for rule in update.allowed_hosts if rule not in self._allowed]
        if new:
            self.hosts.allow(new)
            self._allowed = (*self._allowed, *new)


@dataclass(slots=True)
class BuiltEngine:
    """An engine built in the child, with what the child must do for its ports.

    Attributes:
        engine: the engine.
        mirror: applies the GUI's :class:`~.wire.PortUpdate` messages.
        closers: release the child's own adapters after the engine is shut down.
    """

    engine: Engine
    mirror: PortMirror
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EngineRecipe:
    """What the child builds (picklable; crosses the pipe once, in the ``Hello``).

    Attributes:
        options: the engine's options.
        keychain: give the engine the GUI's keychain (through the pipe); False: none.
        responders: build the full responder ports (HTTP, scripts, process sandbox);
            False: responders without infra adapters (static answers, templates in a
            thread sandbox).
        ports: the GUI's consent state and document folder at start.
        how_to_allow: the end of a webhook refusal message (the GUI's wording).
        media: give the engine the WebRTC peer port (the avatar's video and voice).
    """

    options: EngineOptions
    keychain: bool = True
    responders: bool = True
    ports: PortUpdate = field(default_factory=lambda: PortUpdate(None, ()))
    how_to_allow: str = "agree to the tool set's hosts when it opens"
    media: bool = True

    def build(self, secrets: SecretsCall) -> BuiltEngine:
        """Build the engine and its ports (in the child, on its loop's thread)."""
        mirror = PortMirror(self.how_to_allow, self.ports)
        closers: list[Callable[[], Awaitable[None]]] = []
        responders: Callable[[], ResponderFactory] | None = None
        if self.responders:
            responders = _responder_ports(mirror, closers)
        ports = EnginePorts(
            transport_factory=_websocket_transport,
            secrets=RemoteSecretStore(secrets) if self.keychain else None,
            responders=responders,
            media_peers=_answering_peer() if self.media else None,
        )
        engine = build_engine(self.options, ports)
        return BuiltEngine(engine, mirror, closers)


def _answering_peer() -> PeerFactory:
    from navtalk_desktop.infra.media_peers import answering_peer

    return answering_peer


def _websocket_transport() -> Transport:
    from navtalk_desktop.infra.ws_transport import WebSocketTransport

    return WebSocketTransport()


def _responder_ports(
    mirror: PortMirror, closers: list[Callable[[], Awaitable[None]]]
) -> Callable[[], ResponderFactory]:
    """The desktop app's responder adapters, built in the child (one set per child)."""
    # Imported here: a child that answers only by hand never loads aiohttp.
    from navtalk_desktop.examples.environment import default_script_trust
    from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
    from navtalk_desktop.infra.http_client import AiohttpClient
    from navtalk_desktop.infra.script_runner import SubprocessScriptRunner

    http = AiohttpClient()
    sandbox = ProcessExpressionSandbox()
    closers.extend((http.close, sandbox.close))
    trust = default_script_trust()

    def factory() -> ResponderFactory:
        return mirror.follow(
            ResponderFactory(
                http=http,
                hosts=mirror.hosts,
                scripts=SubprocessScriptRunner(),
                trust=trust,
                sandbox=sandbox,
            )
        )

    return factory
