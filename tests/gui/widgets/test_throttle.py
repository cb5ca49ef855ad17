"""Throttle: immediate when idle, merged while busy, and the last state always shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer

from navtalk_desktop.ui.widgets.throttle import Throttle


def test_first_request_runs_at_once_then_requests_merge(qtbot: Any) -> None:
    runs: list[int] = []
    state = [0]
    throttle = Throttle(lambda: runs.append(state[0]), interval_ms=100)
    throttle.request()
    assert runs == [0]  # idle: no delay
    for value in range(1, 50):
        state[0] = value
        throttle.request()
    assert runs == [0]  # busy: merged, nothing run yet
    assert throttle.due
    qtbot.waitUntil(lambda: runs == [0, 49], timeout=20_000)  # the latest state, once
    assert not throttle.due
    # Wait for the interval that run started to end (its timer is the throttle's only
    # child), not for a time: only then could a spurious extra run have happened.
    interval = throttle.findChild(QTimer)
    assert interval is not None
    qtbot.waitUntil(lambda: not interval.isActive(), timeout=20_000)
    assert runs == [0, 49]  # nothing more was asked for


def test_flush_runs_a_waiting_request_now(qtbot: Any) -> None:
    runs: list[str] = []
    throttle = Throttle(lambda: runs.append("run"), interval_ms=10_000)
    throttle.flush()
    assert runs == []  # nothing waiting
    throttle.request()
    throttle.request()
    throttle.flush()
    assert runs == ["run", "run"]
    throttle.request()  # the interval restarted with the flush
    assert runs == ["run", "run"]
    assert throttle.due
