"""The main window shell: docks, remembered layout, close drives an orderly quit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from navtalk_desktop.ui.main_window import MainWindow
from navtalk_desktop.ui.tasks import TaskRunner


def test_close_requests_quit_instead_of_destroying(qtbot: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.close()
    # The loop must outlive the window for async clean-up, so the close is ignored.
    assert window.isVisible()
    window.hide()


def test_layout_round_trips_through_settings(qtbot: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    first = MainWindow(TaskRunner())
    qtbot.addWidget(first)
    first.add_panel("timeline", "Timeline", QLabel("t"), Qt.DockWidgetArea.BottomDockWidgetArea)
    first.show()
    first.docks["timeline"].setFloating(True)
    first.save_layout(settings)
    settings.sync()
    # A floating dock is its own top-level window: hiding the main window leaves it up.
    first.docks["timeline"].close()
    first.hide()

    second = MainWindow(TaskRunner())
    qtbot.addWidget(second)
    second.add_panel("timeline", "Timeline", QLabel("t"), Qt.DockWidgetArea.BottomDockWidgetArea)
    assert not second.docks["timeline"].isFloating()
    second.restore_layout(settings)
    assert second.docks["timeline"].isFloating()
    second.docks["timeline"].close()
