"""The main window's layout: fits 1024x640, no dock overlaps another, Reset Layout works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDockWidget

from navtalk_desktop.app import Workbench
from navtalk_desktop.ui.shell.main_window import MainWindow
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., Workbench]
SIZES = ((1024, 640), (1440, 880), (1920, 1080))


def front_docks(window: MainWindow) -> dict[str, QRect]:
    """Geometry of every dock that is on screen (not a tab behind another one)."""
    return {
        key: dock.geometry()
        for key, dock in window.docks.items()
        if dock.isVisible() and not dock.visibleRegion().isEmpty()
    }


def overlaps(window: MainWindow) -> list[tuple[str, str]]:
    docks = sorted(front_docks(window).items())
    return [
        (a, b) for n, (a, ra) in enumerate(docks) for b, rb in docks[n + 1 :] if ra.intersects(rb)
    ]


def settle(qtbot: Any, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    # The docks have been laid out for this size: the rightmost column ends at the edge.
    qtbot.waitUntil(
        lambda: (
            not window.layout_pending
            and window.size().width() == width
            and max(r.right() for r in front_docks(window).values()) == width - 1
        ),
        timeout=20_000,
    )


def test_window_fits_1024x640_and_docks_never_overlap(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    window = workbench.window
    qtbot.waitUntil(lambda: window.painted and not window.layout_pending, timeout=20_000)
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert minimum.width() <= 1024, minimum
    assert minimum.height() <= 640, minimum
    widths: dict[tuple[int, int], dict[str, int]] = {}
    for width, height in SIZES:
        settle(qtbot, window, width, height)
        assert overlaps(window) == [], (width, height)
        shown = front_docks(window)
        assert {"connection", "timeline", "call_desk", "conversation"} <= set(shown)
        widths[(width, height)] = {k: r.width() for k, r in shown.items()}
        # Nothing in the Connection column is cut off at its right edge.
        scroll = workbench.panels["connection"].form_scroll
        form = scroll.widget()
        needed = form.minimumSizeHint().width()
        assert needed <= scroll.viewport().width(), (width, needed)

    small, large = widths[SIZES[0]], widths[SIZES[-1]]
    # Extra space goes mostly to the timeline and the desk, not to the Connection panel.
    gained = {k: large[k] - small[k] for k in ("connection", "timeline", "call_desk")}
    assert gained["timeline"] > gained["connection"]
    assert gained["call_desk"] > gained["connection"]
    assert large["connection"] < 1920 * 0.25


def test_reset_layout_restores_the_default_after_docks_moved(
    qtbot: Any, workbench_factory: Factory
) -> None:
    window = workbench_factory().window
    settle(qtbot, window, 1440, 880)
    default = front_docks(window)
    docks: dict[str, QDockWidget] = window.docks
    # Move things about as a user would: float the desk, put Connection at the bottom,
    # close the Conversation.
    docks["call_desk"].setFloating(True)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks["connection"])
    docks["conversation"].close()
    qtbot.waitUntil(lambda: front_docks(window) != default, timeout=20_000)
    window.reset_layout_action.trigger()
    qtbot.waitUntil(lambda: not window.layout_pending, timeout=20_000)
    restored = front_docks(window)
    assert set(restored) == set(default)
    for key, rect in default.items():
        got = restored[key]
        for part in ("x", "y", "width", "height"):
            assert abs(getattr(got, part)() - getattr(rect, part)()) <= 4, (key, part)
    assert not docks["call_desk"].isFloating()


def test_tools_can_be_shown_beside_the_timeline(qtbot: Any, workbench_factory: Factory) -> None:
    window = workbench_factory().window
    settle(qtbot, window, 1440, 880)
    assert "tools" not in front_docks(window)  # a tab behind the timeline by default
    window.menus.tools_beside_action.trigger()
    qtbot.waitUntil(lambda: {"tools", "timeline"} <= set(front_docks(window)), timeout=20_000)
    assert overlaps(window) == []
    shown = front_docks(window)
    assert shown["tools"].left() > shown["timeline"].right()
    window.reset_layout_action.trigger()
    qtbot.waitUntil(
        lambda: not window.layout_pending and "tools" not in front_docks(window), timeout=20_000
    )
