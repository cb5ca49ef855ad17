"""Stricter than tests/gui/accessibility.py: a name must have a word, not only a symbol."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from tests.gui.accessibility import accessible_name, describe, is_focusable


def unnamed_focusable(root: QWidget) -> list[str]:
    """Focusable widgets under ``root`` whose accessible name is empty or a symbol ("▲")."""
    widgets = [root, *root.findChildren(QWidget)]
    return [
        describe(widget)
        for widget in widgets
        if widget.window() is root.window()
        and is_focusable(widget)
        and not any(character.isalnum() for character in accessible_name(widget))
    ]
