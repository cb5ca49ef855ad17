"""Uncaught exceptions: logged and shown in a non-modal box instead of ending the app."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger(__name__)


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
