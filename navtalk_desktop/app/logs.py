"""The app's logging: console and a rotating log file, every handler redacting licenses.

The file opens once the window is on screen (:class:`StartupLog`); records until then
wait for it, so the first screen does not pay for the file handler.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from navtalk_desktop.core.session.redact import RedactingFilter
from navtalk_desktop.infra import paths

log = logging.getLogger(__name__)

# Licenses for non-simulator profiles can come from the environment, as for `respond`.
LICENSE_ENV = "NAVTALK_LICENSE"
# The log file in paths.log_dir(): rotated at 2 MB, three old files kept.
LOG_FILE_NAME = "navtalk-desktop.log"
LOG_MAX_BYTES = 2_000_000
LOG_BACKUP_COUNT = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
