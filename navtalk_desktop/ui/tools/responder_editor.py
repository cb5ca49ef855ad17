"""ResponderChainEditor: the ordered responders of one tool, each with its own settings page."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.config import (
    ErrorPolicy,
    ResponderChain,
    ResponderKind,
    ResponderStep,
)
from navtalk_desktop.core.tools.responder_fields import default_config
from navtalk_desktop.ui.tools.responder_pages import (
    ManualPage,
    ResponderPage,
    ScriptPage,
    StaticPage,
    WebhookPage,
)
from navtalk_desktop.ui.tools.rules_page import RulesPage
from navtalk_desktop.ui.tools.template_page import TemplatePage
from navtalk_desktop.ui.widgets.flow_layout import FlowLayout

KIND_LABELS: dict[ResponderKind, str] = {
    ResponderKind.MANUAL: "Manual — wait for a person in the call desk",
    ResponderKind.STATIC: "Static — always the same text or JSON",
    ResponderKind.TEMPLATE: "Template — rendered from the call's arguments",
    ResponderKind.RULES: "Rules — match argument values, answer per rule",
    ResponderKind.WEBHOOK: "HTTP webhook — forward the call to a URL",
    ResponderKind.SCRIPT: "Script — a Python function in a local file",
}
ERROR_POLICY_LABELS: dict[ErrorPolicy, str] = {
    ErrorPolicy.SEND: "Send “Error: …” as the output",
    ErrorPolicy.NEXT: "Try the next responder",
    ErrorPolicy.SILENT: "Send nothing (call stays unanswered)",
}


class ResponderChainEditor(QWidget):
    """Edits a :class:`ResponderChain`: steps in order, per-step settings and deadlines.

    Every edit emits :attr:`chain_changed` with a new immutable chain; the owner stores it
    through the core editor model (which makes it undoable and autosaves it).
    :meth:`set_chain` shows a chain without emitting.

    Signals:
        chain_changed(object): the user changed the chain; the argument is the new
            :class:`ResponderChain`.
    """

    chain_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chain = ResponderChain.manual_only()
        self._loading = False

        self.approve_check = QCheckBox("Approve drafts", self)
        self.approve_check.setObjectName("approve_drafts")
        self.approve_check.setToolTip(
            "Automatic answers wait as drafts in the call desk until you approve (or edit) them"
        )
        self.on_error_combo = QComboBox(self)
        self.on_error_combo.setObjectName("on_error")
        for policy, label in ERROR_POLICY_LABELS.items():
            self.on_error_combo.addItem(label, str(policy))
        self.on_error_combo.setToolTip(
            "What happens when a responder fails (HTTP 500, template error…)"
        )
        # The choices are long sentences: show what fits, the popup shows them whole.
        self.on_error_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.on_error_combo.setMinimumContentsLength(12)

        self.steps_list = QListWidget(self)
        self.steps_list.setObjectName("responder_steps")
        self.steps_list.setAccessibleName("Responder steps")
        self.steps_list.setToolTip(
            "Responders are tried top to bottom; each answers or passes to the next.\n"
            "Untick a step to skip it."
        )
        self.steps_list.setMaximumWidth(190)
        self.steps_list.setMinimumWidth(130)
        self.steps_list.currentRowChanged.connect(self._on_step_selected)
        self.steps_list.itemChanged.connect(self._on_step_item_changed)

        self.add_button = QToolButton(self)
        self.add_button.setText("Add ▾")
        self.add_button.setToolTip("Add a responder step")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_actions: dict[ResponderKind, QAction] = {}
        for kind, label in KIND_LABELS.items():
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, k=kind: self.add_step(k))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Remove the selected step")
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button = QToolButton(self)
        self.up_button.setText("▲")
        self.up_button.setToolTip("Try the selected step earlier")
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button = QToolButton(self)
        self.down_button.setText("▼")
        self.down_button.setToolTip("Try the selected step later")
        self.down_button.clicked.connect(lambda: self.move_step(1))

        self.kind_label = QLabel(self)
        self.kind_label.setObjectName("step_kind")
        self.kind_label.setWordWrap(True)
        font = self.kind_label.font()
        font.setBold(True)
        self.kind_label.setFont(font)
        self.deadline_check = QCheckBox("Fall back to the next step after", self)
        self.deadline_check.setObjectName("deadline_enabled")
        self.deadline_check.setToolTip("Give up on this step after a while and try the next one")
        self.deadline_spin = QDoubleSpinBox(self)
        self.deadline_spin.setObjectName("deadline_seconds")
        self.deadline_spin.setAccessibleName("Answer deadline in seconds")
        self.deadline_spin.setRange(0.1, 3600.0)
        self.deadline_spin.setDecimals(1)
        self.deadline_spin.setValue(8.0)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setToolTip(
            "Seconds before falling back (e.g. manual, then after 8 s static)"
        )
        self.deadline_check.toggled.connect(self._on_deadline_edited)
        self.deadline_spin.valueChanged.connect(self._on_deadline_edited)

        self.pages: dict[ResponderKind, ResponderPage] = {
            ResponderKind.MANUAL: ManualPage(self),
            ResponderKind.STATIC: StaticPage(self),
            ResponderKind.TEMPLATE: TemplatePage(self),
            ResponderKind.RULES: RulesPage(self),
            ResponderKind.WEBHOOK: WebhookPage(self),
            ResponderKind.SCRIPT: ScriptPage(self),
        }
        self.stack = QStackedWidget(self)
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.changed.connect(self._on_page_changed)
        self.empty_label = QLabel(
            "No responders: calls of this tool wait in the call desk.\nUse “Add” to answer automatically.",
            self,
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

        self.approve_check.toggled.connect(self._on_chain_option_changed)
        self.on_error_combo.currentIndexChanged.connect(self._on_chain_option_changed)

        options = QHBoxLayout()
        options.addWidget(self.approve_check)
        options.addSpacing(12)
        options.addWidget(QLabel("On failure:", self))
        options.addWidget(self.on_error_combo, 1)

        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(self.steps_list, 1)
        # Wraps under the list rather than making the list's column wider.
        step_buttons = FlowLayout(spacing=2)
        step_buttons.addWidget(self.add_button)
        step_buttons.addWidget(self.remove_button)
        step_buttons.addWidget(self.up_button)
        step_buttons.addWidget(self.down_button)
        left.addLayout(step_buttons)

        # The seconds go below the check box when the panel is narrow.
        deadline_row = FlowLayout(spacing=6)
        deadline_row.addWidget(self.deadline_check)
        deadline_row.addWidget(self.deadline_spin)
        self.details = QGroupBox(self)
        self.details.setFlat(True)
        right = QVBoxLayout(self.details)
        right.setContentsMargins(8, 0, 0, 0)
        right.addWidget(self.kind_label)
        right.addLayout(deadline_row)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        right.addWidget(line)
        right.addWidget(self.stack, 1)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.details, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addLayout(body, 1)
        self._show_chain(select=0)

    # ------------------------------------------------------------------ public API
    def chain(self) -> ResponderChain:
        """The chain shown."""
        return self._chain

    def set_chain(self, chain: ResponderChain) -> None:
        """Show ``chain`` (keeps the selected step when possible). Emits nothing."""
        if chain == self._chain:
            return
        row = self.steps_list.currentRow()
        self._chain = chain
        self._show_chain(select=max(row, 0))

    def select_step(self, index: int) -> None:
        """Select step ``index`` (0-based)."""
        self.steps_list.setCurrentRow(index)

    def current_page(self) -> ResponderPage | None:
        """The settings page of the selected step."""
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, ResponderPage) else None

    @property
    def template_page(self) -> TemplatePage:
        """The template settings page (for preview context)."""
        page = self.pages[ResponderKind.TEMPLATE]
        assert isinstance(page, TemplatePage)
        return page

    @property
    def script_page(self) -> ScriptPage:
        """The script settings page (for the trust indicator)."""
        page = self.pages[ResponderKind.SCRIPT]
        assert isinstance(page, ScriptPage)
        return page

    def add_step(self, kind: ResponderKind) -> None:
        """Append a new step of ``kind`` and select it."""
        steps = (*self._chain.steps, ResponderStep(default_config(kind)))
        self._set(self._chain_with(steps=steps), select=len(steps) - 1)

    @Slot()
    def remove_step(self) -> None:
        """Remove the selected step."""
        row = self.steps_list.currentRow()
        if row < 0:
            return
        steps = tuple(s for i, s in enumerate(self._chain.steps) if i != row)
        self._set(self._chain_with(steps=steps), select=min(row, len(steps) - 1))

    def move_step(self, offset: int) -> None:
        """Move the selected step earlier (-1) or later (+1)."""
        row = self.steps_list.currentRow()
        target = row + offset
        steps = list(self._chain.steps)
        if row < 0 or not 0 <= target < len(steps):
            return
        steps[row], steps[target] = steps[target], steps[row]
        self._set(self._chain_with(steps=tuple(steps)), select=target)

    # ------------------------------------------------------------------ internals
    def _chain_with(self, **changes: Any) -> ResponderChain:
        return dataclasses.replace(self._chain, **changes)

    def _set(self, chain: ResponderChain, select: int | None = None, refresh: bool = True) -> None:
        self._chain = chain
        if refresh:
            self._show_chain(select=select if select is not None else self.steps_list.currentRow())
        self.chain_changed.emit(chain)

    def _show_chain(self, select: int) -> None:
        self._loading = True
        try:
            with QSignalBlocker(self.approve_check), QSignalBlocker(self.on_error_combo):
                self.approve_check.setChecked(self._chain.approve)
                self.on_error_combo.setCurrentIndex(
                    self.on_error_combo.findData(str(self._chain.on_error))
                )
            self.steps_list.clear()
            for index, step in enumerate(self._chain.steps):
                item = QListWidgetItem(self._step_text(index, step))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if step.enabled else Qt.CheckState.Unchecked
                )
                tip = KIND_LABELS[step.config.kind]
                if step.deadline_s is not None:
                    tip += f"\nFalls back to the next step after {step.deadline_s:g} s"
                item.setToolTip(tip)
                self.steps_list.addItem(item)
        finally:
            self._loading = False
        if self._chain.steps:
            self.steps_list.setCurrentRow(max(0, min(select, len(self._chain.steps) - 1)))
        self._load_step()

    @staticmethod
    def _step_text(index: int, step: ResponderStep) -> str:
        text = f"{index + 1}. {step.config.kind}"
        if step.deadline_s is not None:
            text += f"  · {step.deadline_s:g} s"
        return text

    def _load_step(self) -> None:
        row = self.steps_list.currentRow()
        has_step = 0 <= row < len(self._chain.steps)
        for widget in (self.remove_button, self.up_button, self.down_button, self.deadline_check):
            widget.setEnabled(has_step)
        if not has_step:
            self.kind_label.setText("")
            self.deadline_spin.setEnabled(False)
            self.stack.setCurrentWidget(self.empty_label)
            return
        step = self._chain.steps[row]
        self._loading = True
        try:
            self.kind_label.setText(KIND_LABELS[step.config.kind])
            with QSignalBlocker(self.deadline_check), QSignalBlocker(self.deadline_spin):
                self.deadline_check.setChecked(step.deadline_s is not None)
                if step.deadline_s is not None:
                    self.deadline_spin.setValue(step.deadline_s)
            self.deadline_spin.setEnabled(step.deadline_s is not None)
            page = self.pages[step.config.kind]
            with QSignalBlocker(page):
                page.load(step.config)
            self.stack.setCurrentWidget(page)
        finally:
            self._loading = False

    def _replace_step(self, row: int, step: ResponderStep, refresh_item: bool = True) -> None:
        steps = list(self._chain.steps)
        steps[row] = step
        self._set(self._chain_with(steps=tuple(steps)), refresh=False)
        if refresh_item:
            item = self.steps_list.item(row)
            if item is not None:
                with QSignalBlocker(self.steps_list):
                    item.setText(self._step_text(row, step))

    @Slot(int)
    def _on_step_selected(self, row: int) -> None:
        del row
        if not self._loading:
            self._load_step()

    @Slot(QListWidgetItem)
    def _on_step_item_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        row = self.steps_list.row(item)
        step = self._chain.steps[row]
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != step.enabled:
            self._replace_step(row, dataclasses.replace(step, enabled=enabled), refresh_item=False)

    @Slot()
    def _on_page_changed(self) -> None:
        if self._loading:
            return
        row = self.steps_list.currentRow()
        page = self.current_page()
        if page is None or not 0 <= row < len(self._chain.steps):
            return
        step = self._chain.steps[row]
        config = page.config()
        if config != step.config:
            self._replace_step(row, dataclasses.replace(step, config=config))

    def _on_deadline_edited(self, *args: Any) -> None:
        del args
        if self._loading:
            return
        row = self.steps_list.currentRow()
        if not 0 <= row < len(self._chain.steps):
            return
        step = self._chain.steps[row]
        enabled = self.deadline_check.isChecked()
        self.deadline_spin.setEnabled(enabled)
        deadline = self.deadline_spin.value() if enabled else None
        if deadline != step.deadline_s:
            self._replace_step(row, dataclasses.replace(step, deadline_s=deadline))

    def _on_chain_option_changed(self, *args: Any) -> None:
        del args
        if self._loading:
            return
        approve = self.approve_check.isChecked()
        policy = ErrorPolicy(self.on_error_combo.currentData())
        if approve != self._chain.approve or policy != self._chain.on_error:
            self._set(self._chain_with(approve=approve, on_error=policy), refresh=False)


__all__ = ["ERROR_POLICY_LABELS", "KIND_LABELS", "ResponderChainEditor"]
