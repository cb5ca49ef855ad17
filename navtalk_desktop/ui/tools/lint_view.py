"""LintView: every lint message of the tool set, with a summary; a click goes to the field."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from navtalk_desktop.core.tools.lint import LintReport, Severity
from navtalk_desktop.core.tools.locations import within_tool
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.tool_list import DotIcons


class LintView(QWidget):
    """A summary line ("Lint: 1 error") and one row per lint issue.

    Each row reads ``tool / where: message`` with a red (error) or amber (warning) dot.
    The owner places :attr:`summary` where the user looks (the Tools panel: at the top,
    above the editor tabs); the list stays in this widget. While an editor holds text
    that cannot be applied (:meth:`set_pending_error`), the summary says so instead of
    reporting on the last version that could: it never reads "no problems" then.

    Signals:
        location_activated(str): the user clicked or activated an issue; the argument is
            its location (``tools[0].parameters.properties.city``).
    """

    location_activated = Signal(str)

    def __init__(self, icons: DotIcons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icons = icons
        self.summary = QLabel(self)
        self.summary.setObjectName("lint_summary")
        self.summary.setWordWrap(True)
        self.issues = QListWidget(self)
        self.issues.setObjectName("lint_list")
        self.issues.setAccessibleName("Lint problems")
        self.summary.setAccessibleName("Lint summary")
        self.issues.setToolTip("Problems in the tool set; click one to go to the field")
        self.issues.setIconSize(QSize(10, 10))
        self.issues.setWordWrap(True)
        self.issues.itemClicked.connect(self._on_item_activated)
        self.issues.itemActivated.connect(self._on_item_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.issues, 1)
        self._pending_error = ""
        self._report: LintReport | None = None
        self._tools: tuple[ToolEntry, ...] = ()

    def show_report(self, report: LintReport, tools: tuple[ToolEntry, ...]) -> None:
        """List the issues of ``report`` (``tools`` name them) and summarise them."""
        self._report, self._tools = report, tools
        theme = colors(self.palette())
        self.issues.clear()
        for issue in report.issues:
            index = issue.tool_index
            name = tools[index].name if index is not None and index < len(tools) else ""
            where = within_tool(issue.location)
            prefix = f"{name or '(unnamed)'} / {where}" if index is not None else issue.location
            item = QListWidgetItem(f"{prefix}: {issue.message}")
            colour = theme.error if issue.severity is Severity.ERROR else theme.warning
            item.setIcon(self._icons(colour))
            item.setToolTip(f"{issue.severity} at {issue.location} ({issue.code})\n{issue.message}")
            item.setData(Qt.ItemDataRole.UserRole, issue.location)
            self.issues.addItem(item)
        self._summarise()

    def set_pending_error(self, message: str) -> None:
        """An edit that cannot be applied (``message``), or "" once it can."""
        self._pending_error = message
        self._summarise()

    def _summarise(self) -> None:
        theme = colors(self.palette())
        if self._pending_error:
            first = html.escape(self._pending_error.splitlines()[0] if self._pending_error else "")
            self.summary.setText(
                f"<b style='color:{theme.error}'>Not applied: {first}</b> — "
                "lint waits until the text can be applied"
            )
            return
        report = self._report
        if report is None:
            self.summary.clear()
            return
        summary = report.summary()
        if report.blocks_sending:
            self.summary.setText(
                f"<b style='color:{theme.error}'>Lint: {summary}</b> — errors block registering the tools"
            )
        elif report.issues:
            self.summary.setText(f"<b style='color:{theme.warning}'>Lint: {summary}</b>")
        else:
            self.summary.setText(f"<span style='color:{theme.success}'>Lint: no problems</span>")

    @Slot(QListWidgetItem)
    def _on_item_activated(self, item: QListWidgetItem) -> None:
        location = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(location, str):
            self.location_activated.emit(location)


__all__ = ["LintView"]
