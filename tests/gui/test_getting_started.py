"""Help ▸ Getting Started: the steps, "Show me" focusing the right control, README links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from navtalk_desktop import app as app_module
from navtalk_desktop.ui.guide.getting_started import GettingStartedWindow
from navtalk_desktop.ui.guide.steps import STEPS
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]


def _open(qtbot: Any, workbench: app_module.Workbench) -> GettingStartedWindow:
    help_menu = next(
        m for m in workbench.window.findChildren(QMenu) if m.title().replace("&", "") == "Help"
    )
    action = help_menu.actions()[0]
    assert action.text() == "&Getting Started"
    action.trigger()
    window = workbench.guide.window
    assert window is not None
    qtbot.waitUntil(window.isVisible, timeout=20_000)
    return window


def test_help_opens_the_steps_and_show_me_focuses_each_place(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    window = _open(qtbot, workbench)
    assert [s.key for s in STEPS] == ["connect", "type", "answer", "auto", "compose"]
    expected = {
        "connect": workbench.panels["connection"].connect_button,
        "type": workbench.panels["conversation"].input,
        "auto": workbench.panels["call_desk"].mode_buttons["auto"],
    }
    for key, widget in expected.items():
        qtbot.mouseClick(window.show_buttons[key], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda w=widget: w.hasFocus(), timeout=20_000)
    qtbot.mouseClick(window.show_buttons["compose"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "composer" in workbench.window.panels, timeout=20_000)
    qtbot.waitUntil(workbench.window.panels["composer"].isVisible, timeout=20_000)


def test_every_readme_link_opens_its_section(qtbot: Any, workbench_factory: Factory) -> None:
    workbench = workbench_factory()
    window = _open(qtbot, workbench)
    for step in STEPS:
        link = window.readme_links[step.key]
        assert f"README: {step.readme}" in link.text()
        link.linkActivated.emit(f"#{step.readme}")
        readme = workbench.guide.readme
        assert readme is not None
        qtbot.waitUntil(readme.isVisible, timeout=20_000)
        assert readme.current_heading() == step.readme


def test_the_help_entry_has_a_shortcut(qtbot: Any, workbench_factory: Factory) -> None:
    workbench = workbench_factory()
    assert workbench.guide.action.shortcut().toString() == "Shift+F1"
    workbench.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is workbench.window, timeout=20_000)
    qtbot.keyClick(workbench.window, Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: workbench.guide.window is not None and workbench.guide.window.isVisible(),
        timeout=20_000,
    )
