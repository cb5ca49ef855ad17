"""The main window shell: docks, remembered layout, close drives an orderly quit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea

from navtalk_desktop.ui.shell.main_window import MainWindow
from navtalk_desktop.ui.shell.tasks import TaskRunner


def test_close_requests_quit_instead_of_destroying(qtbot: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.quit_requested, timeout=20_000):
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


def _window_with_deferred_tools(built: list[QLabel]) -> MainWindow:
    """Timeline in front, Tools tabbed behind it and built only on demand."""
    right = Qt.DockWidgetArea.RightDockWidgetArea

    def build() -> QLabel:
        label = QLabel("the tool editor")
        built.append(label)
        return label

    window = MainWindow(TaskRunner())
    window.add_panel("timeline", "Timeline", QLabel("t"), right)
    window.add_deferred_panel("tools", "Tools", build, right, scrollable=True)
    window.tabifyDockWidget(window.docks["timeline"], window.docks["tools"])
    window.docks["timeline"].raise_()
    return window


def test_a_deferred_panel_is_built_when_its_tab_is_first_shown(qtbot: Any) -> None:
    built: list[QLabel] = []
    window = _window_with_deferred_tools(built)
    qtbot.addWidget(window)
    # The dock, its tab and its menu entry exist from the start; the panel does not.
    assert "tools" in window.docks
    assert "Tools" in [a.text() for a in window.panels_menu.actions()]
    with qtbot.waitExposed(window, timeout=20_000):
        window.show()
    assert built == []
    assert "tools" not in window.panels

    window.docks["tools"].raise_()
    qtbot.waitUntil(lambda: len(built) == 1, timeout=20_000)
    assert window.panels["tools"] is built[0]
    scroll = window.docks["tools"].widget()
    assert isinstance(scroll, QScrollArea)
    assert scroll.widget() is built[0]
    qtbot.waitUntil(built[0].isVisible, timeout=20_000)
    # Shown again later: nothing is built twice.
    window.docks["timeline"].raise_()
    window.docks["tools"].raise_()
    assert window.ensure_panel("tools") is built[0]
    assert len(built) == 1
    window.hide()


def test_ensure_panel_builds_a_deferred_panel_on_request(qtbot: Any) -> None:
    built: list[QLabel] = []
    window = _window_with_deferred_tools(built)
    qtbot.addWidget(window)
    assert window.ensure_panel("nothing") is None
    panel = window.ensure_panel("tools")
    assert panel is built[0]
    assert window.panels["tools"] is panel
    assert window.ensure_panel("tools") is panel
    assert len(built) == 1


def test_a_deferred_panel_in_front_of_a_restored_layout_is_built_by_the_first_show(
    qtbot: Any, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    first_built: list[QLabel] = []
    first = _window_with_deferred_tools(first_built)
    qtbot.addWidget(first)
    first.show()
    first.docks["tools"].raise_()
    qtbot.waitUntil(lambda: len(first_built) == 1, timeout=20_000)
    first.save_layout(settings)
    settings.sync()
    first.hide()

    built: list[QLabel] = []
    second = _window_with_deferred_tools(built)
    qtbot.addWidget(second)
    second.restore_layout(settings)
    assert built == []
    second.show()
    # Built inside show(), before any event is processed: the first paint has it.
    assert len(built) == 1
    assert second.panels["tools"] is built[0]
    second.hide()


def test_a_deferred_panel_reaches_the_notification_centre(qtbot: Any) -> None:
    class Noisy(QLabel):
        notification_requested = Signal(str, str)

    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    noisy = Noisy("n")
    window.add_deferred_panel("noisy", "Noisy", lambda: noisy, Qt.DockWidgetArea.LeftDockWidgetArea)
    assert window.ensure_panel("noisy") is noisy
    noisy.notification_requested.emit("warning", "Something to know")
    assert [(n.level, n.message) for n in window.notifications.history] == [
        ("warning", "Something to know")
    ]


def test_first_painted_is_emitted_once_after_the_first_paint(qtbot: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    seen: list[bool] = []
    window.first_painted.connect(lambda: seen.append(window.painted))
    assert not window.painted
    window.show()
    qtbot.waitUntil(lambda: seen == [True], timeout=20_000)
    # Later paints are not first paints.
    window.repaint()
    window.hide()
    window.show()
    window.repaint()
    # A first paint is announced on a zero timer, which Qt posts as an event: once one
    # started after these paints has fired, any announcement they caused was delivered.
    marker: list[bool] = []
    QTimer.singleShot(0, lambda: marker.append(True))
    qtbot.waitUntil(lambda: marker == [True], timeout=20_000)
    assert seen == [True]
    window.hide()
