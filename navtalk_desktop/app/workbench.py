"""The workbench: everything the running app consists of, wired together.

This is where the infra adapters, the core services and the UI meet (the ``app``
package is the only part that imports both ``ui`` and ``infra``). The GUI tests and the
screenshot script build a :class:`Workbench` as the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from navtalk_desktop.app.avatar_dock import add_avatar_dock
from navtalk_desktop.app.builtin_simulator import BuiltinSimulator
from navtalk_desktop.app.composer import install_composer
from navtalk_desktop.app.engine_host import adapter_on_thread, adapter_over_process
from navtalk_desktop.app.examples_menu import EXAMPLES, ExampleLauncher
from navtalk_desktop.app.guide import Guide
from navtalk_desktop.app.icon import application_icon
from navtalk_desktop.app.license_notices import load_license_notices
from navtalk_desktop.app.logs import LICENSE_ENV, LOG_SECRETS
from navtalk_desktop.app.open_toolset_memory import remember_toolset, remembered_toolset
from navtalk_desktop.app.panels import Panels, build_tests_panel, build_tools_panel
from navtalk_desktop.app.replay_menu import ask_replay, open_replay
from navtalk_desktop.app.responders import DocumentResponderFactory, LazyScriptTrust
from navtalk_desktop.app.settings_writer import SettingsWriter
from navtalk_desktop.app.startup import StartupRequest
from navtalk_desktop.app.unsaved_toolset import keep_unsaved
from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.profile import license_from_url
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.core.tools.consent import HostAllowList
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.engine_process.design import EngineDesign, chosen_design
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.consent_file import ConsentFile
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.keyring_store import KeyringSecretStore
from navtalk_desktop.infra.recording import RecordingFileStore
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.calls.call_desk import CallDesk
from navtalk_desktop.ui.connection.connection_panel import ConnectionPanel
from navtalk_desktop.ui.conversation.conversation_panel import ConversationPanel
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from navtalk_desktop.ui.shell.main_window import MainWindow
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import ThemeManager
from navtalk_desktop.ui.timeline.timeline_panel import TimelinePanel
from navtalk_desktop.ui.tools.consent_dialog import ConsentPrompter

# Start-up time is process start to the window shown (B5), so whatever the first screen
# does not need is loaded later: the simulator (with its server, ~70 ms of imports) once
# the shown window has been painted (Workbench.start); websockets with the first
# connection (websocket_transport); the tool editor when its tab is first shown or right
# after the first paint (app.panels.build_tools_panel); the bundled examples and their
# script trust when first used (LazyScriptTrust); the log file after the first paint
# (StartupLog).
if TYPE_CHECKING:
    from navtalk_desktop.core.ports import Transport
    from navtalk_desktop.core.regression.suite import TestSource
    from navtalk_desktop.examples.environment import ExampleEnvironment
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer
    from navtalk_desktop.ui.regression.replay_dialog import ReplayDialog
    from navtalk_desktop.ui.regression.tests_panel import TestsPanel

log = logging.getLogger(__name__)
T = TypeVar("T")

SHUTDOWN_TIMEOUT_S = 5.0
# Work the first screen does not need waits for the window's first paint, or this long
# when no paint comes (a window started hidden or minimised).
FIRST_PAINT_WAIT_MS = 300
ANSWER_MODE_KEY = "desk/answer_mode"
"""Where window.ini keeps the Call Desk's answer mode between runs."""


