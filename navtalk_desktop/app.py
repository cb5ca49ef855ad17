"""Composition root: QApplication, the qasync loop, infra adapters, core services and UI.

This is the only module that imports both ``ui`` and ``infra``. :class:`Workbench` builds
everything the running app consists of (also used by the GUI tests and the screenshot
script), :func:`run` drives its lifetime on a qasync loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import qasync
from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from navtalk_desktop import __version__, resource_paths
from navtalk_desktop.core.dispatcher import Dispatcher, DispatchMode
from navtalk_desktop.core.profile import (
    LOCAL_SIMULATOR,
    ConnectionProfile,
    license_from_url,
    strip_license,
)
from navtalk_desktop.core.redact import RedactingFilter
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session import Session
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.core.tool_templates import new_entry
from navtalk_desktop.core.toolset import ToolSet
from navtalk_desktop.core.toolset_editor import ToolSetEditor
from navtalk_desktop.examples.environment import ExampleEnvironment, default_script_trust
from navtalk_desktop.examples.install import (
    JUDGE_FILE,
    USE_CASES_FILE,
    ExamplePaths,
    install_examples,
)
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.keyring_store import KeyringSecretStore
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.ui.call_desk import CallDesk
from navtalk_desktop.ui.connection_panel import ConnectionPanel
from navtalk_desktop.ui.conversation_panel import ConversationPanel
from navtalk_desktop.ui.main_window import MainWindow
from navtalk_desktop.ui.session_bridge import SessionBridge
from navtalk_desktop.ui.tasks import TaskRunner
from navtalk_desktop.ui.theme import ThemeManager
from navtalk_desktop.ui.timeline_panel import TimelinePanel
from navtalk_desktop.ui.tools_panel import ToolsPanel

# The simulator (with aiohttp's server, ~150 ms of imports) is loaded and started after
# the window is shown: see Workbench.start.
if TYPE_CHECKING:
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TOOLSET_FILE = "tools.json"
COMMAND_LINE_PROFILE = "Command line"
# Licenses for non-simulator profiles can come from the environment, as for `respond`.
LICENSE_ENV = "NAVTALK_LICENSE"
SHUTDOWN_TIMEOUT_S = 5.0
# What FILE arguments may be: a tool set opens in the editor, a recording in the timeline.
TOOLSET_SUFFIX = ".json"
RECORDING_SUFFIX = ".jsonl"
# The log file in paths.log_dir(): rotated at 2 MB, three old files kept.
LOG_FILE_NAME = "navtalk-desktop.log"
LOG_MAX_BYTES = 2_000_000
LOG_BACKUP_COUNT = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The "what to type" note after opening an example stays long enough to read five lines.
EXAMPLE_NOTE_MS = 20_000


@dataclass(frozen=True, slots=True)
class ExampleChoice:
    """One bundled example tool set offered in the Examples menu.

    Attributes:
        key: stable identifier (menu actions, tests).
        title: menu text.
        description: tooltip.
        file_name: the tool set file inside the installed examples folder.
        sentences: what to type to see its tools called (the seed's examples).
    """

    key: str
    title: str
    description: str
    file_name: str
    sentences: tuple[str, ...]

    def path(self, examples: ExamplePaths) -> Path:
        """Where the installed tool set file is."""
        return examples.root / self.file_name


EXAMPLES: tuple[ExampleChoice, ...] = (
    ExampleChoice(
        "use-cases",
        "The Five Use Cases (weather, knowledge base, sales, smart home, CRM)",
        "One tool per use case of NavTalk's function-calling guide, answered by local "
        "example services, SQLite databases and scripts started on demand",
        USE_CASES_FILE,
        (
            "What's the weather in Beijing?",
            "How do I integrate function calling?",
            "Show me today's sales numbers",
            "Turn on the lights",
            "Update customer status for John",
        ),
    ),
    ExampleChoice(
        "judge",
        "function_call_judge with the Guide's Webhook",
        "The guide's single tool, answered by POSTing {userInput} to a local example "
        "assistant (it handles weather and smart-home requests)",
        JUDGE_FILE,
        ("What's the weather in Beijing?", "Turn on the lights"),
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of the desktop app (``navtalk-desktop [gui] [FILE…] …``)."""
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="tool set (.json) to open in the tool editor, or a session recording (.jsonl) "
        "to review in the timeline",
    )
    parser.add_argument("--profile", help="connection profile to select (default: Local simulator)")
    parser.add_argument("--url", help="connect to this WebSocket URL instead of the profile's")
    parser.add_argument("--tools", type=Path, help="tool set file (JSON) to open")
    parser.add_argument("--auto", action="store_true", help="answer function calls automatically")
    parser.add_argument("--connect", action="store_true", help="connect at start-up")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save a screenshot of the main window once it is shown (docs and tests)",
    )
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="quit by itself after this many seconds (end-to-end tests, demos)",
    )


