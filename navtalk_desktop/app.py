"""Composition root: QApplication, the qasync loop, infra adapters, core services and UI.

This is the only module that imports both ``ui`` and ``infra``. :class:`Workbench` builds
everything the running app consists of (also used by the GUI tests and the screenshot
script), :func:`run` drives its lifetime on a qasync loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import re
import sys
import threading
import time
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

import navtalk_desktop
from navtalk_desktop import resource_paths
from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchMode
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.licenses import LicenseNotice
from navtalk_desktop.core.profile import (
    LOCAL_SIMULATOR,
    ConnectionProfile,
    license_from_url,
    strip_license,
)
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.redact import RedactingFilter
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.core.tools.consent import HostAllowList
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.consent_file import ConsentFile
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.keyring_store import KeyringSecretStore
from navtalk_desktop.infra.recording import RecordingFileStore
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError
from navtalk_desktop.infra.toolset_file import TOOLSET_SUFFIX as TOOLSET_FILE_SUFFIX
from navtalk_desktop.infra.toolset_file import OpenedToolFile, ToolSetFileStore, open_tool_file
from navtalk_desktop.ui.calls.call_desk import CallDesk
from navtalk_desktop.ui.connection.connection_panel import ConnectionPanel
from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.main_window import MainWindow
from navtalk_desktop.ui.shell.session_bridge import SessionBridge
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import ThemeManager
from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel
from navtalk_desktop.ui.tools.consent_dialog import ConsentPrompter

# Start-up time is process start to the window shown (B5), so whatever the first screen
# does not need is loaded later: the simulator (with its server, ~70 ms of imports) once
# the shown window has been painted (Workbench.start); websockets with the first
# connection (websocket_transport); the tool editor when its tab is first shown or right
# after the first paint (Workbench._build_tools_panel); the bundled examples and their
# script trust when first used (_LazyScriptTrust); the log file after the first paint
# (StartupLog).
if TYPE_CHECKING:
    from navtalk_desktop.core.ports import Transport
    from navtalk_desktop.core.regression.suite import TestSource
    from navtalk_desktop.examples.environment import ExampleEnvironment
    from navtalk_desktop.examples.install import ExamplePaths
    from navtalk_desktop.infra.toolset_file import ScriptTrustFile
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer
    from navtalk_desktop.ui.regression.replay_dialog import ReplayDialog
    from navtalk_desktop.ui.regression.tests_panel import TestsPanel
    from navtalk_desktop.ui.tools.tools_panel import ToolsPanel

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
# Work the first screen does not need waits for the window's first paint, or this long
# when no paint comes (a window started hidden or minimised).
FIRST_PAINT_WAIT_MS = 300


@dataclass(frozen=True, slots=True)
class ExampleChoice:
    """One bundled example tool set offered in the Examples menu.

    Attributes:
        key: stable identifier (menu actions, tests).
        title: menu text.
        description: tooltip.
        tool_set: which tool set file of the installed examples it is (the name of its
            :class:`~navtalk_desktop.examples.install.ExamplePaths` property).
        sentences: what to type to see its tools called (the seed's examples).
    """

    key: str
    title: str
    description: str
    tool_set: str
    sentences: tuple[str, ...]

    def path(self, examples: ExamplePaths) -> Path:
        """Where the installed tool set file is."""
        path: Path = getattr(examples, self.tool_set)
        return path


EXAMPLES: tuple[ExampleChoice, ...] = (
    ExampleChoice(
        "use-cases",
        "The Five Use Cases (weather, knowledge base, sales, smart home, CRM)",
        "One tool per use case of NavTalk's function-calling guide, answered by local "
        "example services, SQLite databases and scripts started on demand",
        "use_cases",
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
        "judge",
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
        "--from-menu",
        action="store_true",
        help="started from the desktop menu: only warnings and errors go to standard error "
        "(the session journal); the log file keeps everything",
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
    # Imported here: logging.handlers (with pickle) is ~8 ms that the app spends once
    # its window is on screen (see StartupLog).
    import logging.handlers

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


class StartupLog(logging.Handler):
    """The log file, opened once the window is on screen; records until then wait for it.

    Opening the rotating file handler costs start-up time (its module with pickle, the
    file), so the app calls :meth:`open` once its shown window has been painted (and
    :meth:`close` opens it at the latest): it installs the file handler and writes every
    record kept so far through it, in order. Kept records are redacted when they arrive
    (with the licenses known then) and again on the way out. The console gets every
    record at once, as before.
    """

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self._path = path
        self._kept: list[logging.LogRecord] = []
        self.file_handler: logging.Handler | None = None
        self._opened = False
        # Redacted when kept, with the licenses known then (one may be forgotten by the
        # time the file opens); the file handler redacts again on the way out.
        self.addFilter(RedactingFilter(LOG_SECRETS))
        logging.getLogger().addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:  # logging override
        self._kept.append(record)

    def open(self) -> logging.Handler | None:
        """Open the log file and write the kept records (idempotent); the file handler."""
        if self._opened:
            return self.file_handler
        self._opened = True
        root = logging.getLogger()
        root.removeHandler(self)
        self.file_handler = handler = install_file_log(self._path)
        kept, self._kept = self._kept, []
        if handler is not None:
            for record in kept:
                if record.levelno >= handler.level:
                    handler.handle(record)
        return handler

    def close(self) -> None:
        """Open the file if that did not happen yet (nothing is lost), then close it."""
        self.open()
        if self.file_handler is not None:
            logging.getLogger().removeHandler(self.file_handler)
            self.file_handler.close()
        super().close()


def configure_logging(level: str | int = "INFO", console_level: str | int = 0) -> StartupLog:
    """Console and file logging for the app, every handler redacting licenses.

    The file log opens when :meth:`StartupLog.open` is called (once the window is on
    screen); records until then are kept for it.

    Args:
        level: what is logged at all (the file gets every record of this level and up).
        console_level: the console (standard error) shows only records of this level and
            up, besides ``level``; started from the menu that is WARNING, so the session
            journal is not filled with every connection's INFO lines.
    """
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(LOG_SECRETS))
        if console_level and getattr(handler, "stream", None) is sys.stderr:
            handler.setLevel(console_level)
    return StartupLog()


async def load_license_notices() -> list[LicenseNotice]:
    """Help → Licenses: the bundle's collected notices, or the installed distributions'."""
    # Imported when asked: importlib.metadata is start-up time the first screen does not need.
    from navtalk_desktop.infra import licenses

    return await asyncio.to_thread(licenses.available_notices)


def run(args: argparse.Namespace) -> int:
    """Start the app and block until it quits; return the process exit code."""
    file_log = configure_logging(
        os.environ.get("NAVTALK_LOG_LEVEL", "INFO"),
        logging.WARNING if getattr(args, "from_menu", False) else 0,
    )
    try:
        return _run_app(args, file_log.open)
    finally:
        file_log.close()


def _run_app(args: argparse.Namespace, after_show: Callable[[], object] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("NavTalk Desktop")
    app.setOrganizationName("NavTalk")
    QGuiApplication.setDesktopFileName(resource_paths.APP_ID)
    app.setWindowIcon(application_icon())
    # Quit is driven explicitly so the loop is still alive for async clean-up (P10).
    app.setQuitOnLastWindowClosed(False)
    install_excepthook()
    theme = ThemeManager(app)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(run_main_window(app, args, theme, after_show))


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


async def run_main_window(
    app: QApplication,
    args: argparse.Namespace,
    theme: ThemeManager,
    after_show: Callable[[], object] | None = None,
) -> int:
    """Build the window, wait for the user to quit, then shut down in order.

    ``after_show`` runs once the shown window has been painted (the app opens its log
    file then).
    """
    quit_requested = asyncio.Event()
    workbench = await Workbench.create(args, theme=theme)
    workbench.window.quit_requested.connect(quit_requested.set)
    app.aboutToQuit.connect(quit_requested.set)
    workbench.window.show()
    log.info("main window shown")
    # Nothing on the first screen shows the version; reading it may load the package
    # metadata machinery, which need not delay the window.
    app.setApplicationVersion(navtalk_desktop.__version__)
    if after_show is not None:
        workbench.after_first_paint(after_show)
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
        self.engine: EngineThread | None = None
        self._collector: GuiThreadCollector | None = None
        self._engine_http: AiohttpClient | None = None
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="navtalk-files")
        self.editor: ToolSetEditor
        self.panels: dict[str, Any] = {}
        self.settings = AppSettings()
        self.settings_file: SettingsFile
        self._settings_writable = True
        # One writer at a time, always writing the newest settings (self.settings): two
        # writes on the two-worker executor could finish out of order and leave the older
        # file behind.
        self._settings_unsaved = False
        self._settings_writer: asyncio.Task[None] | None = None
        self._transient_profiles: set[str] = set()
        self._layout: QSettings
        self._secrets = KeyringSecretStore()
        self._http = AiohttpClient()
        # Templates and rule regexes run in worker processes killed when over budget
        # (one pool per event loop: the engine thread's and the GUI's).
        self._sandbox = ProcessExpressionSandbox()
        self._startup_notes: list[tuple[str, str]] = []
        self._recording: Path | None = None
        # Why the tool set asked for on the command line could not be opened, if it could not.
        self.tools_failure: str | None = None
        self.examples: ExampleEnvironment | None = None
        # The user's trusted scripts plus the bundled example scripts where the app
        # installed them (real path and exact content).
        self._trust = _LazyScriptTrust()
        # Hosts webhooks may send call data to: loopback, plus what the user agreed to.
        self.hosts = HostAllowList(
            how_to_allow="reopen the tool set and allow it, or use Review trust… in the "
            "webhook step of the Tools panel"
        )
        self.consent: ConsentPrompter
        self._examples_lock = asyncio.Lock()
        self._first_paint = asyncio.Event()
        self._after_paint: list[Callable[[], object]] = []
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

        # The session, its transport and the dispatcher run on their own thread, so GUI
        # work (painting, models, their garbage) never delays an automatic answer.
        self.engine = EngineThread()
        # With a second Python thread, garbage cycles holding Qt objects must still be
        # destroyed on the GUI thread: collection runs there only (see GuiThreadCollector).
        self._collector = GuiThreadCollector()
        self._collector.start()
        # aiohttp sessions belong to one loop: the dispatcher's responders (engine loop)
        # get their own client; the tool editor's test calls keep self._http (GUI loop).
        engine_http = self._engine_http = AiohttpClient()

        def dispatcher_for(session: Session) -> Dispatcher:
            return Dispatcher(
                session,
                self.editor.toolset,
                factory=factory(engine_http),
                mode=DispatchMode.MANUAL,
            )

        self.bridge = SessionBridge(
            profile=profile,
            transport_factory=websocket_transport,
            secrets=self._secrets,
            tasks=self.tasks,
            toolset=self.editor.toolset,
            dispatcher_factory=dispatcher_for,
            simulator_url=None,  # known once start() has started the simulator
            engine=self.engine,
        )
        env_license = os.environ.get(LICENSE_ENV, "").strip()
        if env_license and not profile.local_simulator:
            self.bridge.set_session_license(profile.name, env_license)
        if args.url and (key := license_from_url(args.url)):
            self.bridge.set_session_license(profile.name, key)

        window = MainWindow(self.tasks)
        self.window = window
        # The application's icon when the app set one (the same files, loaded once).
        app_icon = QApplication.windowIcon()
        window.setWindowIcon(app_icon if not app_icon.isNull() else application_icon())
        if theme is not None:
            window.set_theme_manager(theme)
        window.set_examples([(e.key, e.title, e.description) for e in EXAMPLES])
        self.consent = ConsentPrompter(window, self._trust, self.hosts, ConsentFile())
        self.consent.notification_requested.connect(window.notifications.notify)
        window.set_license_loader(load_license_notices)
        window.example_requested.connect(self.open_example)
        window.replay_action.triggered.connect(self.ask_replay)
        connection = ConnectionPanel(self.bridge, profiles)
        timeline = TimelinePanel(self.bridge, self.executor, files=RecordingFileStore())
        call_desk = CallDesk(self.bridge, self.editor)
        from navtalk_desktop.infra.test_suite_file import SuiteFileStore

        call_desk.set_suite_files(SuiteFileStore())
        # Save Call as Test… on a timeline call row opens the call desk's one form.
        timeline.offer_save_test = True
        timeline.save_test_requested.connect(call_desk.open_save_test_for_call_id)
        conversation = ConversationPanel(self.bridge)
        self.panels = _Panels(window)
        self.panels.update(
            connection=connection,
            timeline=timeline,
            call_desk=call_desk,
            conversation=conversation,
        )
        window.attach(
            self.bridge,
            connection=connection,
            timeline=timeline,
            call_desk=call_desk,
            conversation=conversation,
            # Its tab is behind the Timeline's: built when first shown, right after the
            # window's first paint, or when the app needs it (panels["tools"]).
            build_tools=self._build_tools_panel,
        )
        # Test suites run in the app: a tab behind the Timeline's, built when first shown.
        tests_dock = window.add_deferred_panel(
            "tests", "Tests", self._build_tests_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        window.tabifyDockWidget(window.docks["timeline"], tests_dock)
        window.docks["timeline"].raise_()
        connection.profiles_changed.connect(lambda _profiles: self.save_settings())
        self.bridge.profile_changed.connect(self.save_settings)
        window.first_painted.connect(self._on_first_paint)
        self._layout = layout_settings or QSettings(
            str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat
        )
        window.restore_layout(self._layout)

    def _build_tests_panel(self) -> TestsPanel:
        """The Tests panel: the tool set's suites, run with the app's responders and simulator."""
        from navtalk_desktop.infra.regex_budget import RegexWithBudget
        from navtalk_desktop.infra.test_suite_file import SuiteFileStore
        from navtalk_desktop.suite_runner import AppCaseRunner
        from navtalk_desktop.ui.regression.tests_panel import TestsPanel

        async def simulator_url() -> str | None:
            task = self._simulator_task
            return None if task is None else await asyncio.shield(task)

        runner = AppCaseRunner(
            self._responder_factory, simulator_url, RegexWithBudget(self._sandbox)
        )
        panel = TestsPanel(self.editor, self.tasks, SuiteFileStore(), runner)
        panel.set_source_locator(self._show_source_call)
        self.panels["call_desk"].test_saved.connect(panel.suite_saved)
        return panel

    def _show_source_call(self, source: TestSource) -> bool:
        """Select a test's source call in the Timeline (raised); whether it is there."""
        timeline: TimelinePanel = self.panels["timeline"]
        if not timeline.show_call(source.call_id, source.time):
            return False
        self.window.docks["timeline"].raise_()
        return True

    def _build_tools_panel(self) -> ToolsPanel:
        """The tool editor, wired to the bridge and the Examples menu (built on demand)."""
        from navtalk_desktop.ui.tools.tools_panel import ToolsPanel

        tools = ToolsPanel(
            self.editor,
            self.tasks,
            files=ToolSetFileStore(),
            runner=ChainRunner(self._responder_factory()),
            bridge=self.bridge,
            script_trust=self._trust,
        )
        # Every change (definitions, responder chains, approve settings, quick replies)
        # reaches the running dispatcher, not only changes to what is registered.
        tools.toolset_changed.connect(self.bridge.set_toolset)
        tools.set_example_actions(self.window.example_actions)
        tools.tools_imported.connect(
            lambda toolset, path: self.consent.review(
                toolset, Path(path), self._document_folder() or Path(path).parent
            )
        )
        tools.trust_review_requested.connect(lambda: self.review_trust(always=True))
        tools.document_opened.connect(self._open_from_panel)
        menu = self.window.file_menu
        if menu.actions():
            menu.insertAction(menu.actions()[0], tools.open_action)
        else:
            menu.addAction(tools.open_action)
        if self.engine is not None:
            # Previews render in the worker processes, driven from the engine thread: the
            # GUI thread never waits for a template, and its loop holds no preview tasks.
            tools.chain_editor.template_page.set_sandbox(self._sandbox, self.engine.run)
        return tools

    def review_trust(self, *, always: bool = False) -> None:
        """Ask for consent to the open tool set's scripts and remote hosts, if needed.

        Args:
            always: show what it runs and calls even when everything is allowed already.
        """
        editor = self.editor
        self.consent.review(editor.toolset, editor.path, self._document_folder(), always=always)

    def _watch_saves(self, editor: ToolSetEditor) -> None:
        # The user's own edits, saved: keep the consent for the file's new contents, as
        # long as everything in it is allowed already (an unallowed import still asks).
        def on_event(event: EditorEvent) -> None:
            if event.kind is EditorEventKind.SAVED and editor is self.editor and editor.path:
                with contextlib.suppress(OSError):
                    self.consent.refresh(editor.toolset, editor.path, editor.path.parent)

        editor.add_listener(on_event)

    def after_first_paint(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the window has been painted after :meth:`start`.

        Runs at once if that has happened already. Work that would otherwise delay the
        first frame goes here; see ``FIRST_PAINT_WAIT_MS`` for a window never painted.
        """
        if self._first_paint.is_set():
            callback()
        else:
            self._after_paint.append(callback)

    def _on_first_paint(self) -> None:
        # The window's first paint (or, after start(), FIRST_PAINT_WAIT_MS without one).
        if self._simulator_task is not None:
            self._release_after_paint()
        # The panels behind tabs are built next, whether or not start() was called yet:
        # a window shown and left idle before start() has them before its work begins.
        QTimer.singleShot(0, self.window, self._build_deferred_panels)

    def _release_after_paint(self) -> None:
        if self._first_paint.is_set() or self._closed:
            return
        self._first_paint.set()  # the simulator starts
        callbacks, self._after_paint = self._after_paint, []
        for callback in callbacks:
            callback()

    def _build_deferred_panels(self) -> None:
        # Right after the first paint: the panels are ready before the user reaches for
        # them, and the tool editor's autosave and call previews work from the start.
        if not self._closed:
            self.window.ensure_panel("tools")

    def _responder_factory(self, http: AiohttpClient | None = None) -> ResponderFactory:
        return _DocumentResponderFactory(
            self._document_folder,
            http=http or self._http,
            hosts=self.hosts,
            scripts=SubprocessScriptRunner(),
            trust=self._trust,
            sandbox=self._sandbox,
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
        # Importing and starting the server (~70 ms) would hold up the first paint.
        await self._first_paint.wait()
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
        """The tool editor on ``path`` (``--tools`` / a FILE argument) or the default file.

        ``path`` opens in every format ``respond --tools`` accepts (the same loader): a tool
        set, or a tools array that is imported (then the editor has no file yet, so a save
        asks for a name instead of overwriting the array). When it cannot be opened the
        reason is shown and logged, :attr:`tools_failure` is set (so ``--connect`` does not
        connect with other tools than asked) and the default tool set opens instead.
        """
        store = ToolSetFileStore()
        default_path = paths.data_dir() / DEFAULT_TOOLSET_FILE
        target: Path | None = default_path
        toolset: ToolSet | None = None
        if path is not None:
            try:
                opened = await self.run_blocking(lambda: open_tool_file(path))
            except Exception as error:  # noqa: BLE001  (reported; the app starts anyway)
                reason = error.strerror if isinstance(error, OSError) and error.strerror else error
                self.tools_failure = f"Could not open the tool set {path}: {reason}"
                log.error("%s", self.tools_failure)
                self._startup_notes.append(("error", self.tools_failure))
            else:
                toolset = opened.toolset
                target = path
                if opened.imported:
                    target = None
                    self._note_import(path, opened)
        if toolset is None and default_path.exists():
            try:
                toolset = await self.run_blocking(lambda: store.load(default_path))
            except Exception as error:  # noqa: BLE001  (reported; the app starts anyway)
                self._startup_notes.append(
                    ("error", f"Could not open the tool set {default_path}: {error}")
                )
        if toolset is None:
            toolset = ToolSet(
                name="My tools",
                description="Tools registered with NavTalk when you connect.",
                tools=(new_entry("function_call_judge"),),
            )
        editor = ToolSetEditor(
            toolset,
            path=target,
            store=store,
            recovery_path=paths.data_dir() / "tools.recovered.json",
        )
        self._watch_saves(editor)
        return editor

    def _note_import(self, path: Path, opened: OpenedToolFile) -> None:
        count = len(opened.toolset.tools)
        text = (
            f"Imported {count} tool{'s' * (count != 1)} from {path.name} ({opened.format.label}); "
            "every call is answered by hand until you add responders. Save stores them as a "
            "tool set under a new name; the file itself is not changed."
        )
        log.info("%s", text)
        self._startup_notes.append(("info", text))
        for dropped in opened.dropped:
            self._startup_notes.append(("warning", f"{path.name}: ignored {dropped}"))

    # ------------------------------------------------------------------ running
    def start(self, args: argparse.Namespace) -> None:
        """After the window is shown: the simulator, start-up notices, --auto and --connect.

        The simulator starts in the background once the window has been painted (as does
        building the tool editor behind its tab); the bridge defers a connect to the
        Local simulator profile (the button or ``--connect``) until its URL is known.
        """
        if self._simulator_task is None:
            self._simulator_task = self.tasks.start(self._start_simulator(), name="start-simulator")
            self.bridge.expect_simulator(self._simulator_task)
            if self.window.painted:
                self._release_after_paint()
            else:
                QTimer.singleShot(FIRST_PAINT_WAIT_MS, self.window, self._on_first_paint)
        for level, text in self._startup_notes:
            self.window.notifications.notify(text, level)
        self._startup_notes.clear()
        # The tool set of the command line (or the last one) is data until the user
        # agrees to its scripts and remote hosts; a connect waits for the answer.
        asking = self.consent.review(self.editor.toolset, self.editor.path, self._document_folder())
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
            if self.tools_failure is not None:
                # Connecting would register other tools than the ones asked for.
                message = f"Not connecting at start-up: {self.tools_failure}"
                log.error("%s", message)
                self.window.notifications.notify(message, "error")
                return
            if asking is None:
                self.panels["connection"].toggle_connection()
            else:
                asking.finished.connect(
                    lambda _result: self.panels["connection"].toggle_connection()
                )

    # ------------------------------------------------------------------ examples
    def ask_replay(self) -> None:
        """File → Replay Recording as Server…: pick a recording, then serve it."""
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self.window, "Replay a recording as server")
        dialog.setNameFilter("JSON Lines (*.jsonl);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        # open(), never exec(): a nested event loop would re-enter asyncio (P2).
        dialog.fileSelected.connect(lambda path: self.open_replay(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_replay(self, recording: Path) -> ReplayDialog:
        """Serve ``recording`` on 127.0.0.1 and show the URL and, later, the report."""
        from navtalk_desktop.replay.service import ReplayServerService
        from navtalk_desktop.ui.regression.replay_dialog import ReplayDialog

        dialog = ReplayDialog(ReplayServerService(), recording, self.tasks, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.start()
        return dialog

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
                # Bundled scripts (where the app installed them) and loopback services
                # need no consent: this asks only if the user's edits added something.
                self.consent.review(toolset, path, path.parent)
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
                from navtalk_desktop.examples.environment import ExampleEnvironment
                from navtalk_desktop.examples.install import install_examples
                from navtalk_desktop.examples.services import ExampleServices

                example_paths = await self.run_blocking(install_examples)

                services = ExampleServices(example_paths)
                await services.start()
                self.examples = ExampleEnvironment(example_paths, services)
                log.info("example services started: %s", services.variables())
            return self.examples

    def _open_from_panel(self, toolset: ToolSet, path: Path | None, source: str) -> None:
        # Opened or imported from ``source``: its scripts and hosts are data until agreed.
        if self.open_document(toolset, path):
            self.consent.review(toolset, Path(source), Path(source).parent)

    def open_document(self, toolset: ToolSet, path: Path | None) -> bool:
        """Edit ``toolset`` (stored at ``path``; ``None``: imported, Save asks for a name)
        in place of the current tool set.

        The current set's unsaved edits are saved to its own file first; a set that never
        had a file (new or imported) is kept under ``<data>/unsaved/`` instead of being
        dropped, and the notification names that file. When either fails, nothing changes
        (the reason is shown) and False is returned.
        """
        previous = self.editor
        if previous.dirty and previous.path is None:
            if not self._keep_unsaved(previous):
                return False
        elif previous.dirty and not previous.save():
            return False
        editor = ToolSetEditor(
            toolset,
            path=path,
            store=ToolSetFileStore(),
            recovery_path=paths.data_dir() / "tools.recovered.json",
        )
        self.editor = editor
        self._watch_saves(editor)
        self.panels["tools"].set_editor(editor)
        self.panels["call_desk"].set_editor(editor)
        tests: TestsPanel | None = self.window.panels.get("tests")  # type: ignore[assignment]
        if tests is not None:  # only once built
            tests.set_editor(editor)
        self.bridge.set_toolset(editor.toolset)
        log.info("opened the tool set %s", path)
        return True

    def _keep_unsaved(self, editor: ToolSetEditor) -> bool:
        """Save a never-saved set under a unique name before it is replaced."""
        stamp = time.strftime("%Y-%m-%d %H-%M-%S")
        name = re.sub(r"[^\w. -]+", "_", editor.toolset.name or "Untitled").strip() or "Untitled"
        folder = paths.data_dir() / "unsaved"
        target = folder / f"{name} {stamp}{TOOLSET_FILE_SUFFIX}"
        counter = 1
        while target.exists():  # two replacements within one second
            counter += 1
            target = folder / f"{name} {stamp} ({counter}){TOOLSET_FILE_SUFFIX}"
        if not editor.save(target):
            return False  # SAVE_FAILED already told the user why
        self.window.notifications.notify(
            f"Your unsaved tool set “{editor.toolset.name}” was kept as {target} "
            "(Open… brings it back).",
            "info",
            timeout_ms=15_000,
        )
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
        self._settings_unsaved = True
        if self._settings_writer is None or self._settings_writer.done():
            self._settings_writer = self.tasks.start(self._write_settings(), name="save-settings")

    async def _write_settings(self) -> None:
        """Write ``self.settings`` until it is saved (changes meanwhile are merged)."""
        while self._settings_unsaved:
            self._settings_unsaved = False
            settings = self.settings
            try:
                await self.run_blocking(functools.partial(self.settings_file.save, settings))
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
        writer = self._settings_writer
        if writer is not None and not writer.done():
            # The last change must reach the file before the app goes.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SHUTDOWN_TIMEOUT_S):
                    await asyncio.shield(writer)
        await self.tasks.cancel_all()
        self.window.shutdown()
        self.window.hide()
        self.window.deleteLater()
        await self._release()

    async def _release(self) -> None:
        LOG_SECRETS.discard(self._licenses_in_memory)
        await self._stop_engine()
        collector, self._collector = self._collector, None
        if collector is not None:
            collector.stop()
            collector.deleteLater()
        if self.examples is not None:
            with contextlib.suppress(Exception):
                await self.examples.close()
        if self.simulator is not None:
            with contextlib.suppress(Exception):
                await self.simulator.stop()
        with contextlib.suppress(Exception):
            await self._http.close()
        with contextlib.suppress(Exception):
            await self._sandbox.close()
        self._secrets.close()
        # Never wait for a stuck file operation at exit (P7).
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def _stop_engine(self) -> None:
        """Stop the engine thread (after the bridge disconnected): nothing of it outlives us."""
        engine, self.engine = self.engine, None
        if engine is None:
            return
        if self._engine_http is not None:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(engine.run(self._engine_http.close()))
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(engine.run(self._sandbox.close()))
        leftovers = engine.stop()
        if leftovers:
            log.warning("stopping the engine cancelled: %s", ", ".join(leftovers))


def websocket_transport() -> Transport:
    """A new WebSocket transport (the bridge's transport factory).

    websockets' client is ~20 ms of imports that the first screen does not need: it is
    loaded with the first connection instead of before the window is shown.
    """
    from navtalk_desktop.infra.ws_transport import WebSocketTransport

    return WebSocketTransport()


class _LazyScriptTrust:
    """The app's script trust, read the first time a script's trust is asked or given.

    It is the user's trust file plus the bundled example scripts at their installed
    place (path and content): reading
    and hashing those files (and importing the examples package) is work the first screen
    does not need, while the session's dispatcher, built with the bridge, holds the trust
    from the start. Safe to use from the engine thread as well as the GUI thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trust: ScriptTrustFile | None = None

    def _loaded(self) -> ScriptTrustFile:
        with self._lock:
            if self._trust is None:
                from navtalk_desktop.examples.environment import default_script_trust

                self._trust = default_script_trust()
            return self._trust

    def is_trusted(self, path: Path) -> bool:
        """Whether the file's current content was trusted (or is a bundled example's)."""
        return self._loaded().is_trusted(path)

    def trust(self, path: Path) -> str:
        """Trust the file's current content; returns its hash. Raises OSError."""
        return self._loaded().trust(path)


class _Panels(dict[str, Any]):
    """The workbench's panels by key; a deferred one is built when first looked up.

    ``panels["tools"]`` always returns the tool editor, building it if its dock has not
    been shown yet (see :meth:`MainWindow.add_deferred_panel`); ``get`` never builds.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self._window = window

    def __missing__(self, key: str) -> Any:
        panel = self._window.ensure_panel(key)
        if panel is None:
            raise KeyError(key)
        self[key] = panel
        return panel


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
