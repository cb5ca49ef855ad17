"""Runs ``navtalk-desktop`` as ``python -m navtalk_desktop`` does, and quits it once a state holds.

End-to-end tests used ``--quit-after SECONDS`` and then checked what the app had done by
then: on a loaded machine the app may not have got there yet. This driver quits the app
(as its Quit action does) as soon as what the test waits for has happened, so a test
waits for a state, not for a time. It only gives up after ``limit_s`` and says so.

Usage: ``python app_driver.py SPEC APP_ARGUMENTS...`` where SPEC is JSON with:

- ``until``: what must hold before quitting, all of (each optional):
  ``log``: substrings, each found in some ``navtalk_desktop`` log record;
  ``modules``: modules that must be imported;
  ``file`` and ``file_contains``: substrings that must all be in that file.
- ``limit_s``: quit anyway after this many seconds from the window being shown.
- ``deferred``: modules to report as loaded or not when the window is shown and at shutdown.

The last line on stdout is JSON: ``until_met``, ``at_show`` and ``at_shutdown``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any


class _Spy(logging.Handler):
    """Keeps every ``navtalk_desktop`` log message (from any thread) and starts the watch."""

    def __init__(self, driver: _Driver) -> None:
        super().__init__(logging.DEBUG)
        self.driver = driver
        self.messages: list[str] = []  # list.append is atomic: fine from any thread

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)
        if message == "main window shown":
            self.driver.window_shown()  # logged on the GUI thread
        elif message == "shutting down":
            self.driver.seen["at_shutdown"] = self.driver.loaded()


class _Driver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.until: dict[str, Any] = spec.get("until", {})
        self.limit_s = float(spec.get("limit_s", 60))
        self.deferred: list[str] = spec.get("deferred", [])
        self.seen: dict[str, Any] = {"until_met": False}
        self.spy = _Spy(self)
        self._timer: Any = None
        self._deadline = 0.0

    def loaded(self) -> list[str]:
        return sorted(m for m in self.deferred if m in sys.modules)

    def window_shown(self) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        self.seen["at_show"] = self.loaded()
        self._deadline = time.monotonic() + self.limit_s
        self._timer = QTimer(QApplication.instance())
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def met(self) -> bool:
        messages = list(self.spy.messages)
        if not all(any(part in m for m in messages) for part in self.until.get("log", [])):
            return False
        if not all(module in sys.modules for module in self.until.get("modules", [])):
            return False
        if "file" in self.until:
            path = Path(self.until["file"])
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            if not all(part in text for part in self.until.get("file_contains", [])):
                return False
        return True

    def _check(self) -> None:
        met = self.met()
        if not met and time.monotonic() < self._deadline:
            return
        self.seen["until_met"] = met
        self._timer.stop()
        from PySide6.QtWidgets import QApplication

        from navtalk_desktop.ui.shell.main_window import MainWindow

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                widget.quit_requested.emit()  # what File ▸ Quit does


def main() -> int:
    driver = _Driver(json.loads(sys.argv[1]))
    logging.getLogger("navtalk_desktop").addHandler(driver.spy)
    from navtalk_desktop.cli import main as app_main

    status = app_main(sys.argv[2:])
    print(json.dumps(driver.seen))
    return status


if __name__ == "__main__":
    sys.exit(main())