class LogSecrets:
    """The licenses known right now, for the log filters (each source is asked per record).

    Sources come and go (a workbench registers its sessions' licenses while it lives); a
    failing source is skipped, because an exception inside a logging filter would surface
    in whatever code happened to log.
    """

    def __init__(self) -> None:
        self._sources: list[Callable[[], Iterable[str | None]]] = []

    def add(self, source: Callable[[], Iterable[str | None]]) -> None:
        """Ask ``source`` for secrets from now on."""
        self._sources.append(source)

    def discard(self, source: Callable[[], Iterable[str | None]]) -> None:
        """Stop asking ``source``."""
        with contextlib.suppress(ValueError):
            self._sources.remove(source)

    def __call__(self) -> list[str]:
        found: list[str] = []
        for source in list(self._sources):
            try:
                found.extend(value for value in source() if value)
            except Exception:  # noqa: BLE001  (see the class docstring)
                continue
        return found


LOG_SECRETS = LogSecrets()
LOG_SECRETS.add(lambda: [os.environ.get(LICENSE_ENV)])


def install_file_log(path: Path | None = None) -> logging.Handler | None:
    """Log to a rotating file (default: ``paths.log_dir()/navtalk-desktop.log``), redacted.

    Returns:
        The handler added to the root logger, or None when the file cannot be opened
        (the app runs on without it; the reason goes to the other handlers).
    """
    try:
        target = path or paths.log_dir() / LOG_FILE_NAME
        handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as error:
        log.warning("cannot write the log file: %s", error)
        return None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    # On the handler, not a logger: records of every library pass through it.
    handler.addFilter(RedactingFilter(LOG_SECRETS))
    logging.getLogger().addHandler(handler)
    return handler


