"""Follow System keeps the desktop's high-contrast palette and native style; Light/Dark use ours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from navtalk_desktop.ui.shell.platform_look import PlatformLook
from navtalk_desktop.ui.shell.theme import DARK, ThemeManager, WorkbenchStyle, colors


@pytest.fixture
def restored_style(qapp: QApplication) -> Iterator[None]:
    """These tests change the app-wide style and palette: put both back afterwards."""
    style_name = qapp.style().name()
    palette = qapp.palette()
    yield
    qapp.setPalette(palette)
    style = QStyleFactory.create(style_name)
    if style is not None:
        qapp.setStyle(style)


def high_contrast_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#000000"),
        (QPalette.ColorRole.WindowText, "#ffff00"),
        (QPalette.ColorRole.Base, "#000000"),
        (QPalette.ColorRole.Text, "#ffffff"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def test_a_high_contrast_desktop_keeps_its_palette_until_a_theme_is_chosen(
    qapp: QApplication, qtbot: Any, restored_style: None
) -> None:
    contrast = {"high": True}
    look = PlatformLook("Windows", high_contrast_palette(), lambda: contrast["high"])
    manager = ThemeManager(qapp, platform=look)
    assert manager.follows_platform
    assert not isinstance(qapp.style(), WorkbenchStyle)  # not forced to Fusion
    assert qapp.palette().color(QPalette.ColorRole.WindowText) == QColor("#ffff00")
    # An explicit choice uses the app's palette on its own style.
    manager.set_preference("dark")
    assert isinstance(qapp.style(), WorkbenchStyle)
    assert colors() is DARK
    # Back to the system: high contrast again.
    manager.set_preference("system")
    assert qapp.palette().color(QPalette.ColorRole.WindowText) == QColor("#ffff00")
    # High contrast switched off on a generic style: the app's palette is the fallback.
    contrast["high"] = False
    manager.apply()
    assert isinstance(qapp.style(), WorkbenchStyle)
    assert qapp.palette().color(QPalette.ColorRole.WindowText) != QColor("#ffff00")
    # Gone before the next test: a live manager would still follow the system's signals.
    with qtbot.waitSignal(manager.destroyed, timeout=20_000):
        manager.deleteLater()


def test_a_native_style_is_kept_when_the_desktop_reports_its_scheme() -> None:
    palette = QPalette()
    native = PlatformLook("windows11", palette, lambda: False)
    assert native.keep(Qt.ColorScheme.Light)
    assert native.keep(Qt.ColorScheme.Dark)
    assert not native.keep(Qt.ColorScheme.Unknown)  # nothing known: our palette
    generic = PlatformLook("Fusion", palette, lambda: False)
    assert not generic.keep(Qt.ColorScheme.Dark)
    assert PlatformLook("Fusion", palette, lambda: True).keep(Qt.ColorScheme.Unknown)
