"""Accessibility checks over a widget tree (reusable by any GUI test).

``unnamed_focusable_widgets(root)`` lists every widget under ``root`` that a keyboard
user can reach but a screen reader could not name: Qt's own accessible name (a button's
text, a label's buddy, ``setAccessibleName``) is empty.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget


def is_focusable(widget: QWidget) -> bool:
    """Whether the keyboard can reach ``widget`` (visible, enabled, takes Tab focus)."""
    if not widget.isVisible() or not widget.isEnabled():
        return False
    if widget.focusProxy() is not None:
        return False  # focus goes to the proxy, which is checked itself
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology reads for ``widget`` (Qt's accessibility interface)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    name = interface.text(QAccessible.Text.Name) if interface is not None else ""
    return (name or widget.accessibleName()).strip()


def describe(widget: QWidget) -> str:
    """``ClassName#objectName`` plus the nearest named ancestor, for failure messages."""
    parent = widget.parentWidget()
    while parent is not None and not parent.objectName():
        parent = parent.parentWidget()
    where = f" in {parent.objectName()}" if parent is not None else ""
    return f"{type(widget).__name__}#{widget.objectName() or '?'}{where}"


def unnamed_focusable_widgets(root: QWidget) -> list[str]:
    """Every focusable widget under ``root`` (and ``root``) without an accessible name."""
    window = root.window()
    widgets = [root, *root.findChildren(QWidget)]
    # Pop-ups (a combo box's list) are windows of their own, named by their owner.
    widgets = [w for w in widgets if w.window() is window]
    return [describe(w) for w in widgets if is_focusable(w) and not accessible_name(w)]


__all__ = ["accessible_name", "is_focusable", "unnamed_focusable_widgets"]
