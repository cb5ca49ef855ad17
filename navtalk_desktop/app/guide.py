"""Help → Getting Started and the README viewer, wired to the workbench's panels.

"Show me" brings the step's panel forward and focuses the control the user acts on; a
README link opens the README (from the installed package's metadata, or README.md next to
the source) at that section.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from navtalk_desktop.ui.guide.getting_started import GettingStartedWindow
from navtalk_desktop.ui.guide.readme_viewer import ReadmeWindow

if TYPE_CHECKING:
    from navtalk_desktop.app.workbench import Workbench

log = logging.getLogger(__name__)

GUIDE_SHORTCUT = "Shift+F1"
# Step -> (dock, panel attribute to focus: a dotted path, "" for the panel itself).
STEP_TARGETS = {
    "connect": ("connection", "connect_button"),
    "type": ("conversation", "input"),
    "answer": ("call_desk", ""),
    "auto": ("call_desk", "mode_buttons.auto"),
}


def load_readme() -> str | None:
    """The README's Markdown: README.md beside the source (a checkout: always current),
    else the installed package's long description (the same text, as built)."""
    source = Path(__file__).resolve().parents[2] / "README.md"
    with contextlib.suppress(OSError):
        return source.read_text(encoding="utf-8")
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        text = importlib.metadata.metadata("navtalk-desktop").json.get("description")
        if isinstance(text, str) and text.strip():
            return text
    return None


class Guide:
    """Owns the Getting started and README windows of one workbench (made when first used).

    Attributes:
        action: Help → Getting Started (Shift+F1).
        window: the Getting started page, once opened.
        readme: the README viewer, once opened.
    """

    def __init__(self, workbench: Workbench, composer: QAction | None) -> None:
        self._workbench = workbench
        self._composer = composer
        self.window: GettingStartedWindow | None = None
        self.readme: ReadmeWindow | None = None
        main = workbench.window
        self.action = QAction("&Getting Started", main)
        self.action.setObjectName("action_getting_started")
        self.action.setShortcut(QKeySequence(GUIDE_SHORTCUT))
        self.action.setStatusTip("Connect, type, answer, auto: the first steps, with links")
        self.action.triggered.connect(self.open)
        main.addAction(self.action)
        help_menu = _menu(main, "Help")
        if help_menu is not None:
            actions = help_menu.actions()
            if actions:
                help_menu.insertAction(actions[0], self.action)
                help_menu.insertSeparator(actions[0])
            else:
                help_menu.addAction(self.action)

    def open(self) -> GettingStartedWindow:
        """Show the Getting started page (made on first use)."""
        if self.window is None:
            self.window = GettingStartedWindow(self._workbench.window)
            self.window.show_requested.connect(self.show_step)
            self.window.readme_requested.connect(self.open_readme)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        return self.window

    def show_step(self, key: str) -> None:
        """Bring the step's panel forward and focus the control the user acts on."""
        if key == "compose":
            if self._composer is not None:
                self._composer.trigger()
            return
        dock_key, path = STEP_TARGETS[key]
        main = self._workbench.window
        panel = main.ensure_panel(dock_key)
        dock = main.docks.get(dock_key)
        if dock is not None:
            dock.show()
            dock.raise_()
        target: object = panel
        for name in filter(None, path.split(".")):
            target = target.get(name) if isinstance(target, dict) else getattr(target, name, None)
        if isinstance(target, QWidget):
            main.activateWindow()
            target.setFocus()

    def open_readme(self, heading: str) -> ReadmeWindow:
        """Show the README at ``heading``."""
        if self.readme is None:
            self.readme = ReadmeWindow(load_readme(), self._workbench.window)
        self.readme.show()
        self.readme.raise_()
        if not self.readme.show_section(heading):
            log.warning("README has no section %r", heading)
        return self.readme


def _menu(window: QWidget, title: str) -> QMenu | None:
    for menu in window.findChildren(QMenu):
        if menu.title().replace("&", "") == title:
            return menu
    return None
