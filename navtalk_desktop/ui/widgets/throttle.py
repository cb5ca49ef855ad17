"""Throttle: apply a view update at once, then at most every so often while requests keep coming."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot

DISPLAY_REFRESH_MS = 250
"""How often a streaming counter or status line changes at most: fast enough to read as live,
and under load each change repaints the label and the dock behind it."""


class Throttle(QObject):
    """Runs ``update`` on the first request, then at most once per ``interval_ms``.

    Requests during the interval are merged into one run at its end, so the last state
    always shows, at most ``interval_ms`` late. An idle view thus updates immediately, and
    one fed thousands of times a second updates a few times a second.

    Args:
        update: what to run (reads the current state itself).
        interval_ms: the shortest time between two runs.
        parent: owner (the timer dies with it).
    """

    def __init__(
        self,
        update: Callable[[], None],
        interval_ms: int = DISPLAY_REFRESH_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._update = update
        self._due = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    @property
    def due(self) -> bool:
        """Whether a request waits for the end of the interval."""
        return self._due

    def request(self) -> None:
        """Run now, or at the end of the current interval if one ran recently."""
        if self._timer.isActive():
            self._due = True
            return
        self._run()

    def flush(self) -> None:
        """Run now if a request is waiting (to read the view up to date)."""
        if self._due:
            self._run()

    def _run(self) -> None:
        self._due = False
        self._timer.start()
        self._update()

    @Slot()
    def _on_timeout(self) -> None:
        if self._due:
            self._run()
