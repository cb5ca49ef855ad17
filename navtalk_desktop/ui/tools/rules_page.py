"""RulesPage: the rules responder's ordered rules as an editable table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.config import MatchKind, ResponderConfig, Rule, RulesConfig
from navtalk_desktop.core.tools.responder_fields import rule_cells, rule_from_cells
from navtalk_desktop.ui.tools.responder_pages import ResponderPage


class RulesPage(ResponderPage):
    """Ordered rules: match kind, argument path, value or pattern, output, delay, error."""

    COLUMNS = ("Match", "Path", "Value / pattern", "Output", "Delay s", "Error", "Aa")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("rules_table")
        self.table.setAccessibleName("Rules")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.table.setToolTip(
            "Rules are tried top to bottom; the first match answers.\n"
            "Path: argument name, dotted path (address.city) or JSON path ($.items[0].sku).\n"
            "Value (equals / json_path): JSON or plain text. Pattern (regex): searched in the value.\n"
            "Error: when set, answer “Error: <text>” instead of the output. Aa: ignore case.\n"
            "A rule of kind “any” is the wildcard fallback."
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 92), (1, 90), (2, 110), (4, 60), (5, 80), (6, 34)):
            header.resizeSection(column, width)
        self.table.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton("Add rule", self)
        self.add_button.setToolTip("Add a rule at the end (before a trailing wildcard)")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected rule")
        self.up_button = QToolButton(self)
        self.up_button.setText("▲")
        self.up_button.setToolTip("Move the selected rule up")
        self.down_button = QToolButton(self)
        self.down_button.setText("▼")
        self.down_button.setToolTip("Move the selected rule down")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button.clicked.connect(self.remove_rule)
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button.clicked.connect(lambda: self.move_rule(1))
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, RulesConfig)
        self._loading = True
        try:
            self.table.setRowCount(0)
            for rule in config.rules:
                self._append_row(rule)
        finally:
            self._loading = False

    def config(self) -> ResponderConfig:
        return RulesConfig(rules=tuple(self.rule_at(row) for row in range(self.table.rowCount())))

    def rule_at(self, row: int) -> Rule:
        """The rule shown in ``row`` (fields that do not parse keep a text form)."""
        combo = self.table.cellWidget(row, 0)
        assert isinstance(combo, QComboBox)
        ignore = self.table.item(row, 6)
        return rule_from_cells(
            MatchKind(combo.currentData()),
            *(self._text(row, column) for column in range(1, 6)),
            ignore_case=ignore is not None and ignore.checkState() == Qt.CheckState.Checked,
        )

    @Slot()
    def add_rule(self) -> None:
        """Add a rule that tests the first argument for equality."""
        rule = Rule(match=MatchKind.EQUALS, path="", value="", output="")
        row = self.table.rowCount()
        last = self.table.rowCount() - 1
        if last >= 0 and self.rule_at(last).match is MatchKind.ANY:
            row = last  # keep the wildcard fallback last
        self._loading = True
        try:
            self._insert_row(row, rule)
        finally:
            self._loading = False
        self.table.selectRow(row)
        item = self.table.item(row, 1)
        if item is not None:
            self.table.editItem(item)
        self.changed.emit()

    @Slot()
    def remove_rule(self) -> None:
        """Remove the selected rule."""
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        self.changed.emit()

    def move_rule(self, offset: int) -> None:
        """Move the selected rule up (-1) or down (+1)."""
        row = self.table.currentRow()
        target = row + offset
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        rule = self.rule_at(row)
        self._loading = True
        try:
            self.table.removeRow(row)
            self._insert_row(target, rule)
        finally:
            self._loading = False
        self.table.selectRow(target)
        self.changed.emit()

    def _append_row(self, rule: Rule) -> None:
        self._insert_row(self.table.rowCount(), rule)

    def _insert_row(self, row: int, rule: Rule) -> None:
        self.table.insertRow(row)
        combo = QComboBox(self.table)
        for kind in MatchKind:
            combo.addItem(str(kind), str(kind))
        combo.setCurrentIndex(combo.findData(str(rule.match)))
        combo.setToolTip(
            "equals: value equality · regex: pattern search · json_path · any: wildcard"
        )
        combo.currentIndexChanged.connect(self._on_combo_changed)
        self.table.setCellWidget(row, 0, combo)
        for column, text in enumerate(rule_cells(rule), start=1):
            self.table.setItem(row, column, QTableWidgetItem(text))
        check = QTableWidgetItem()
        check.setFlags(
            Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
        )
        check.setCheckState(Qt.CheckState.Checked if rule.ignore_case else Qt.CheckState.Unchecked)
        check.setToolTip("Ignore case (equals on strings, regex)")
        self.table.setItem(row, 6, check)

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return "" if item is None else item.text()

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        del item
        if not self._loading:
            self.changed.emit()

    @Slot(int)
    def _on_combo_changed(self, index: int) -> None:
        del index
        if not self._loading:
            self.changed.emit()


__all__ = ["RulesPage"]