def configure_logging(level: str | int = "INFO") -> logging.Handler | None:
    """Console and file logging for the app, every handler redacting licenses."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(LOG_SECRETS))
    return install_file_log()


def run(args: argparse.Namespace) -> int:
    """Start the app and block until it quits; return the process exit code."""
    file_log = configure_logging(os.environ.get("NAVTALK_LOG_LEVEL", "INFO"))
    try:
        return _run_app(args)
    finally:
        if file_log is not None:
            logging.getLogger().removeHandler(file_log)
            file_log.close()


def _run_app(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("NavTalk Desktop")
    app.setOrganizationName("NavTalk")
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(resource_paths.APP_ID)
    app.setWindowIcon(application_icon())
    # Quit is driven explicitly so the loop is still alive for async clean-up (P10).
    app.setQuitOnLastWindowClosed(False)
    install_excepthook()
    theme = ThemeManager(app)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(run_main_window(app, args, theme))


def application_icon() -> QIcon:
    """The app icon at every packaged size (crisp on high-DPI screens); empty if missing."""
    icon = QIcon()
    try:
        # Exact renders for every common size first; the SVG covers anything larger.
        for size, path in resource_paths.icon_paths().items():
            icon.addFile(str(path), QSize(size, size))
        icon.addFile(str(resource_paths.svg_icon_path()))
    except (FileNotFoundError, ValueError) as error:
        log.warning("application icon not found: %s", error)
    return icon


async def run_main_window(app: QApplication, args: argparse.Namespace, theme: ThemeManager) -> int:
    """Build the window, wait for the user to quit, then shut down in order."""
    quit_requested = asyncio.Event()
    workbench = await Workbench.create(args, theme=theme)
    workbench.window.quit_requested.connect(quit_requested.set)
    app.aboutToQuit.connect(quit_requested.set)
    workbench.window.show()
    log.info("main window shown")
    workbench.start(args)
    if args.screenshot is not None:
        QTimer.singleShot(300, lambda: save_screenshot(workbench.window, args.screenshot))
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), quit_requested.set)
    await quit_requested.wait()
    log.info("shutting down")
    await workbench.close()
    return 0


class Workbench:
    """Everything the running app consists of, wired together.

    Build with :meth:`create` (on the running qasync loop), call :meth:`start` after the
    window is shown, and :meth:`close` to shut down in order.

    Attributes:
        window: the main window with every panel attached.
        bridge: the session bridge.
        simulator: the in-process simulator (None if it could not start).
        tasks: owner of every UI coroutine.
        executor: where file work runs (never qasync's default executor, P7).
        editor: the tool set editor model.
        panels: the panels by key (connection, tools, timeline, call_desk, conversation).
        examples: the bundled examples with their local services, once one was opened
            (the workbench owns them and stops them in :meth:`close`).
    """

    def __init__(self) -> None:
        self.window: MainWindow
        self.bridge: SessionBridge
        self.simulator: SimulatorServer | None = None
        self._simulator_config: SimulatorConfig | None = None
        self._simulator_task: asyncio.Task[str | None] | None = None
        self.tasks = TaskRunner()
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="navtalk-files")
        self.editor: ToolSetEditor
        self.panels: dict[str, Any] = {}
        self.settings = AppSettings()
        self.settings_file: SettingsFile
        self._settings_writable = True
        self._transient_profiles: set[str] = set()
        self._layout: QSettings
        self._secrets = KeyringSecretStore()
        self._http = AiohttpClient()
        self._startup_notes: list[tuple[str, str]] = []
        self._recording: Path | None = None
        self.examples: ExampleEnvironment | None = None
        self._examples_lock = asyncio.Lock()
        self._closed = False
        LOG_SECRETS.add(self._licenses_in_memory)

    # ------------------------------------------------------------------ building
    @classmethod
    async def create(
        cls,
        args: argparse.Namespace,
        *,
        theme: ThemeManager | None = None,
        layout_settings: QSettings | None = None,
        simulator_config: SimulatorConfig | None = None,
        settings_file: SettingsFile | None = None,
    ) -> Workbench:
        """Build settings, session bridge, panels and window (not yet shown).

        The simulator starts in :meth:`start`, once the window is shown.

        Args:
            args: parsed command line (see :func:`configure_parser`).
            theme: the palette manager (View ▸ Theme); None leaves the palette alone.
            layout_settings: where the window layout is remembered (default: an INI file
                in the app's config directory).
            simulator_config: configuration of the in-process simulator.
            settings_file: profiles and preferences (default: the app's settings file).
        """
        self = cls()
        self._simulator_config = simulator_config
        try:
            await self._build(args, theme, layout_settings, settings_file)
        except BaseException:
            await self._release()
            raise
        return self

    async def _build(
        self,
        args: argparse.Namespace,
        theme: ThemeManager | None,
        layout_settings: QSettings | None,
        settings_file: SettingsFile | None,
    ) -> None:
        self.settings_file = settings_file or SettingsFile()
        try:
            self.settings = await self.run_blocking(self.settings_file.load)
        except SettingsFileError as error:
            # Keep the user's file untouched (it may be fixable by hand): this run uses
            # defaults and does not save over it.
            self._settings_writable = False
            self._startup_notes.append(
                ("error", f"{error} — using default profiles; changes will not be saved.")
            )
        profiles = list(self.settings.profiles)
        profile = self._choose_profile(profiles, args)
        toolset_path, self._recording = self._sort_files(args)
        self.editor = await self._open_toolset(toolset_path)
        factory = self._responder_factory
        # The user's trusted scripts plus the bundled example scripts (exact contents).
        trust = default_script_trust()
        self._trust = trust

        def dispatcher_for(session: Session) -> Dispatcher:
            return Dispatcher(
                session, self.editor.toolset, factory=factory(), mode=DispatchMode.MANUAL
            )

        self.bridge = SessionBridge(
            profile=profile,
            transport_factory=WebSocketTransport,
            secrets=self._secrets,
            tasks=self.tasks,
            toolset=self.editor.toolset,
            dispatcher_factory=dispatcher_for,
            simulator_url=None,  # known once start() has started the simulator
        )
        env_license = os.environ.get(LICENSE_ENV, "").strip()
        if env_license and not profile.local_simulator:
            self.bridge.set_session_license(profile.name, env_license)
        if args.url and (key := license_from_url(args.url)):
            self.bridge.set_session_license(profile.name, key)

        window = MainWindow(self.tasks)
        window.setWindowIcon(application_icon())
        if theme is not None:
            window.set_theme_manager(theme)
        connection = ConnectionPanel(self.bridge, profiles)
        tools = ToolsPanel(
            self.editor,
            self.tasks,
            files=ToolSetFileStore(),
            runner=ChainRunner(factory()),
            bridge=self.bridge,
            script_trust=trust,
        )
        timeline = TimelinePanel(self.bridge, self.executor)
        call_desk = CallDesk(self.bridge, self.editor)
        conversation = ConversationPanel(self.bridge)
        self.panels = {
            "connection": connection,
            "tools": tools,
            "timeline": timeline,
            "call_desk": call_desk,
            "conversation": conversation,
        }
        window.attach(
            self.bridge,
            connection=connection,
            timeline=timeline,
            call_desk=call_desk,
            conversation=conversation,
            tools=tools,
        )
        # Every change (definitions, responder chains, approve settings, quick replies)
        # reaches the running dispatcher, not only changes to what is registered.
        tools.toolset_changed.connect(self.bridge.set_toolset)
        window.set_examples([(e.key, e.title, e.description) for e in EXAMPLES])
        window.example_requested.connect(self.open_example)
        tools.set_example_actions(window.example_actions)
        connection.profiles_changed.connect(lambda _profiles: self.save_settings())
        self.bridge.profile_changed.connect(self.save_settings)
        self.window = window
        self._layout = layout_settings or QSettings(
            str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat
        )
        window.restore_layout(self._layout)

    def _responder_factory(self) -> ResponderFactory:
        return _DocumentResponderFactory(
            self._document_folder,
            http=self._http,
            scripts=SubprocessScriptRunner(),
            trust=self._trust,
        )

    def _document_folder(self) -> Path | None:
        # Relative script paths belong to the open tool set file, whichever it is now.
        return self.editor.path.parent if self.editor.path is not None else None

    def _licenses_in_memory(self) -> list[str]:
        bridge = getattr(self, "bridge", None)
        if bridge is None:
            return []
        return [*bridge.session.secrets_in_use(), *bridge.secrets.memory_values()]

    def _sort_files(self, args: argparse.Namespace) -> tuple[Path | None, Path | None]:
        """Split FILE arguments into the tool set and the recording to open.

        Unknown, missing and surplus files become start-up notes; the app starts anyway.
        """
        toolsets: list[Path] = [args.tools] if args.tools is not None else []
        recordings: list[Path] = []
        for path in getattr(args, "files", None) or []:
            suffix = path.suffix.lower()
            if not path.is_file():
                what = "a folder" if path.is_dir() else "no such file"
                self._startup_notes.append(("error", f"Cannot open {path}: {what}."))
            elif suffix == TOOLSET_SUFFIX:
                toolsets.append(path)
            elif suffix == RECORDING_SUFFIX:
                recordings.append(path)
            else:
                self._startup_notes.append(
                    (
                        "error",
                        f"Cannot open {path.name}: expected a tool set ({TOOLSET_SUFFIX}) or "
                        f"a session recording ({RECORDING_SUFFIX}).",
                    )
                )
        for kind, found in (("tool set", toolsets), ("session recording", recordings)):
            if len(found) > 1:
                skipped = ", ".join(p.name for p in found[1:])
                self._startup_notes.append(
                    (
                        "warning",
                        f"One {kind} opens at a time: opened {found[0].name}, not {skipped}.",
                    )
                )
        return (toolsets[0] if toolsets else None), (recordings[0] if recordings else None)

    async def _start_simulator(self) -> str | None:
        """Start the built-in simulator; its WebSocket URL, or None when it cannot start."""
        from navtalk_desktop.simulator.config import SimulatorConfig
        from navtalk_desktop.simulator.server import SimulatorServer

        simulator = SimulatorServer(self._simulator_config or SimulatorConfig())
        try:
            await simulator.start("127.0.0.1", 0)
        except OSError as error:
            self.window.notifications.notify(
                f"The built-in simulator could not start: {error}", "error"
            )
            return None
        except BaseException:
            # Shut down while starting: do not leave a half-started server behind.
            with contextlib.suppress(Exception):
                await simulator.stop()
            raise
        self.simulator = simulator
        log.info("built-in simulator listening on %s", simulator.ws_url)
        return simulator.ws_url

    def _choose_profile(
        self, profiles: list[ConnectionProfile], args: argparse.Namespace
    ) -> ConnectionProfile:
        wanted = args.profile or self.settings.active_profile or LOCAL_SIMULATOR
        profile = next((p for p in profiles if p.name == wanted), None)
        if profile is None:
            if args.profile:
                known = ", ".join(p.name for p in profiles)
                self._startup_notes.append(
                    ("error", f"There is no profile called “{args.profile}” (known: {known}).")
                )
            profile = self.settings.active()
            if all(p.name != profile.name for p in profiles):
                profiles.insert(0, profile)
        if args.url:
            # A URL on the command line is a one-off target: it gets its own profile that
            # is not saved, and a license in it moves to memory (never to disk).
            url = strip_license(args.url)
            try:
                profile = ConnectionProfile(
                    name=COMMAND_LINE_PROFILE,
                    url=url,
                    avatar_name=profile.avatar_name or "navtalk.Emily",
                    avatar_id=profile.avatar_id,
                    voice=profile.voice,
                    prompt=profile.prompt,
                    provider=profile.provider,
                    registration=profile.registration,
                    result_style=profile.result_style,
                    reconnect=profile.reconnect,
                )
            except ValueError as error:
                self._startup_notes.append(("error", f"--url ignored: {error}"))
            else:
                profiles[:] = [p for p in profiles if p.name != COMMAND_LINE_PROFILE]
                profiles.insert(0, profile)
                self._transient_profiles.add(COMMAND_LINE_PROFILE)
        return profile

    async def _open_toolset(self, path: Path | None) -> ToolSetEditor:
        store = ToolSetFileStore()
        default_path = paths.data_dir() / DEFAULT_TOOLSET_FILE
        target = path or default_path
        toolset: ToolSet | None = None
        if path is not None or default_path.exists():
            try:
                toolset = await self.run_blocking(lambda: store.load(target))
            except Exception as error:  # noqa: BLE001  (reported; the app starts anyway)
                self._startup_notes.append(
                    ("error", f"Could not open the tool set {target}: {error}")
                )
                if path is not None:
                    target = default_path
        if toolset is None:
            toolset = ToolSet(
                name="My tools",
                description="Tools registered with NavTalk when you connect.",
                tools=(new_entry("function_call_judge"),),
            )
        return ToolSetEditor(
            toolset,
            path=target,
            store=store,
            recovery_path=paths.data_dir() / "tools.recovered.json",
        )

    # ------------------------------------------------------------------ running
    def start(self, args: argparse.Namespace) -> None:
        """After the window is shown: the simulator, start-up notices, --auto and --connect.

        The simulator starts in the background; the bridge defers a connect to the
        Local simulator profile (the button or ``--connect``) until its URL is known.
        """
        if self._simulator_task is None:
            self._simulator_task = self.tasks.start(self._start_simulator(), name="start-simulator")
            self.bridge.expect_simulator(self._simulator_task)
        for level, text in self._startup_notes:
            self.window.notifications.notify(text, level)
        self._startup_notes.clear()
        if args.auto:
            self.bridge.set_answer_mode("auto")
        if self._recording is not None:
            self.panels["timeline"].import_jsonl(self._recording)
            if args.connect:
                # Connecting would start a new live timeline in place of the recording.
                self.window.notifications.notify(
                    f"Not connecting at start-up: {self._recording.name} is open for review.",
                    "warning",
                )
            return
        if args.connect:
            self.panels["connection"].toggle_connection()

    # ------------------------------------------------------------------ examples
    def open_example(self, key: str) -> asyncio.Task[Any]:
        """Start the example services (first time) and open example ``key`` in the editor."""
        return self.tasks.start(self._open_example(key), name=f"open-example-{key}")

    async def _open_example(self, key: str) -> None:
        choice = next((e for e in EXAMPLES if e.key == key), None)
        if choice is None:
            self.window.notifications.notify(f"There is no example called “{key}”.", "error")
            return
        try:
            environment = await self._example_environment()
            path = choice.path(environment.paths)
            if self.editor.path != path:
                toolset = await self.run_blocking(lambda: environment.load_toolset(path))
                if not self.open_document(toolset, path):
                    return
        except Exception as error:  # noqa: BLE001  (shown to the user; nothing changed)
            log.warning("opening the example %s failed: %s", key, error)
            self.window.notifications.notify(
                f"Could not open the example “{choice.title}”: {error}", "error"
            )
            return
        sentences = " · ".join(f"“{s}”" for s in choice.sentences)
        # A live session keeps the tools it registered; the new ones go out on connect.
        first = "Reconnect to register its tools" if self.bridge.is_active else "Press Connect"
        self.window.notifications.notify(
            f"Opened the example “{choice.title}”; its services run on 127.0.0.1. {first}, "
            f"then type {sentences}",
            "success",
            timeout_ms=EXAMPLE_NOTE_MS,
        )

    async def _example_environment(self) -> ExampleEnvironment:
        async with self._examples_lock:
            if self.examples is None:
                # Copying files and building the SQLite databases is file work: not on
                # the GUI thread. The services then listen on the loop.
                example_paths = await self.run_blocking(install_examples)
                from navtalk_desktop.examples.services import ExampleServices

                services = ExampleServices(example_paths)
                await services.start()
                self.examples = ExampleEnvironment(example_paths, services)
                log.info("example services started: %s", services.variables())
            return self.examples

    def open_document(self, toolset: ToolSet, path: Path) -> bool:
        """Edit ``toolset`` (stored at ``path``) in place of the current tool set.

        The current set's unsaved edits are saved to its own file first; when that fails,
        nothing changes (the reason is shown) and False is returned.
        """
        previous = self.editor
        if previous.dirty and previous.path is not None and not previous.save():
            return False
        editor = ToolSetEditor(
            toolset,
            path=path,
            store=ToolSetFileStore(),
            recovery_path=paths.data_dir() / "tools.recovered.json",
        )
        self.editor = editor
        self.panels["tools"].set_editor(editor)
        self.panels["call_desk"].set_editor(editor)
        self.bridge.set_toolset(editor.toolset)
        log.info("opened the tool set %s", path)
        return True

    async def run_blocking(self, function: Callable[[], T]) -> T:
        """Run blocking file work on the app's executor (never on the GUI thread)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function)

    def save_settings(self) -> None:
        """Persist profiles and the active profile (in the background)."""
        if not self._settings_writable or self._closed:
            return
        connection = self.panels.get("connection")
        profiles = connection.profiles if connection is not None else list(self.settings.profiles)
        profiles = [p for p in profiles if p.name not in self._transient_profiles]
        active = self.bridge.profile.name
        if active in self._transient_profiles:
            active = self.settings.active_profile
        try:
            settings = AppSettings(tuple(profiles), active, dict(self.settings.preferences))
        except ValueError as error:
            self.window.notifications.notify(f"Settings not saved: {error}", "error")
            return
        if settings == self.settings:
            # Nothing changed: e.g. the simulator's URL arriving after start-up re-emits
            # profile_changed. Do not rewrite the file for that.
            return
        self.settings = settings
        self.tasks.start(self._write_settings(settings), name="save-settings")

    async def _write_settings(self, settings: AppSettings) -> None:
        try:
            await self.run_blocking(lambda: self.settings_file.save(settings))
        except OSError as error:
            self.window.notifications.notify(f"Could not save the settings: {error}", "error")

    # ------------------------------------------------------------------ shutdown
    async def close(self) -> None:
        """Remember the layout, disconnect, stop background work and the simulator."""
        if self._closed:
            return
        self._closed = True
        self.window.save_layout(self._layout)
        self._layout.sync()
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT_S):
                await self.bridge.close()
        except TimeoutError:
            log.warning(
                "disconnecting took longer than %.0f s; continuing shutdown", SHUTDOWN_TIMEOUT_S
            )
        with contextlib.suppress(Exception):
            if self.editor.dirty and self.editor.path is not None:
                self.editor.save()
        await self.tasks.cancel_all()
        self.window.shutdown()
        self.window.hide()
        self.window.deleteLater()
        await self._release()

    async def _release(self) -> None:
        LOG_SECRETS.discard(self._licenses_in_memory)
        if self.examples is not None:
            with contextlib.suppress(Exception):
                await self.examples.close()
        if self.simulator is not None:
            with contextlib.suppress(Exception):
                await self.simulator.stop()
        with contextlib.suppress(Exception):
            await self._http.close()
        self._secrets.close()
        # Never wait for a stuck file operation at exit (P7).
        self.executor.shutdown(wait=False, cancel_futures=True)


class _DocumentResponderFactory(ResponderFactory):
    """A responder factory whose script folder follows the open tool set document.

    Dispatchers and the test-call runner keep their factory for a long time, while the
    document can change (Examples menu): relative script paths must resolve against the
    file that is open when a call arrives.
    """

    def __init__(self, folder: Callable[[], Path | None], **kwargs: Any) -> None:
        self._folder = folder
        super().__init__(**kwargs)

    @property
    def base_dir(self) -> Path | None:
        """The open tool set file's folder."""
        return self._folder()

    @base_dir.setter
    def base_dir(self, value: Path | None) -> None:
        del value  # always derived from the open document


def save_screenshot(window: MainWindow, path: Path) -> bool:
    """Save ``window.grab()`` as PNG at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if window.grab().save(str(path)):
        log.info("screenshot saved to %s", path)
        return True
    log.error("could not save screenshot to %s", path)
    return False


def install_excepthook() -> None:
    """Log uncaught exceptions and show them in a non-modal box instead of dying."""

    def hook(
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception:\n%s", text)
        if QApplication.instance() is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical, "Unexpected error", f"{exc_type.__name__}: {exc}"
        )
        box.setDetailedText(text)
        # open(), not exec(): a nested event loop inside a coroutine re-enters asyncio (P2).
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.open()

    sys.excepthook = hook
