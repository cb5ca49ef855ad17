"""Which focusable widgets lack an accessible name (what a screen reader would announce)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget


def unnamed_focusable(root: QWidget) -> list[str]:
    """Focusable widgets under ``root`` (shown ones) whose accessible name is empty."""
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(root):
            continue
        if widget.focusProxy() is not None:
            continue  # its proxy takes the focus (and is checked itself)
        interface = QAccessible.queryAccessibleInterface(widget)
        name = interface.text(QAccessible.Text.Name) if interface is not None else ""
        # A symbol alone ("▲") tells a screen reader user nothing.
        if not any(character.isalnum() for character in name):
            missing.append(
                f"{type(widget).__name__} {widget.objectName() or '(no object name)'}"
                f" in {type(widget.parent()).__name__}"
            )
    return missing
