"""``navtalk-desktop respond``: connect without a window and answer function calls automatically.

What users run in CI::

    NAVTALK_LICENSE=sk_navtalk_… navtalk-desktop respond --url wss://…/realtime-chat \\
        --tools tools.navtools.json --say "What's the weather in Beijing?" --max-calls 1

One line per call goes to stdout (name, arguments, output, latency); everything else
(state changes, lint warnings, errors) goes to stderr. Exit codes: 0 success, 1 protocol or
connection error, 2 bad options or tool file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from navtalk_desktop.core.calls.dispatcher import (
    DispatchMode,
    DispatchStatus,
    describe_arguments,
)
from navtalk_desktop.core.engine.commands import Connect, EngineCommand, SendText
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.events import (
    CallSnapshot,
    CommandFailed,
    DispatchChanged,
    DispatchSnapshot,
    EngineEvent,
    Notice,
    NoticeLevel,
    StateChanged,
    TranscriptDelta,
    TranscriptKind,
)
from navtalk_desktop.core.engine.factory import EngineOptions, EnginePorts, build_engine
from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.profile import (
    ConnectionProfile,
    RegistrationStyle,
    ResultStyle,
    license_from_url,
    profile_for_url,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.redact import redact
from navtalk_desktop.core.session.session import (
    SessionState,
    StateChange,
)
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.core.tools.lint import lint_toolset
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.headless import consent as headless_consent
from navtalk_desktop.headless.cli_support import (
    command_output,
    configure_logging,
)
from navtalk_desktop.headless.respond_options import EXAMPLE_PREFIX, LICENSE_ENV

# The sub-command's options: cli.py loads configure_parser and run from this module.
from navtalk_desktop.headless.respond_options import configure_parser as configure_parser
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.recording import RecordingWriter
from navtalk_desktop.infra.toolset_file import ScriptTrustFile, open_tool_file

if TYPE_CHECKING:
    from navtalk_desktop.headless.respond_media import MediaSaver

_err, _out = command_output("respond")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

logger = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Run the ``respond`` sub-command; returns the exit code."""
    configure_logging()
    try:
        return asyncio.run(_Responder(args).main())
    except KeyboardInterrupt:  # only where signal handlers are unavailable (Windows)
        return EXIT_ERROR


T = TypeVar("T")


class UsageError(Exception):
    """Bad options or inputs: exit code 2 with this message."""


