"""Light/dark palettes that follow the system, and non-modal notifications."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QMainWindow,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
)

from navtalk_desktop.ui.shell.notifications import (
    MAX_VISIBLE,
    PLACEMENT_MARGIN,
    Banner,
    NotificationCenter,
)
from navtalk_desktop.ui.shell.theme import DARK, LIGHT, ThemeManager, colors


@pytest.fixture
def restored_style(qapp: QApplication) -> Iterator[None]:
    """Theme tests change the app-wide style and palette: put both back afterwards."""
    style_name = qapp.style().name()
    palette = qapp.palette()
    yield
    qapp.setPalette(palette)
    style = QStyleFactory.create(style_name)
    if style is not None:
        qapp.setStyle(style)


def test_palette_follows_the_system_scheme(
    qapp: QApplication, qtbot: Any, restored_style: None
) -> None:
    hints = QGuiApplication.styleHints()
    manager = ThemeManager(qapp)
    # The offscreen platform cannot switch schemes itself: announce what a desktop would.
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert manager.preference == "system"
    assert not manager.is_dark
    assert colors() is LIGHT
    with qtbot.waitSignal(manager.theme_changed, timeout=20_000) as blocker:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert blocker.args == [True]
    assert manager.is_dark
    assert colors() is DARK
    # An explicit choice wins over the system until "system" is chosen again.
    manager.set_preference("light")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not manager.is_dark
    manager.set_preference("system")
    assert manager.is_dark
    manager.set_preference("nonsense")
    assert manager.preference == "system"
    manager.deleteLater()


def test_toasts_stack_without_blocking_and_errors_stay(qtbot: Any) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    host.resize(800, 600)
    host.show()
    center = NotificationCenter(host)
    center.notify("saved", "success", timeout_ms=50)
    error = center.notify("could not connect", "error")
    assert error.level == "error"
    assert [t.note.message for t in center.visible_toasts] == ["saved", "could not connect"]
    qtbot.waitUntil(lambda: len(center.visible_toasts) == 1, timeout=20_000)  # info timed out
    assert all(t.parent() is host for t in center.visible_toasts)  # never a top-level window
    for n in range(MAX_VISIBLE + 2):
        center.notify(f"note {n}", "warning")
    assert len(center.visible_toasts) == MAX_VISIBLE
    # The same message again replaces the old card instead of piling up.
    center.notify(f"note {MAX_VISIBLE + 1}", "warning")
    assert (
        len([t for t in center.visible_toasts if t.note.message == f"note {MAX_VISIBLE + 1}"]) == 1
    )
    toast = center.visible_toasts[-1]
    assert toast.geometry().right() <= host.width()
    center.dismiss_all()
    assert center.visible_toasts == []
    assert len(center.history) == MAX_VISIBLE + 5


def test_banner_offers_actions(qtbot: Any) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_message("No keychain", "warning", [("a", "Use once"), ("b", "Cancel")])
    assert banner.isVisible()
    with qtbot.waitSignal(banner.action_triggered, timeout=20_000) as blocker:
        banner.button("a").click()
    assert blocker.args == ["a"]
    banner.show_message("Again", "info", [("c", "OK")])
    with pytest.raises(KeyError):
        banner.button("a")
    banner.clear()
    assert not banner.isVisible()


@pytest.mark.parametrize("preference", ["dark", "light"])
def test_unticked_check_boxes_stand_out_from_the_window(
    qapp: QApplication, qtbot: Any, restored_style: None, preference: str
) -> None:
    manager = ThemeManager(qapp, preference)
    box = QCheckBox("Highlight")
    qtbot.addWidget(box)
    with qtbot.waitExposed(box, timeout=20_000):
        box.show()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    edge = image.pixelColor(indicator.left(), indicator.center().y())
    window = box.palette().color(QPalette.ColorRole.Window)
    # The outline must differ clearly from the window (it was ~0.05 apart in dark mode).
    assert abs(edge.lightnessF() - window.lightnessF()) > 0.2, (edge.name(), window.name())
    manager.deleteLater()


def test_toasts_follow_the_host_while_shown(qtbot: Any) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    host.resize(800, 600)
    host.show()
    center = NotificationCenter(host)
    center.notify("could not connect", "error")
    toast = center.visible_toasts[0]
    assert toast.geometry().right() == 800 - PLACEMENT_MARGIN - 1
    host.resize(1000, 700)
    qtbot.waitUntil(lambda: toast.geometry().right() == 1000 - PLACEMENT_MARGIN - 1, timeout=20_000)
    center.dismiss_all()
    host.resize(900, 650)  # nothing shown, nothing to move (and nothing breaks)
    center.notify("again", "warning")
    assert center.visible_toasts[0].geometry().right() == 900 - PLACEMENT_MARGIN - 1
