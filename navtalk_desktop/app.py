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
import os
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

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
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session import Session
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.core.tool_templates import new_entry
from navtalk_desktop.core.toolset import ToolSet
from navtalk_desktop.core.toolset_editor import ToolSetEditor
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.keyring_store import KeyringSecretStore
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError
from navtalk_desktop.infra.toolset_file import ScriptTrustFile, ToolSetFileStore
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.ui.call_desk import CallDesk
from navtalk_desktop.ui.connection_panel import ConnectionPanel
from navtalk_desktop.ui.conversation_panel import ConversationPanel
from navtalk_desktop.ui.main_window import MainWindow
from navtalk_desktop.ui.session_bridge import SessionBridge
from navtalk_desktop.ui.tasks import TaskRunner
from navtalk_desktop.ui.theme import ThemeManager
from navtalk_desktop.ui.timeline_panel import TimelinePanel
from navtalk_desktop.ui.tools_panel import ToolsPanel

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TOOLSET_FILE = "tools.json"
COMMAND_LINE_PROFILE = "Command line"
# Licenses for non-simulator profiles can come from the environment, as for `respond`.
LICENSE_ENV = "NAVTALK_LICENSE"
SHUTDOWN_TIMEOUT_S = 5.0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of the desktop app (``navtalk-desktop [gui] …``)."""
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


def run(args: argparse.Namespace) -> int:
    """Start the app and block until it quits; return the process exit code."""
    logging.basicConfig(
        level=os.environ.get("NAVTALK_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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
    """

    def __init__(self) -> None:
        self.window: MainWindow
        self.bridge: SessionBridge
        self.simulator: SimulatorServer | None = None
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
        self._closed = False

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
        """Build settings, simulator, session bridge, panels and window (not yet shown).

        Args:
            args: parsed command line (see :func:`configure_parser`).
            theme: the palette manager (View ▸ Theme); None leaves the palette alone.
            layout_settings: where the window layout is remembered (default: an INI file
                in the app's config directory).
            simulator_config: configuration of the in-process simulator.
            settings_file: profiles and preferences (default: the app's settings file).
        """
        self = cls()
        try:
            await self._build(args, theme, layout_settings, simulator_config, settings_file)
        except BaseException:
            await self._release()
            raise
        return self

    async def _build(
        self,
        args: argparse.Namespace,
        theme: ThemeManager | None,
        layout_settings: QSettings | None,
        simulator_config: SimulatorConfig | None,
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
        self.simulator = await self._start_simulator(simulator_config)
        profiles = list(self.settings.profiles)
        profile = self._choose_profile(profiles, args)
        self.editor = await self._open_toolset(args.tools)
        factory = self._responder_factory
        trust = ScriptTrustFile()
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
            simulator_url=self.simulator.ws_url if self.simulator is not None else None,
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
        tools.tools_changed.connect(lambda _tools: self.bridge.set_toolset(self.editor.toolset))
        connection.profiles_changed.connect(lambda _profiles: self.save_settings())
        self.bridge.profile_changed.connect(self.save_settings)
        self.window = window
        self._layout = layout_settings or QSettings(
            str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat
        )
        window.restore_layout(self._layout)

    def _responder_factory(self) -> ResponderFactory:
        base_dir = self.editor.path.parent if self.editor.path is not None else None
        return ResponderFactory(
            http=self._http, scripts=SubprocessScriptRunner(), trust=self._trust, base_dir=base_dir
        )

    async def _start_simulator(self, config: SimulatorConfig | None) -> SimulatorServer | None:
        simulator = SimulatorServer(config or SimulatorConfig())
        try:
            await simulator.start("127.0.0.1", 0)
        except OSError as error:
            self._startup_notes.append(
                ("error", f"The built-in simulator could not start: {error}")
            )
            return None
        log.info("built-in simulator listening on %s", simulator.ws_url)
        return simulator

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
        """After the window is shown: start-up notices, --auto and --connect."""
        for level, text in self._startup_notes:
            self.window.notifications.notify(text, level)
        self._startup_notes.clear()
        if args.auto:
            self.bridge.set_answer_mode("auto")
        if args.connect:
            self.panels["connection"].toggle_connection()

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
        if self.simulator is not None:
            with contextlib.suppress(Exception):
                await self.simulator.stop()
        with contextlib.suppress(Exception):
            await self._http.close()
        self._secrets.close()
        # Never wait for a stuck file operation at exit (P7).
        self.executor.shutdown(wait=False, cancel_futures=True)


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
