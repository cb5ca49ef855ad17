"""Composition root: QApplication, the qasync loop, infra adapters, core services and UI.

This is the only module that imports both ``ui`` and ``infra``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import qasync
from navtalk_desktop import __version__
from navtalk_desktop.ui.main_window import MainWindow
from navtalk_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


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
    # Quit is driven explicitly so the loop is still alive for async clean-up (P10).
    app.setQuitOnLastWindowClosed(False)
    install_excepthook()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(run_main_window(app, args))


async def run_main_window(app: QApplication, args: argparse.Namespace) -> int:
    """Build the window, wait for the user to quit, then shut down in order."""
    quit_requested = asyncio.Event()
    tasks = TaskRunner()
    window = MainWindow(tasks)
    window.quit_requested.connect(quit_requested.set)
    app.aboutToQuit.connect(quit_requested.set)
    settings = QSettings()
    window.restore_layout(settings)
    window.show()
    log.info("main window shown")
    if args.screenshot is not None:
        QTimer.singleShot(300, lambda: _save_screenshot(window, args.screenshot))
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), quit_requested.set)
    await quit_requested.wait()
    log.info("shutting down")
    window.save_layout(settings)
    await tasks.cancel_all()
    window.hide()
    window.deleteLater()
    return 0


def _save_screenshot(window: MainWindow, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if window.grab().save(str(path)):
        log.info("screenshot saved to %s", path)
    else:
        log.error("could not save screenshot to %s", path)


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
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", f"{exc_type.__name__}: {exc}")
        box.setDetailedText(text)
        # open(), not exec(): a nested event loop inside a coroutine re-enters asyncio (P2).
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.open()

    sys.excepthook = hook
