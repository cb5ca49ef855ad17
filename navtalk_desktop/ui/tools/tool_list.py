"""ToolList: the tools of a set, each with a coloured dot for its lint state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget

from navtalk_desktop.core.calls.answer_plan import describe_chain
from navtalk_desktop.core.tools.lint import LintReport, Severity
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from navtalk_desktop.ui.shell.theme import colors


def dot_icon(colour: str, size: int = 10) -> QIcon:
    """A filled circle of ``colour`` (lint state of a tool or a lint message)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(colour)))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


# Shown in the list while the set has no tools: what to do next.
EMPTY_HINT = (
    "No tools yet.\n\nNew ▾ adds one (empty or from a template), Open… loads a tool set, "
    "and the Examples menu has ready-made ones."
)


class DotIcons:
    """Dot icons by colour, each painted once."""

    def __init__(self) -> None:
        self._icons: dict[str, QIcon] = {}

    def __call__(self, colour: str) -> QIcon:
        icon = self._icons.get(colour)
        if icon is None:
            icon = self._icons[colour] = dot_icon(colour)
        return icon


_DISABLED = Qt.ItemDataRole.UserRole + 7
"""Item data: the row's tool is disabled (its name is muted in every theme)."""


class ToolList(QListWidget):
    """One row per tool: its name (italic and muted when disabled) and a lint dot.

    Red: the tool has lint errors; amber: warnings only; green: no problems. The tooltip
    is the tool's description and its problem count.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tool_list")
        self.setAccessibleName("Tools")
        self.setToolTip("Tools of this set. Drop .json files here to import them.")
        self.setMinimumWidth(110)
        self.setIconSize(QSize(10, 10))
        self.icons = DotIcons()
        self.empty_label = QLabel(EMPTY_HINT, self.viewport())
        self.empty_label.setObjectName("tool_list_empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)  # muted, like placeholder text
        model = self.model()
        model.rowsInserted.connect(self._show_empty_state)
        model.rowsRemoved.connect(self._show_empty_state)
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        self.empty_label.setGeometry(self.viewport().rect().adjusted(6, 6, -6, -6))
        self.empty_label.setVisible(self.count() == 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._show_empty_state()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.PaletteChange:
            muted = QBrush(QColor(colors(self.palette()).muted_text))
            for row in range(self.count()):
                item = self.item(row)
                if item is not None and item.data(_DISABLED):
                    item.setData(Qt.ItemDataRole.ForegroundRole, muted)
        super().changeEvent(event)

    def show_tools(self, toolset: ToolSet, lint: LintReport, select: int) -> None:
        """Show every tool of ``toolset`` and select row ``select``, without signals."""
        count = len(toolset)
        self.blockSignals(True)
        try:
            while self.count() > count:
                self.takeItem(self.count() - 1)
            while self.count() < count:
                self.addItem(QListWidgetItem())
            for index, entry in enumerate(toolset.tools):
                self.style_item(index, entry, lint)
            self.setCurrentRow(select)
        finally:
            self.blockSignals(False)

    def restyle(self, toolset: ToolSet, lint: LintReport) -> None:
        """Update every row's dot and tooltip for a new lint report."""
        for index, entry in enumerate(toolset.tools):
            self.style_item(index, entry, lint)

    def style_item(self, index: int, entry: ToolEntry, lint: LintReport) -> None:
        """Text, font, colour, dot and tooltip of row ``index``."""
        item = self.item(index)
        if item is None:
            return
        text = entry.name or "(unnamed)"
        if not entry.enabled:
            text += "  (disabled)"
        item.setText(text)
        font = item.font()
        font.setItalic(not entry.enabled)
        item.setFont(font)
        theme = colors(self.palette())
        # An enabled name has no colour of its own: it follows the palette, so a live theme
        # switch keeps it readable. A disabled one is muted (re-coloured on a switch).
        item.setData(_DISABLED, not entry.enabled)
        item.setData(
            Qt.ItemDataRole.ForegroundRole,
            None if entry.enabled else QBrush(QColor(theme.muted_text)),
        )
        issues = lint.for_tool(index)
        errors = sum(1 for issue in issues if issue.severity is Severity.ERROR)
        warnings = len(issues) - errors
        if errors:
            item.setIcon(self.icons(theme.error))
        elif warnings:
            item.setIcon(self.icons(theme.warning))
        else:
            item.setIcon(self.icons(theme.success))
        tip = entry.tool.description.strip() or "No description"
        # What answers it: the same words as on its call cards.
        tip += f"\n\nAnswered by: {describe_chain(entry.chain)}"
        if entry.chain.steps and entry.chain.steps[0].enabled and not entry.chain.has_automatic:
            tip += " (Auto mode waits for you: nothing automatic)"
        if issues:
            tip += f"\n\n{errors} error(s), {warnings} warning(s)"
        item.setToolTip(tip)


__all__ = ["DotIcons", "ToolList", "dot_icon"]
