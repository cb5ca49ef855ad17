"""Every focusable widget of the shell, Connection and Tools panels has an accessible name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from navtalk_desktop.app import Workbench
from navtalk_desktop.ui.widgets.accessible_names import label_text, name_form_fields
from tests.gui.accessibility import unnamed_focusable_widgets
from tests.gui.shell.test_window_layout import settle
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest


def test_the_helper_finds_an_unnamed_field_and_form_labels_name_it(qtbot: Any) -> None:
    from PySide6.QtWidgets import QFormLayout

    root = QWidget()
    qtbot.addWidget(root)
    form = QFormLayout(root)
    field = QLineEdit()
    field.setObjectName("city")
    form.addRow(QLabel("City *:"), field)
    root.show()
    assert unnamed_focusable_widgets(root) == ["QLineEdit#city"]
    assert name_form_fields(root) == 1
    assert field.accessibleName() == "City"
    assert unnamed_focusable_widgets(root) == []
    assert label_text("&Endpoint:") == "Endpoint"


def test_shell_connection_and_tools_widgets_are_named(
    qtbot: Any, workbench_factory: Callable[..., Workbench]
) -> None:
    workbench = workbench_factory()
    window = workbench.window
    settle(qtbot, window, 1440, 880)
    tools = workbench.panels["tools"]
    window.menus.tools_beside_action.trigger()
    qtbot.waitUntil(tools.isVisible, timeout=20_000)
    unnamed: set[str] = set(unnamed_focusable_widgets(workbench.panels["connection"]))
    assert window.status is not None
    unnamed.update(unnamed_focusable_widgets(window.status))
    # Every tab of the tool editor and every responder page, shown in turn.
    for tab in range(tools.tabs.count()):
        tools.tabs.setCurrentIndex(tab)
        unnamed.update(unnamed_focusable_widgets(tools))
    chain = tools.chain_editor
    for page in chain.pages.values():
        chain.stack.setCurrentWidget(page)
        qtbot.waitUntil(page.isVisible, timeout=20_000)
        unnamed.update(unnamed_focusable_widgets(tools))
    assert sorted(unnamed) == []
