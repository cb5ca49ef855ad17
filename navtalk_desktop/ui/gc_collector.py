"""GuiThreadCollector: Python's cyclic garbage collection, run on the GUI thread only.

CPython runs a collection in whichever thread happens to allocate past the threshold.
With the session engine on its own thread (``core.engine_thread``), that is often the
engine thread, and a reference cycle that holds a Qt object (a widget's closure, a
wrapper kept by a lambda) would then be destroyed there: Qt objects must die on the thread
that owns them ("Timers cannot be stopped from another thread", or worse, a crash).
The collector switches automatic collection off and runs the same generational policy
from a timer on the GUI thread instead.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

DEFAULT_INTERVAL_MS = 100
# A full collection scans every tracked object; CPython itself defers it while the heap
# grows (long_lived_pending), which Python code cannot see, so full ones are spaced in time.
FULL_COLLECTION_SPACING_S = 10.0


class _AutomaticCollection:
    """Automatic collection is off while any collector runs (several may: app and bridges)."""

    holders = 0
    was_enabled = True

    @classmethod
    def suspend(cls) -> None:
        if cls.holders == 0:
            cls.was_enabled = gc.isenabled()
            gc.disable()
        cls.holders += 1

    @classmethod
    def resume(cls) -> None:
        cls.holders -= 1
        if cls.holders == 0 and cls.was_enabled:
            gc.enable()


class GuiThreadCollector(QObject):
    """Runs ``gc.collect`` on its own (GUI) thread, as often as CPython's thresholds ask.

    Args:
        interval_ms: how often the allocation counts are checked.
        full_spacing_s: least time between two full (generation 2) collections.
        parent: owning QObject (its thread is the one collections run on).

    Attributes:
        collections: collections run so far, by generation.
    """

    def __init__(
        self,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        full_spacing_s: float = FULL_COLLECTION_SPACING_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._full_spacing_s = full_spacing_s
        self._last_full = time.monotonic()
        self.collections = [0, 0, 0]

    @property
    def active(self) -> bool:
        """Whether automatic collection is off and this collector runs instead."""
        return self._timer.isActive()

    def start(self) -> None:
        """Switch automatic collection off; collect from the timer from now on."""
        if self.active:
            return
        _AutomaticCollection.suspend()
        self._timer.start()

    def stop(self) -> None:
        """Collect everything once more, here, and give collection back to CPython.

        Automatic collection resumes when the last running collector stops.
        """
        if not self.active:
            return
        self._timer.stop()
        # Garbage made while this collector ran is destroyed on this thread, not on
        # whichever thread would next pass CPython's threshold.
        gc.collect()
        _AutomaticCollection.resume()

    def collect_due(self) -> int | None:
        """Run the collection CPython's thresholds call for now, if any.

        Returns:
            The generation collected, or None when nothing was due.
        """
        count0, count1, count2 = gc.get_count()
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if threshold0 == 0 or count0 < threshold0:
            return None
        # The same choice CPython makes: the oldest generation whose count is past its
        # threshold (a collection of generation n also collects the younger ones).
        generation = 0
        if count1 >= threshold1:
            generation = 1
            now = time.monotonic()
            if count2 >= threshold2 and now - self._last_full >= self._full_spacing_s:
                generation = 2
                self._last_full = now
        gc.collect(generation)
        self.collections[generation] += 1
        return generation