class Workbench:
    """Everything the running app consists of, wired together.

    Build with :meth:`create` (on the running qasync loop), call :meth:`start` after the
    window is shown, and :meth:`close` to shut down in order.

    Attributes:
        window: the main window with every panel attached.
        bridge: the session bridge.
        simulator: the in-process simulator (None until needed, or if it could not start).
        tasks: owner of every UI coroutine.
        executor: where file work runs (never qasync's default executor, P7).
        editor: the tool set editor model.
        panels: the panels by key (connection, tools, timeline, call_desk, conversation).
        examples: the bundled examples with their local services, once one was opened
            (the workbench owns them and stops them in :meth:`close`).
    """

    def __init__(self) -> None:
        self.window: MainWindow
        self.bridge: EngineAdapter
        self._simulator: BuiltinSimulator
        self._started = False
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
        self._settings_writer: SettingsWriter
        self._transient_profiles: set[str] = set()
        self._layout: QSettings
        self._secrets = KeyringSecretStore()
        self._http = AiohttpClient()
        # Templates and rule regexes run in worker processes killed when over budget
        # (one pool per event loop: the engine thread's and the GUI's).
        self.sandbox = ProcessExpressionSandbox()
        self._startup_notes: list[tuple[str, str]] = []
        self._recording: Path | None = None
        # Why the tool set asked for on the command line could not be opened, if it could not.
        self.tools_failure: str | None = None
        self._examples = ExampleLauncher(self)
        # The user's trusted scripts plus the bundled example scripts where the app
        # installed them (real path and exact content).
        self.script_trust = LazyScriptTrust()
        # Hosts webhooks may send call data to: loopback, plus what the user agreed to.
        self.hosts = HostAllowList(
            how_to_allow="reopen the tool set and allow it, or use Review trust… in the "
            "webhook step of the Tools panel"
        )
        self.consent: ConsentPrompter
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
        self._simulator = BuiltinSimulator(
            simulator_config,
            self.tasks,
            self._first_paint.wait,
            lambda text, level: self.window.notifications.notify(text, level),
        )
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
        self._settings_writer = SettingsWriter(
            self.settings_file,
            self.tasks,
            self.run_blocking,
            lambda text, level: self.window.notifications.notify(text, level),
        )
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
        startup = StartupRequest(self._startup_notes)
        profile = startup.choose_profile(self.settings, profiles, args)
        self._transient_profiles = startup.transient_profiles
        toolset_path, self._recording = startup.sort_files(args)
        self._layout = layout_settings or QSettings(
            str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat
        )
        if toolset_path is None:
            # The tool set open when the app last ran (its consent is asked again in
            # start(), as for any file: what it runs is data until the user agrees).
            toolset_path = remembered_toolset(self._layout)
        self.editor = await startup.open_toolset(toolset_path, self.run_blocking)
        remember_toolset(self._layout, self.editor.path)
        self.tools_failure = startup.tools_failure
        self._watch_saves(self.editor)
        # The session, its transport and the dispatcher run in a child process (or on
        # their own thread), so GUI work (painting, models, their garbage) never delays
        # an automatic answer.
        if chosen_design(getattr(args, "engine", None)) is EngineDesign.PROCESS:
            self.bridge = adapter_over_process(
                profile,
                toolset=self.editor.toolset,
                secrets=self._secrets,
                tasks=self.tasks,
                hosts=self.hosts,
                document_folder=self.document_folder,
                transport_factory=websocket_transport,
                media=not getattr(args, "no_media", False),
            )
        else:
            on_thread = adapter_on_thread(
                profile,
                toolset=lambda: self.editor.toolset,
                responders=self.responder_factory,
                secrets=self._secrets,
                tasks=self.tasks,
                transport_factory=websocket_transport,
                media=not getattr(args, "no_media", False),
            )
            self.bridge, self.engine = on_thread.adapter, on_thread.thread
            self._collector, self._engine_http = on_thread.collector, on_thread.http
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
        self.consent = ConsentPrompter(window, self.script_trust, self.hosts, ConsentFile())
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
        self.panels = Panels(window)
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
            build_tools=lambda: build_tools_panel(self),
        )
        # Test suites run in the app: a tab behind the Timeline's, built when first shown.
        window.add_deferred_panel(
            "tests", "Tests", lambda: build_tests_panel(self), Qt.DockWidgetArea.RightDockWidgetArea
        )
        window.tab_by_default("timeline", "tests")
        # View ▸ Frame Composer (a tab behind the Conversation) and Help ▸ Getting Started.
        self.guide = Guide(self, install_composer(self))
        add_avatar_dock(self)
        connection.profiles_changed.connect(lambda _profiles: self.save_settings())
        self.bridge.profile_changed.connect(self.save_settings)
        window.first_painted.connect(self._on_first_paint)
        window.restore_layout(self._layout)
        # The Call Desk answers as it did last time (--auto still wins, see _start).
        saved_mode = self._layout.value(ANSWER_MODE_KEY)
        if isinstance(saved_mode, str) and saved_mode in {m.value for m in DispatchMode}:
            self.bridge.set_answer_mode(saved_mode)

    @property
    def simulator(self) -> SimulatorServer | None:
        """The in-process simulator, once started (None before, or if it could not start)."""
        return self._simulator.server

    async def simulator_url(self) -> str | None:
        """The built-in simulator's URL (started now for a conversation test); None when
        it cannot start, or before :meth:`start`."""
        if self._started:
            self._simulator.ensure_started()
        return await self._simulator.url()

    def show_source_call(self, source: TestSource) -> bool:
        """Select a test's source call in the Timeline (raised); whether it is there."""
        timeline: TimelinePanel = self.panels["timeline"]
        if not timeline.show_call(source.call_id, source.time):
            return False
        self.window.docks["timeline"].raise_()
        return True

    def review_trust(self, *, always: bool = False) -> None:
        """Ask for consent to the open tool set's scripts and remote hosts, if needed.

        Args:
            always: show what it runs and calls even when everything is allowed already.
        """
        editor = self.editor
        self.consent.review(editor.toolset, editor.path, self.document_folder(), always=always)

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
        if self._started:
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

    def responder_factory(self, http: AiohttpClient | None = None) -> ResponderFactory:
        """A responder factory for the open document (``http``: default the GUI loop's)."""
        return DocumentResponderFactory(
            self.document_folder,
            http=http or self._http,
            hosts=self.hosts,
            scripts=SubprocessScriptRunner(),
            trust=self.script_trust,
            sandbox=self.sandbox,
        )

    def document_folder(self) -> Path | None:
        """The open tool set file's folder (relative script paths belong to it)."""
        return self.editor.path.parent if self.editor.path is not None else None

    def _licenses_in_memory(self) -> list[str]:
        bridge = getattr(self, "bridge", None)
        if bridge is None:
            return []
        found: list[str] = bridge.secrets_in_use()
        return found

    # ------------------------------------------------------------------ running
    def start(self, args: argparse.Namespace) -> None:
        """After the window is shown: the simulator, start-up notices, --auto and --connect.

        The simulator starts in the background once the window has been painted (as does
        building the tool editor behind its tab), only when a Local simulator profile is
        (or later becomes) active; the bridge defers a connect to it until its URL is known.
        """
        if not self._started:
            self._started = True
            bridge = self.bridge
            self._simulator.follow(lambda: bridge.profile.local_simulator, bridge.expect_simulator)
            bridge.profile_changed.connect(self._simulator.check)
            if self.window.painted:
                self._release_after_paint()
            else:
                QTimer.singleShot(FIRST_PAINT_WAIT_MS, self.window, self._on_first_paint)
        for level, text in self._startup_notes:
            self.window.notifications.notify(text, level)
        self._startup_notes.clear()
        # The tool set of the command line (or the last one) is data until the user
        # agrees to its scripts and remote hosts; a connect waits for the answer.
        asking = self.consent.review(self.editor.toolset, self.editor.path, self.document_folder())
        if args.auto:
            self.bridge.set_answer_mode("auto")
        if self._recording is not None:
            self.panels["timeline"].import_jsonl(self._recording)
            # The recording is what the user opened: its timeline is in front.
            self.window.docks["timeline"].raise_()
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

    # ------------------------------------------------------------------ replay
    def ask_replay(self) -> None:
        """File → Replay Recording as Server…: pick a recording, then serve it."""
        ask_replay(self.window, self.tasks)

    def open_replay(self, recording: Path) -> ReplayDialog:
        """Serve ``recording`` on 127.0.0.1 and show the URL and, later, the report."""
        return open_replay(recording, self.window, self.tasks)

    # ------------------------------------------------------------------ examples
    @property
    def examples(self) -> ExampleEnvironment | None:
        """The bundled examples with their local services, once one was opened."""
        return self._examples.environment

    def open_example(self, key: str) -> asyncio.Task[Any]:
        """Start the example services (first time) and open example ``key`` in the editor."""
        return self.tasks.start(self._examples.open(key), name=f"open-example-{key}")

    # ------------------------------------------------------------------ documents
    def open_from_panel(self, toolset: ToolSet, path: Path | None, source: str) -> None:
        """Open a tool set opened or imported in the Tools panel from ``source``.

        Its scripts and hosts are data until the user agrees.
        """
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
            if keep_unsaved(previous, self.window.notifications.notify) is None:
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
        remember_toolset(self._layout, path)
        log.info("opened the tool set %s", path)
        return True

    async def run_blocking(self, function: Callable[[], T]) -> T:
        """Run blocking file work on the app's executor (never on the GUI thread)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function)

    def set_preference(self, key: str, value: Any) -> None:
        """Store one preference (a JSON value) and save the settings in the background."""
        preferences = {**self.settings.preferences, key: value}
        self.settings = AppSettings(
            self.settings.profiles, self.settings.active_profile, preferences
        )
        if self._settings_writable and not self._closed:
            self._settings_writer.write(self.settings)

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
        self._settings_writer.write(settings)

    def save_preferences(self) -> None:
        """Persist ``settings.preferences`` after a panel changed them (in the background)."""
        if self._settings_writable and not self._closed:
            self._settings_writer.write(self.settings)

    # ------------------------------------------------------------------ shutdown
    async def close(self) -> None:
        """Remember the layout, disconnect, stop background work and the simulator."""
        if self._closed:
            return
        self._closed = True
        self.window.save_layout(self._layout)
        self._layout.setValue(ANSWER_MODE_KEY, str(self.bridge.answer_mode))
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
        # The last change must reach the file before the app goes.
        await self._settings_writer.finish(SHUTDOWN_TIMEOUT_S)
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
        await self._simulator.stop()
        with contextlib.suppress(Exception):
            await self._http.close()
        with contextlib.suppress(Exception):
            await self.sandbox.close()
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
            await asyncio.wrap_future(engine.run(self.sandbox.close()))
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
