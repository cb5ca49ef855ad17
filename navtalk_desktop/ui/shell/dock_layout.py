"""DefaultDockLayout: where the main window's docks go by default, and in what sizes."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

# The Connection column stops growing here: wider windows give the rest to the timeline.
CONNECTION_MAX_WIDTH = 380
# What the tool editor needs beside the timeline to show its tabs without scrolling.
TOOLS_BESIDE_WIDTH = 560


class DefaultDockLayout:
    """Places ``window``'s docks (``docks``, by key) in the default layout and sizes them.

    Used at first start, by View → Reset Layout, and by View → Tools Beside Timeline.
    """

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
        self._window = window
        self._docks = docks
        # (anchor, key): docks that are a tab behind another one in the default layout.
        self.tabs: list[tuple[str, str]] = []

    def tab_by_default(self, anchor: str, key: str) -> None:
        """Put dock ``key`` in a tab behind dock ``anchor`` in the default layout."""
        self.tabs.append((anchor, key))
        if anchor in self._docks and key in self._docks:
            self._window.tabifyDockWidget(self._docks[anchor], self._docks[key])
            self._docks[anchor].raise_()

    def place_default(self) -> None:
        """Put every dock where the default layout has it (sizes follow in :meth:`size_docks`).

        One dock area holds the columns Connection | Timeline | Call Desk (with the
        Conversation below the desk): with no central widget, the window gives the
        space it gains or loses to the columns of one area in proportion, while a second
        area would take all of it (the Connection panel grew to half a wide window).
        """
        right = Qt.DockWidgetArea.RightDockWidgetArea
        columns = [
            self._docks[k] for k in ("connection", "timeline", "call_desk") if k in self._docks
        ]
        placed = [*columns, self._docks.get("conversation")]
        for dock in self._docks.values():
            dock.setFloating(False)
            # Docks opened on demand (the Avatar) are not part of the default layout.
            dock.setVisible(not dock.property("onDemand"))
        # Split, never add one after another: docks added to one area would first be
        # stacked, and the window would grow to their summed minimum height.
        if columns:
            self._window.addDockWidget(right, columns[0])
        for first, second in itertools.pairwise(columns):
            self._window.splitDockWidget(first, second, Qt.Orientation.Horizontal)
        anchor = self._docks.get("call_desk") or self._docks.get("timeline")
        if anchor is not None and "conversation" in self._docks:
            self._window.splitDockWidget(
                anchor, self._docks["conversation"], Qt.Orientation.Vertical
            )
        for key, dock in self._docks.items():
            tabbed = any(key == k for _a, k in self.tabs)
            if dock not in placed and not tabbed:
                self._window.addDockWidget(right, dock)
        # Tabify last: splitting a tabbed dock would add a tab instead of a neighbour.
        for anchor_key, key in self.tabs:
            if anchor_key in self._docks and key in self._docks:
                self._window.tabifyDockWidget(self._docks[anchor_key], self._docks[key])
        for anchor_key, _key in self.tabs:
            if anchor_key in self._docks:
                self._docks[anchor_key].raise_()

    def size_docks(self) -> None:
        """Give the columns and the desk/conversation stack their default proportions."""
        # Proportions of the default layout: the Connection panel gets a modest column
        # (it is set up once), the Timeline and the Call Desk share the rest.
        width = self._window.width()
        keys = [k for k in ("connection", "timeline", "call_desk") if k in self._docks]
        connection = min(int(width * 0.22), CONNECTION_MAX_WIDTH)
        share = {"timeline": 0.58, "call_desk": 0.42}
        rest = width - (connection if "connection" in keys else 0)
        sizes = [connection if k == "connection" else int(rest * share[k]) for k in keys]
        if len(keys) > 1:
            self._window.resizeDocks(
                [self._docks[k] for k in keys], sizes, Qt.Orientation.Horizontal
            )
        stacked = [self._docks[k] for k in ("call_desk", "conversation") if k in self._docks]
        if len(stacked) == 2:
            height = self._window.height()
            self._window.resizeDocks(
                stacked, [int(height * 0.55), int(height * 0.45)], Qt.Orientation.Vertical
            )

    def show_tools_beside_timeline(self) -> None:
        """Split the Tools dock off the Timeline's tabs and put it to the Timeline's right."""
        timeline = self._docks.get("timeline")
        tools = self._docks.get("tools")
        if timeline is None or tools is None:
            return
        tools.setFloating(False)
        tools.show()
        # Splitting a tabbed dock only adds a tab: the Timeline's other tabs step out
        # while it is split, and come back as its tabs afterwards.
        mates = [d for d in self._window.tabifiedDockWidgets(timeline) if d is not tools]
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in (*mates, tools):
            self._window.addDockWidget(right, dock)
        self._window.splitDockWidget(timeline, tools, Qt.Orientation.Horizontal)
        for dock in mates:
            self._window.tabifyDockWidget(timeline, dock)
        layout = self._window.layout()
        if layout is not None:
            layout.activate()  # the split's widths, which the halves are taken from
        width = timeline.width() + tools.width()
        # The editor needs ~540 px before it scrolls; the timeline keeps the rest.
        tools_width = max(width // 2, min(TOOLS_BESIDE_WIDTH, width - 300))
        self._window.resizeDocks(
            [timeline, tools], [width - tools_width, tools_width], Qt.Orientation.Horizontal
        )
        timeline.raise_()
        tools.raise_()


__all__ = ["CONNECTION_MAX_WIDTH", "TOOLS_BESIDE_WIDTH", "DefaultDockLayout"]
