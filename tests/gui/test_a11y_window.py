"""The whole main window: every focusable widget has an accessible name (issue 16)."""

from __future__ import annotations

from typing import Any

from tests.gui.accessibility import unnamed_focusable_widgets
from tests.gui.test_app_startup import Create, create

__all__ = ["create"]  # the fixture: a workbench built as the app builds it


def test_every_focusable_widget_of_the_main_window_is_named(qtbot: Any, create: Create) -> None:
    workbench = create()
    window = workbench.window
    with qtbot.waitExposed(window, timeout=20_000):
        window.show()
    # The tool editor is built after the first paint: wait for it, then walk everything.
    qtbot.waitUntil(lambda: "tools" in window.panels, timeout=20_000)
    for dock in window.docks.values():
        dock.show()
        dock.raise_()
        missing = unnamed_focusable_widgets(window)
        assert missing == [], f"with {dock.objectName()} in front:\n" + "\n".join(missing)