def read_input(path: Path, read: Callable[[Path], T]) -> T:
    """``read(path)``; a file that cannot be read or is malformed is a :class:`UsageError`.

    Raises:
        UsageError: naming the file, and the location of the problem in it.
    """
    try:
        return read(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ConfigError as exc:
        raise UsageError(f"{path}: {exc}") from None


def load_tool_file(path: Path) -> ToolSet:
    """A tool set from a tool set file or any importable tools array (the app's loader too).

    Raises:
        UsageError: unreadable or malformed, with the location.
    """
    opened = read_input(path, open_tool_file)
    if not opened.imported:
        return opened.toolset
    for dropped in opened.dropped:
        _err(f"{path}: ignored {dropped}")
    _err(
        f"{path}: {opened.format.label}; no responders in this format, every call gets an error output"
    )
    return opened.toolset


def parse_variables(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs.

    Raises:
        UsageError: an item without ``=`` or with an empty name.
    """
    variables: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {item!r}: expected NAME=VALUE")
        variables[name.strip()] = value
    return variables


class _Responder:
    """One ``respond`` run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.protocol_errors: list[str] = []
        self.failure: str | None = None
        self.handled = 0
        self.avatar_turns = 0
        self.avatar_turn = asyncio.Event()
        self.done = asyncio.Event()
        self.ready = asyncio.Event()
        self.license = ""
        self.pasted_license = ""
        self._printed: set[str] = set()
        self.engine: Engine | None = None
        self.media: MediaSaver | None = None
        self._failures: dict[int, str] = {}
        # The failure already printed as a state line (not repeated in the summary).
        self._failure_said: str | None = None
        # Templates and rule regexes run in worker processes killed when over budget.
        self.sandbox = ProcessExpressionSandbox()

    # ------------------------------------------------------------------ setup

    async def main(self) -> int:
        try:
            toolset, profile = await self._prepare()
        except UsageError as exc:
            _err(str(exc))
            return EXIT_USAGE
        examples = None
        http = None
        try:
            if self.args.examples:
                from navtalk_desktop.examples.environment import open_examples

                examples = await open_examples()
                toolset = examples.fill_variables(toolset)
            toolset = toolset.with_variables(**parse_variables(self.args.var))
            factory = self._factory(toolset)
            from navtalk_desktop.infra.http_client import AiohttpClient

            http = factory.http = AiohttpClient()
            return await self._run(toolset, profile, factory)
        except UsageError as exc:
            _err(str(exc))
            return EXIT_USAGE
        finally:
            if http is not None:
                await http.close()
            if examples is not None:
                await examples.close()

    async def _prepare(self) -> tuple[ToolSet, ConnectionProfile]:
        args = self.args
        if str(args.tools).startswith(EXAMPLE_PREFIX):
            args.tools = self._example_file(str(args.tools)[len(EXAMPLE_PREFIX) :])
            args.examples = True
        toolset = load_tool_file(args.tools)
        report = lint_toolset(toolset)
        for issue in report.issues:
            _err(str(issue))
        if report.blocks_sending:
            raise UsageError(
                f"{args.tools}: {report.summary()}; fix the errors above before sending these tools"
            )
        profile = await self._profile()
        self.license = await self._license(profile)
        return toolset, profile

    @staticmethod
    def _example_file(name: str) -> Path:
        from navtalk_desktop.examples.install import install_examples

        examples = install_examples()
        files = {"use-cases": examples.use_cases, "judge": examples.judge}
        if name not in files:
            raise UsageError(
                f"unknown example {name!r}; use {', '.join(EXAMPLE_PREFIX + k for k in files)}"
            )
        return files[name]

    async def _profile(self) -> ConnectionProfile:
        args = self.args
        if license_from_url(args.url):
            _err(
                "warning: the URL contains a license; prefer $"
                + LICENSE_ENV
                + " (command lines are visible to other users)"
            )
        base: ConnectionProfile | None = None
        if args.profile:
            from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError

            try:
                base = SettingsFile().load().profile(args.profile)
            except SettingsFileError as exc:
                _err(f"warning: {exc}; using defaults for the profile settings")
        changes: dict[str, object] = {
            # CI must fail fast instead of retrying for minutes.
            "reconnect": ReconnectPolicy(enabled=False),
            "answer_deadline_s": None,
        }
        if args.avatar_id:
            changes["avatar_id"] = args.avatar_id
        if args.avatar:
            changes["avatar_name"] = args.avatar
        if args.result_style:
            changes["result_style"] = ResultStyle(args.result_style)
        if args.registration:
            changes["registration"] = RegistrationStyle(args.registration)
        try:
            name = base.name if base is not None else args.profile or "respond"
            profile, pasted = profile_for_url(args.url, name=name, base=base, **changes)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.pasted_license = pasted or ""
        return profile

    async def _license(self, profile: ConnectionProfile) -> str:
        if self.pasted_license:
            return self.pasted_license
        value = os.environ.get(LICENSE_ENV, "").strip()
        if value:
            return value
        if self.args.profile:
            from navtalk_desktop.core.ports import SecretStoreUnavailable
            from navtalk_desktop.infra.keyring_store import KeyringSecretStore

            store = KeyringSecretStore()
            try:
                stored = await store.get(self.args.profile)
            except SecretStoreUnavailable as exc:
                raise UsageError(
                    f"cannot read the license from the keychain: {exc.message}"
                ) from None
            finally:
                store.close()
            if stored:
                return stored
            raise UsageError(
                f"no license stored in the keychain for profile {self.args.profile!r}; set ${LICENSE_ENV}"
            )
        raise UsageError(
            f"no license: set ${LICENSE_ENV} or pass --profile NAME with a license in the keychain"
        )

    def _factory(self, toolset: ToolSet) -> ResponderFactory:
        """Responders with this run's consent; refuses to start when a flag is missing.

        Raises:
            UsageError: a script or webhook host needs a flag it was not given (each
                listed with the flag), or an ``--allow-host`` value is not a host.
        """
        from navtalk_desktop.examples.environment import default_script_trust
        from navtalk_desktop.infra.script_runner import SubprocessScriptRunner

        base_dir = self.args.tools.resolve().parent
        trust: ScriptTrustFile = default_script_trust()
        try:
            hosts = headless_consent.host_policy(self.args)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        missing, notes = headless_consent.check(
            toolset, base_dir, trust, hosts, trust_scripts=self.args.trust_scripts
        )
        for note in notes:
            _err(f"note: {note}")
        if missing:
            raise UsageError(
                f"{self.args.tools} would run code or send call data without consent; "
                "nothing was started:\n  " + "\n  ".join(missing)
            )
        return ResponderFactory(
            hosts=hosts,
            scripts=SubprocessScriptRunner(),
            trust=trust,
            base_dir=base_dir,
            sandbox=self.sandbox,
        )

    # ------------------------------------------------------------------ run

    async def _run(
        self, toolset: ToolSet, profile: ConnectionProfile, factory: ResponderFactory
    ) -> int:
        from navtalk_desktop.infra.ws_transport import WebSocketTransport

        args = self.args
        media = None
        if getattr(args, "save_media", None) is not None:
            from navtalk_desktop.headless.respond_media import MediaSaver

            media = MediaSaver(args.save_media)
            failure = media.start()
            if failure is not None:
                _err(failure)
                return EXIT_ERROR
        self.media = media
        engine = build_engine(
            EngineOptions(
                profile=profile,
                toolset=toolset,
                answer_mode=DispatchMode.AUTO,
                unanswered_error=True,
                desk=False,
                max_calls=args.max_calls,
                license=self.license,
                connect_timeout_s=args.connect_timeout,
            ),
            EnginePorts(
                transport_factory=WebSocketTransport,
                responders=lambda: factory,
                media_peers=media.peers() if media is not None else None,
            ),
        )
        self.engine = engine
        engine.attach(self.on_event)
        if not any(e.chain.has_automatic for e in toolset.tools if e.enabled):
            _err("warning: no tool has an automatic responder; every call gets an error output")
        timeline = engine.timeline
        recorder = self._start_recording(timeline, engine)
        if args.record is not None and recorder is None:
            await engine.close()
            return EXIT_ERROR
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
                loop.add_signal_handler(sig, self.done.set)
        try:
            failure = await self._command(Connect())
            if failure is not None:
                self.failure = failure
                return EXIT_ERROR
            await self._drive()
            dispatcher = engine.dispatcher
            try:
                # Let calls already being answered finish; responders have their own timeouts.
                async with asyncio.timeout(args.turn_timeout):
                    if dispatcher is not None:
                        await dispatcher.wait_idle()
            except TimeoutError:
                _err(
                    f"warning: calls still being answered after {args.turn_timeout:g} s were cancelled"
                )
        finally:
            await engine.close()
            await self.sandbox.close()
            if media is not None:
                media.close()
            if recorder is not None:
                await self._finish_recording(recorder)
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
                    loop.remove_signal_handler(sig)
            self._summary(timeline)
        return EXIT_ERROR if self.failure or self.protocol_errors else EXIT_OK

    async def _drive(self) -> None:
        args = self.args
        try:
            async with asyncio.timeout(args.connect_timeout):
                await self._wait(self.ready)
        except TimeoutError:
            self.failure = f"the session was not ready within {args.connect_timeout:g} s"
            return
        if self.done.is_set():
            return
        media = self.media
        if media is not None:
            # The avatar's first words should be on the video: start once media flows.
            try:
                async with asyncio.timeout(args.connect_timeout):
                    await self._wait(media.connected)
            except TimeoutError:
                _err(f"warning: no media connection within {args.connect_timeout:g} s")
        deadline = loop_time() + args.duration if args.duration else None
        for text in args.say:
            if self.done.is_set():
                return
            self.avatar_turn.clear()
            before = self.avatar_turns
            failure = await self._command(SendText(text))
            if failure is not None:
                self.failure = failure
                return
            _err(f"said: {text}")
            try:
                async with asyncio.timeout(_remaining(deadline, args.turn_timeout)):
                    while self.avatar_turns == before and not self.done.is_set():
                        self.avatar_turn.clear()
                        await self._wait(self.avatar_turn)
            except TimeoutError:
                if deadline is not None and loop_time() >= deadline:
                    return
                _err(f"warning: no reply to {text!r} within {args.turn_timeout:g} s")
        if args.say and not args.duration and not args.max_calls:
            if media is not None and media.connected.is_set() and media.failed is None:
                await media.quiet(args.turn_timeout)  # the voice plays out in real time
            return  # the scripted turns are the whole run
        try:
            async with asyncio.timeout(
                None if deadline is None else max(0.0, deadline - loop_time())
            ):
                await self.done.wait()
        except TimeoutError:
            return

    async def _wait(self, event: asyncio.Event) -> None:
        """Wait for ``event`` or the end of the run, whichever comes first."""
        if self.done.is_set():
            return
        waiters = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self.done.wait())}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _command(self, command: EngineCommand) -> str | None:
        """Carry out ``command`` on the engine; why it failed, or None."""
        assert self.engine is not None
        await self.engine.handle(command)
        return self._failures.pop(command.command_id, None)

    def on_event(self, event: EngineEvent) -> None:
        """The engine's stream: states, the avatar's turns, notices, handled calls."""
        if isinstance(event, StateChanged):
            self.on_state(event.change)
        elif isinstance(event, TranscriptDelta):
            if event.kind is TranscriptKind.DONE and event.role == "avatar":
                self.avatar_turns += 1
                self.avatar_turn.set()
        elif isinstance(event, Notice):
            if event.level is NoticeLevel.ERROR:
                self.protocol_errors.append(event.text)
                _err(f"error: {event.text}")
            else:
                _err(f"warning: {event.text}")
        elif isinstance(event, CommandFailed):
            self._failures[event.command_id] = event.message
        elif isinstance(event, DispatchChanged):
            self.dispatch_changed(event.call)
        elif self.media is not None:
            self.media.on_event(event)

    def on_state(self, change: StateChange) -> None:
        if change.message:
            _err(f"{change.state.value}: {change.message}")
            if change.state is SessionState.FAILED:
                # Said already: the summary does not repeat the same "failed:" line.
                self._failure_said = change.message
        if change.state is SessionState.READY:
            self.ready.set()
        elif change.state in (SessionState.FAILED, SessionState.CLOSED) and not self.done.is_set():
            if change.state is SessionState.FAILED or change.event_type is not None:
                self.failure = change.message or change.state.value
            self.done.set()

    # ------------------------------------------------------------------ DispatcherListener

    def dispatch_changed(self, call: CallSnapshot) -> None:
        """Print one line per handled call; stop after --max-calls."""
        record = call.dispatch
        if record is None or record.status not in (
            DispatchStatus.ANSWERED,
            DispatchStatus.SILENT,
            DispatchStatus.CLOSED,
        ):
            return
        if call.key in self._printed:
            return
        self._printed.add(call.key)
        _out(self._line(record, call))
        self.handled += 1
        if self.args.max_calls and self.handled >= self.args.max_calls:
            self.done.set()

    def _line(self, record: DispatchSnapshot, call: CallSnapshot) -> str:
        arguments = describe_arguments(call.arguments, call.raw_arguments)
        latency = call.answer_latency_s
        shown_latency = f"{latency * 1000:.0f} ms" if latency is not None else "-"
        if record.status is DispatchStatus.ANSWERED:
            output = json.dumps(record.output, ensure_ascii=False)
            outcome = "error" if record.is_error else "ok"
        else:
            output = "(no output sent: " + ("; ".join(record.messages) or record.status.value) + ")"
            outcome = record.status.value
        line = f"call {call.name or '?'} {arguments} -> {output} [{outcome}, {record.responder or '-'}, {shown_latency}]"
        return redact(line, [self.license])

    # ------------------------------------------------------------------ end

    def _start_recording(self, timeline: Timeline, engine: Engine) -> RecordingWriter | None:
        """Start streaming the session to ``--record`` (None without it, or when it failed)."""
        path = self.args.record
        if path is None:
            return None
        recorder = RecordingWriter(
            path,
            timeline,
            # Asked per batch: every license known to the run is redacted as entries are written.
            secrets=lambda: [self.license, self.pasted_license, *engine.session.secrets_in_use()],
        )
        try:
            recorder.start()
        except OSError as exc:
            self.failure = f"cannot write the recording {path}: {exc.strerror or exc}"
            _err(self.failure)
            return None
        return recorder

    async def _finish_recording(self, recorder: RecordingWriter) -> None:
        # The session is over: write what is left and fsync, off the loop.
        recorder.detach()
        try:
            count = await asyncio.to_thread(recorder.close)
        except OSError as exc:
            _err(f"cannot write the recording {recorder.path}: {exc.strerror or exc}")
            self.failure = self.failure or "recording failed"
            return
        _err(f"recorded {count} entries to {recorder.path}")

    def _summary(self, timeline: Timeline) -> None:
        invalid = [e for e in timeline if e.direction is Direction.IN and e.error]
        for entry in invalid:
            self.protocol_errors.append(f"{entry.type}: {entry.error}")
            _err(f"protocol error: frame {entry.seq} ({entry.type}): {entry.error}")
        if self.failure and self.failure != self._failure_said:
            _err(f"failed: {redact(self.failure, [self.license])}")
        _err(f"handled {self.handled} call{'s' * (self.handled != 1)}")


def loop_time() -> float:
    """The running loop's clock."""
    return asyncio.get_running_loop().time()


def _remaining(deadline: float | None, cap: float) -> float:
    if deadline is None:
        return cap
    return max(0.0, min(cap, deadline - loop_time()))
