"""The desktop app's command line and lifetime: ``navtalk-desktop [gui] [FILE…] …``.

:func:`configure_parser` declares the options, :func:`run` starts the QApplication on a
qasync loop, shows the :class:`~navtalk_desktop.app.workbench.Workbench`'s window and
blocks until the user quits.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import navtalk_desktop
from navtalk_desktop.app.excepthook import install_excepthook
from navtalk_desktop.app.icon import application_icon
from navtalk_desktop.app.logs import configure_logging
from navtalk_desktop.app.workbench import Workbench
from navtalk_desktop.engine_process.design import ENGINE_ENV, EngineDesign
from navtalk_desktop.infra import resource_paths
from navtalk_desktop.ui.shell.main_window import MainWindow
from navtalk_desktop.ui.shell.theme import ThemeManager

log = logging.getLogger(__name__)


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
        "--engine",
        choices=[design.value for design in EngineDesign],
        help="run the session engine in a child process (default) or a thread of the app "
        f"(also ${ENGINE_ENV})",
    )
    parser.add_argument(
        "--no-media",
        action="store_true",
        help="answer no WebRTC offer: no avatar video or WebRTC voice (saves CPU and "
        "bandwidth; the audio.delta voice still plays)",
    )
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


def save_screenshot(window: MainWindow, path: Path) -> bool:
    """Save ``window.grab()`` as PNG at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if window.grab().save(str(path)):
        log.info("screenshot saved to %s", path)
        return True
    log.error("could not save screenshot to %s", path)
    return False
