"""A timeline store's own change notifications, forwarded to a table model (standalone use).

The timeline panel feeds its model from the engine's event stream; a model shown without
an engine (tests, tools) follows its store through this listener instead.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import shiboken6

from navtalk_desktop.core.timeline.timeline import Timeline

if TYPE_CHECKING:
    from navtalk_desktop.ui.timeline.timeline_model import TimelineTableModel


class TimelineFollower:
    """Core timeline listener that defers all work to the model's batch timer.

    The core timeline may outlive the model (and its C++ timer): the listener only holds a
    weak reference and unhooks itself once the model is gone.
    """

    __slots__ = ("_model", "_timeline")

    def __init__(self, model: TimelineTableModel, timeline: Timeline) -> None:
        self._model = weakref.ref(model)
        self._timeline = timeline

    def move_to(self, timeline: Timeline) -> None:
        self._timeline.remove_listener(self)
        self._timeline = timeline
        timeline.add_listener(self)

    def _alive(self) -> TimelineTableModel | None:
        model = self._model()
        if model is None or not shiboken6.isValid(model):
            self._timeline.remove_listener(self)
            return None
        return model

    def timeline_appended(self, start: int, count: int) -> None:
        if (model := self._alive()) is not None:
            model._on_appended()

    def timeline_changed(self, row: int) -> None:
        if (model := self._alive()) is not None:
            model._on_changed(row)

    def timeline_cleared(self) -> None:
        if (model := self._alive()) is not None:
            model._on_cleared()
