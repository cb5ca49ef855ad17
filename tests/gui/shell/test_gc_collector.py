"""GuiThreadCollector: garbage cycles are collected on the GUI thread, never the engine's."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from navtalk_desktop import app as app_module
from navtalk_desktop.ui.shell.gc_collector import GuiThreadCollector
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest


class _Node:
    """A cycle member; ``weakref.finalize`` reports the thread that collected it."""

    def __init__(self) -> None:
        self.partner: _Node | None = None


@pytest.fixture
def collected_on() -> Iterator[list[str]]:
    threads: list[str] = []
    gc.collect()  # start from clean counts
    yield threads
    gc.collect()


def _drop_a_cycle_then_allocate(record: list[str], kept: list[object]) -> None:
    """On the calling thread: make a garbage cycle, then grow past every threshold.

    The new containers stay alive (as a growing timeline's would), so the allocation
    counts really pass the thresholds instead of falling back as they are freed.
    """
    first, second = _Node(), _Node()
    first.partner, second.partner = second, first
    weakref.finalize(first, lambda: record.append(threading.current_thread().name))
    del first, second
    kept.append([[] for _ in range(50 * gc.get_threshold()[0])])


def _in_worker(target: Callable[[], None]) -> None:
    worker = threading.Thread(target=target, name="engine-like")
    worker.start()
    worker.join()


def test_without_the_collector_the_allocating_thread_collects(
    collected_on: list[str],
) -> None:
    # Why the collector exists: automatic collection runs in whichever thread allocates.
    assert gc.isenabled()
    kept: list[object] = []
    _in_worker(lambda: _drop_a_cycle_then_allocate(collected_on, kept))
    assert collected_on == ["engine-like"]


def test_cycles_dropped_on_a_worker_are_collected_on_the_gui_thread(
    qtbot: Any, collected_on: list[str]
) -> None:
    collector = GuiThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert collector.active
        assert not gc.isenabled()
        kept: list[object] = []
        _in_worker(lambda: _drop_a_cycle_then_allocate(collected_on, kept))
        assert collected_on == []  # nothing collected on the worker
        qtbot.waitUntil(lambda: collected_on != [], timeout=20_000)
        assert collected_on == [threading.main_thread().name]
        assert sum(collector.collections) >= 1
    finally:
        collector.stop()
    assert gc.isenabled()  # automatic collection is back
    assert not collector.active


def test_collects_the_generation_the_thresholds_ask_for(collected_on: list[str]) -> None:
    collector = GuiThreadCollector(full_growth=0.0)
    saved = gc.get_threshold()
    gc.disable()
    try:
        gc.set_threshold(10, 2, 2)
        gc.collect()
        assert collector.collect_due() is None  # nothing allocated since
        pile = [[] for _ in range(20)]
        assert collector.collect_due() == 0
        pile += [[] for _ in range(20)]
        assert collector.collect_due() == 0
        pile += [[] for _ in range(20)]
        assert collector.collect_due() == 1  # two young collections since the last middle one
        for _ in range(12):
            pile += [[] for _ in range(20)]
            collector.collect_due()
        assert collector.collections[2] >= 1  # the old generation's turn came too
        assert gc.get_count()[0] < 10
    finally:
        gc.set_threshold(*saved)
        gc.enable()


def test_full_collections_wait_until_the_old_generation_grew_by_a_quarter(
    collected_on: list[str],
) -> None:
    # CPython's own rule: a full collection scans everything, so it runs only once the
    # survivors since the last one exceed a quarter of the old generation. A fixed pace
    # would cost more and more as a long session's timeline grows.
    collector = GuiThreadCollector()
    saved = gc.get_threshold()
    gc.disable()
    try:
        gc.set_threshold(10, 1, 1)
        pile: list[list[int]] = []
        for _ in range(10):
            pile += [[] for _ in range(20)]
            assert collector.collect_due() in (0, 1)
        assert collector.collections[2] == 0  # a little growth: young collections only
        pile += [[] for _ in range(len(gc.get_objects(generation=2)) // 3)]
        for _ in range(6):
            pile += [[] for _ in range(20)]
            collector.collect_due()
        assert collector.collections[2] == 1  # once, then the count starts again
    finally:
        gc.set_threshold(*saved)
        gc.enable()


def test_the_app_collects_on_the_gui_thread_while_it_runs(
    workbench_factory: Callable[..., app_module.Workbench], await_in_qt: Any
) -> None:
    workbench = workbench_factory()
    assert workbench.engine is not None
    assert not gc.isenabled()  # the engine thread never collects
    await_in_qt(workbench.close(), timeout=20)
    assert gc.isenabled()
