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

from PySide6.QtCore import QObject, QTimer

DEFAULT_INTERVAL_MS = 100
# A full collection scans every tracked object, so CPython runs one only once the objects
# that survived into the old generation since the last one exceed a quarter of those that
# were there: the cost stays proportional to growth, however large the heap (a timeline of
# a million frames). The collector keeps the same two counts itself (CPython's are hidden).
FULL_COLLECTION_GROWTH = 0.25


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
        full_growth: a full (generation 2) collection waits until the objects promoted
            into the old generation since the last one exceed this share of it.
        parent: owning QObject (its thread is the one collections run on).

    Attributes:
        collections: collections run so far, by generation.
    """

    def __init__(
        self,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        full_growth: float = FULL_COLLECTION_GROWTH,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._full_growth = full_growth
        # CPython's long_lived_total and long_lived_pending, counted here.
        self._old_total = len(gc.get_objects(generation=2))
        self._old_pending = 0
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
        # threshold (a collection of generation n also collects the younger ones), and a
        # full one only once the old generation grew enough.
        generation = 0
        if count1 >= threshold1:
            generation = 1
            if count2 >= threshold2 and self._old_pending > self._full_growth * self._old_total:
                generation = 2
        if generation == 1:
            # What survives a middle collection moves into the old generation.
            young = len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1))
            self._old_pending += max(0, young - gc.collect(1))
        else:
            gc.collect(generation)
        if generation == 2:
            self._old_total = len(gc.get_objects(generation=2))
            self._old_pending = 0
        self.collections[generation] += 1
        return generation
