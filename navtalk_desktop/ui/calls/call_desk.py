"""CallDesk: pending calls as cards, the answer mode switch, and the history of answered calls."""

from __future__ import annotations

import time
from functools import partial

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.calls.answer_plan import AnswerPlan, answer_plan
from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.quick_replies import (
    answer_form_template,
    quick_replies,
    with_quick_reply,
    without_quick_reply,
)
from navtalk_desktop.core.engine.events import CallSnapshot, CallView, DispatchSnapshot
from navtalk_desktop.core.regression.ports import SuiteFiles
from navtalk_desktop.core.responders.chain import error_output
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.ui.calls.call_card import CallCard
from navtalk_desktop.ui.calls.call_history import fill_history_item, history_tree, titled_history
from navtalk_desktop.ui.calls.desk_save_test import SaveTestDesk
from navtalk_desktop.ui.calls.desk_widgets import (
    RESULT_STYLE_TEXT,
    cards_area,
    detach_editor_listener,
    mode_buttons,
    style_mode_buttons,
)
from navtalk_desktop.ui.regression.save_test_dialog import SaveTestDialog
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.throttle import Throttle

TICK_MS = 100
CARD_DELAY_S = 0.25
"""In auto mode, how long a call may stay open before it gets a card."""


class CallDesk(SaveTestDesk):
    """The call desk: answer function calls by hand, by quick reply, or approve drafts.

    Pending calls are cards (oldest first) with a countdown to the profile's answer
    deadline. Answers go through the session's dispatcher when app.py provides one (so a
    chain's waiting manual step receives them and drafts can be approved), otherwise
    straight through :meth:`EngineAdapter.answer_call`; either way the profile's result
    style is used. Answered, failed, expired and abandoned calls move to the history with
    their timings (received → answered → model resumed).

    Args:
        bridge: the session bridge (calls, answers, answer mode).
        editor: the tool set editor; gives result templates and stores quick replies in
            the tool set's metadata (so they are saved and undone with it).
        parent: optional parent widget.

    Signals:
        pending_changed(int): the number of calls waiting for an answer changed.
        notification_requested(str, str): message and level for the notification centre.
        test_saved(str): "Save as test" added a test to this suite file.
    """

    pending_changed = Signal(int)

    def __init__(
        self, bridge: EngineAdapter, editor: ToolSetEditor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("CallDesk")
        self._bridge = bridge
        self._editor = editor
        self._cards: dict[str, CallCard] = {}
        # The last output sent per tool: a shape for the next call's answer form.
        self._previous_answers: dict[str, str] = {}
        self._history: dict[str, QTreeWidgetItem] = {}
        # "Save as Test…" writes suite files through this (set by the app); None hides it.
        self._suite_files: SuiteFiles | None = None
        self.save_test_dialog: SaveTestDialog | None = None
        # Calls whose history row is still to be written: under load calls end hundreds
        # of times a second, and each row change relayouts and repaints the tree, so
        # rows are written in batches, a few times a second (see Throttle).
        self._history_due: dict[str, CallView] = {}
        self._history_throttle = Throttle(self.flush_history, parent=self)
        self._calls: dict[str, CallView] = {}
        # In auto mode most calls are answered within milliseconds, and building a card
        # (tens of widgets) for each one is what stalls the UI under load: a call gets
        # its card only once it has been open CARD_DELAY_S, or at once when it needs a
        # person (waiting/draft dispatch, overdue, mode no longer auto).
        # Key → monotonic time its card is due.
        self._deferred: dict[str, float] = {}
        self._defer_timer = QTimer(self)
        self._defer_timer.setSingleShot(True)
        self._defer_timer.timeout.connect(self._add_deferred_cards)
        self._dark = colors(self.palette()).dark

        self.mode_buttons: dict[str, QToolButton] = {}
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        mode_row = QHBoxLayout()
        mode_row.setSpacing(0)
        for mode, button in mode_buttons(self, self._bridge.set_answer_mode).items():
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            mode_row.addWidget(button)
        style_mode_buttons(self.mode_buttons, colors(self.palette()))
        self.pending_label = QLabel(self)
        self.pending_label.setObjectName("pending_count")
        self.style_label = QLabel(self)
        self.style_label.setObjectName("result_style")
        # Long style names must not force the dock wider than the user wants it.
        self.style_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.style_label.setWordWrap(True)
        self.style_label.setToolTip("How answers are sent (the connection profile's result style)")

        self.cards_widget, self.cards_layout, self.empty_label, self.scroll_area = cards_area(self)
        self.history = history_tree(self)
        # Save as Test… on a history row: what the user just saw becomes a repeatable check.
        self.save_test_action = QAction("Save as Test…", self.history)
        self.save_test_action.setVisible(False)
        self.save_test_action.triggered.connect(self._on_save_test_action)
        self.history.addAction(self.save_test_action)
        self.history.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.history.currentItemChanged.connect(self._update_save_test_action)
        history_box = titled_history(self.history, self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.scroll_area)
        splitter.addWidget(history_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([480, 160])
        top = QHBoxLayout()
        top.addLayout(mode_row)
        top.addSpacing(12)
        top.addWidget(self.pending_label)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.style_label)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)

        bridge.call_received.connect(self._on_bridge_call_received)
        bridge.call_updated.connect(self._on_bridge_call_updated)
        bridge.call_overdue.connect(self._on_bridge_call_overdue)
        bridge.answer_mode_changed.connect(self._on_bridge_mode_changed)
        bridge.profile_changed.connect(self._on_bridge_profile_changed)
        bridge.dispatch_changed.connect(self._on_bridge_dispatch_changed)
        bridge.error_reported.connect(self._on_bridge_error_reported)
        self._editor_listener = self._on_editor_event
        editor.add_listener(self._editor_listener)
        self.destroyed.connect(partial(detach_editor_listener, editor, self._editor_listener))
        self._on_bridge_mode_changed(bridge.answer_mode)
        self._on_bridge_profile_changed()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            dark = colors(self.palette()).dark
            if dark != self._dark:
                self._dark = dark
                style_mode_buttons(self.mode_buttons, colors(self.palette()))
                self._update_pending()

    # ------------------------------------------------------------------ public API
    def set_editor(self, editor: ToolSetEditor) -> None:
        """Use another tool set document for result templates and quick replies."""
        if editor is self._editor:
            return
        detach_editor_listener(self._editor, self._editor_listener)
        self._editor = editor
        editor.add_listener(self._editor_listener)
        self.destroyed.connect(partial(detach_editor_listener, editor, self._editor_listener))
        self._on_editor_event(EditorEvent(EditorEventKind.CHANGED))

    @property
    def cards(self) -> list[CallCard]:
        """Pending call cards, oldest first."""
        return list(self._cards.values())

    def card(self, key: str) -> CallCard | None:
        """The card of the call with this key (or call id)."""
        card = self._cards.get(key)
        if card is None:
            call = self._bridge.calls.get(key)
            card = self._cards.get(call.key) if call is not None else None
        return card

    def history_item(self, key: str) -> QTreeWidgetItem | None:
        """The history row of an answered call (rows still due are written first)."""
        self.flush_history()
        return self._history.get(key)

    def answer_next_with_quick_reply(self, n: int) -> bool:
        """Answer the oldest waiting call with its tool's quick reply ``n`` (1 to 9).

        A call whose answer is already on its way does not count as waiting.

        Returns whether an answer was sent; tells the user why not otherwise.
        """
        # A card whose answer is already on its way stays until the session confirms it
        # (on the engine thread): a second press goes to the next call, not to that one.
        card = next((c for c in self._cards.values() if not c.busy), None)
        if card is None:
            self.notification_requested.emit("No call is waiting for an answer", "info")
            return False
        if card.send_quick_reply(n - 1):
            return True
        name = card.call.name or "this tool"
        self.notification_requested.emit(
            f"{name} has no quick reply {n}; save one with “☆ Save” on its card", "warning"
        )
        return False

    def focus_next_call(self) -> bool:
        """Scroll to the oldest pending call and focus its answer (for a shortcut)."""
        if not self._cards:
            return False
        card = next(iter(self._cards.values()))
        self.scroll_area.ensureWidgetVisible(card)
        card.answer.setFocus()
        return True

    def answer(self, key: str, output: str, is_error: bool = False) -> None:
        """Send ``output`` for the call ``key`` (what the card's Send button does).

        Errors are sent in the seed's shape, ``Error: <message>``.
        """
        card = self.card(key)
        if card is not None:
            card.set_busy(True)
        self._bridge.answer_call(
            key, error_output(output) if is_error else output, is_error=is_error
        )

    @Slot()
    def tick(self) -> None:
        """Advance every countdown."""
        now = time.monotonic()
        for card in self._cards.values():
            card.tick(now)

    # ------------------------------------------------------------------ bridge → desk
    @Slot(object)
    def _on_bridge_call_received(self, call: CallSnapshot) -> None:
        self._calls[call.key] = call
        if call.state.is_open and self._bridge.answer_mode == "auto":
            self._deferred[call.key] = time.monotonic() + CARD_DELAY_S
            if not self._defer_timer.isActive():
                self._schedule_deferred()
        elif call.state.is_open:
            self._add_card(call)
        else:
            self._queue_history(call)

    def _schedule_deferred(self) -> None:
        """Wake up when the oldest deferred call's card is due (dict order = arrival)."""
        if not self._deferred:
            self._defer_timer.stop()
            return
        due = next(iter(self._deferred.values()))
        self._defer_timer.start(max(0, round((due - time.monotonic()) * 1000)))

    def _promote(self, key: str) -> None:
        """Give a deferred call its card now, if it is still open."""
        if self._deferred.pop(key, None) is None:
            return
        call = self._calls.get(key)
        if call is not None and call.state.is_open:
            self._add_card(call)

    @Slot()
    def _add_deferred_cards(self) -> None:
        now = time.monotonic()
        for key, due in list(self._deferred.items()):
            if due > now:
                break  # arrival order: every later call is due later
            self._promote(key)
        self._schedule_deferred()

    @Slot(object)
    def _on_bridge_call_overdue(self, call: CallSnapshot) -> None:
        # Past its deadline a call needs a person whatever the mode.
        self._calls[call.key] = call
        self._promote(call.key)
        self._on_bridge_call_updated(call)

    @Slot(object)
    def _on_bridge_call_updated(self, call: CallSnapshot) -> None:
        self._calls[call.key] = call
        card = self._cards.get(call.key)
        if card is not None:
            card.call = call  # the card shows the latest snapshot
        if call.state.is_final:
            self._deferred.pop(call.key, None)
            if card is not None:
                self._remove_card(call.key)
            self._queue_history(call)
            return
        if card is None and call.state.is_open and call.key not in self._deferred:
            card = self._add_card(call)
        if card is not None:
            card.refresh()
            # While the answer frames go out (answering), the controls stay disabled.
            card.set_busy(call.state is CallState.ANSWERING)
            card.tick()

    @Slot(object)
    def _on_bridge_mode_changed(self, mode: str) -> None:
        button = self.mode_buttons.get(mode)
        if button is not None:
            button.setChecked(True)
        self._show_plans()
        if mode != "auto":
            # Nothing answers these automatically any more: show them all now.
            for key in list(self._deferred):
                self._promote(key)
            self._schedule_deferred()

    @Slot()
    def _on_bridge_profile_changed(self) -> None:
        # A new session: its calls start fresh. Cards of the old one cannot be answered.
        self._deferred.clear()
        self._defer_timer.stop()
        for key in list(self._cards):
            self._remove_card(key)
        style = self._bridge.profile.result_style.value
        muted = colors(self.palette()).muted_text
        self.style_label.setText(
            f"<span style='color:{muted}'>Answers are sent as "
            f"{RESULT_STYLE_TEXT.get(style, style)}</span>"
        )

    @Slot(object)
    def _on_bridge_dispatch_changed(self, call: CallSnapshot) -> None:
        key = call.key
        self._calls[key] = call
        record = call.dispatch
        card = self._cards.get(key)
        if card is not None:
            card.call = call
        if record is not None and record.status.value in ("waiting", "draft"):
            self._promote(key)  # a person has to act: no waiting for the deferral
        card = self._cards.get(key)
        if card is None or record is None:
            return
        self._show_record(card, record)

    @Slot(str)
    def _on_bridge_error_reported(self, message: str) -> None:
        del message  # the notification centre shows it
        # A failed send or Auto-answer leaves the call open: give its controls back.
        for card in self._cards.values():
            if card.call.state.is_open:
                card.set_busy(False)
                record = card.call.dispatch if isinstance(card.call, CallSnapshot) else None
                if record is not None and record.status.value == "waiting":
                    card.set_run_available(True)

    def _plan_for(self, name: str) -> AnswerPlan:
        entry = self._editor.toolset.find(name) if name else None
        chain = entry.chain if entry is not None and entry.enabled else None
        return answer_plan(chain, str(self._bridge.answer_mode))

    def _show_plans(self) -> None:
        """Tell every card what answers its tool now (mode or tool set changed)."""
        for card in self._cards.values():
            card.set_plan(self._plan_for(card.call.name))

    def _show_record(self, card: CallCard, record: DispatchSnapshot) -> None:
        status = record.status.value
        card.set_dispatch(status, record.draft, record.responder, list(record.messages))
        # Offered while the call waits for a person; its tooltip says what it runs or
        # why nothing can (clicking then says so too).
        card.set_run_available(status == "waiting")
        if status in ("waiting", "draft"):
            card.set_busy(False)

    # ------------------------------------------------------------------ cards
    def _add_card(self, call: CallView) -> CallCard:
        existing = self._cards.get(call.key)
        if existing is not None:
            return existing
        entry = self._editor.toolset.find(call.name) if call.name else None
        replies = quick_replies(self._editor.toolset, call.name) if call.name else []
        # A form whenever there is a shape to start from: the responders' output or the
        # last answer sent for this tool; the card says which.
        form = answer_form_template(entry, self._previous_answers.get(call.name))
        card = CallCard(
            call,
            deadline_s=call.answer_deadline_s if isinstance(call, CallSnapshot) else None,
            template=form[0] if form is not None else None,
            quick_replies=replies,
            parent=self.cards_widget,
            form_source=form[1] if form is not None else "",
        )
        card.send_requested.connect(self.answer)
        card.approve_requested.connect(self._approve)
        card.reject_requested.connect(self._reject)
        card.run_requested.connect(self._run_responders)
        card.quick_reply_saved.connect(self._save_quick_reply)
        card.quick_reply_removed.connect(self._remove_quick_reply)
        card.save_test_requested.connect(self.open_save_test)
        card.save_test_button.setVisible(self._suite_files is not None)
        # Insert before the stretch at the end; cards stay in arrival order.
        self.cards_layout.insertWidget(self.cards_layout.count() - 1, card)
        self._cards[call.key] = card
        card.set_plan(self._plan_for(call.name))
        record = call.dispatch if isinstance(call, CallSnapshot) else None
        if record is not None:
            self._show_record(card, record)
        elif not self._bridge.has_dispatcher:
            card.set_dispatch("waiting", None, "", [])
        self._update_pending()
        return card

    def _remove_card(self, key: str) -> None:
        card = self._cards.pop(key, None)
        if card is not None:
            self.cards_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self._update_pending()

    def _update_pending(self) -> None:
        count = len(self._cards)
        self.empty_label.setVisible(count == 0)
        theme = colors(self.palette())
        if count:
            self.pending_label.setText(
                f"<b style='color:{theme.warning}'>{count} call{'s' * (count != 1)} waiting</b>"
            )
            if not self._timer.isActive():
                self._timer.start()
        else:
            self.pending_label.setText(
                f"<span style='color:{theme.muted_text}'>No calls waiting</span>"
            )
            self._timer.stop()
        self.pending_changed.emit(count)

    # ------------------------------------------------------------------ actions
    def _approve(self, key: str, text: str) -> None:
        card = self._cards.get(key)
        if card is None:
            return
        card.set_busy(True)
        self._bridge.approve_draft(key, None if text == card.draft else text)

    def _reject(self, key: str) -> None:
        self._bridge.reject_draft(key)

    def _run_responders(self, key: str) -> None:
        card = self._cards.get(key)
        if card is not None:
            card.set_run_available(False)
        self._bridge.run_responders(key)

    def _save_quick_reply(self, tool_name: str, text: str) -> None:
        try:
            toolset = with_quick_reply(self._editor.toolset, tool_name, text)
        except ValueError as error:
            self.notification_requested.emit(str(error), "warning")
            return
        self._editor.apply(f"Save quick reply for {tool_name}", toolset)
        count = len(quick_replies(toolset, tool_name))
        self.notification_requested.emit(
            f"Saved as quick reply {count} for {tool_name} (Ctrl+{count})", "success"
        )

    def _remove_quick_reply(self, tool_name: str, index: int) -> None:
        try:
            toolset = without_quick_reply(self._editor.toolset, tool_name, index)
        except IndexError:
            return
        self._editor.apply(f"Remove quick reply for {tool_name}", toolset)

    def _on_editor_event(self, event: EditorEvent) -> None:
        if event.kind is not EditorEventKind.CHANGED:
            return
        toolset = self._editor.toolset
        for card in self._cards.values():
            if card.call.name:
                replies = quick_replies(toolset, card.call.name)
                if replies != card.quick_replies:
                    card.set_quick_replies(replies)
        self._show_plans()  # a chain may have changed

    # ------------------------------------------------------------------ history
    def _queue_history(self, call: CallView) -> None:
        if call.name and call.output and call.state is CallState.ANSWERED and not call.is_error:
            self._previous_answers[call.name] = call.output
        self._history_due[call.key] = call
        self._history_throttle.request()

    @Slot()
    def flush_history(self) -> None:
        """Write the history rows of calls that ended since the last batch, in one batch.

        Runs through a throttle; :meth:`history_item` calls it too.
        """
        if not self._history_due:
            return
        due, self._history_due = self._history_due, {}
        theme = colors(self.palette())
        new_items: list[QTreeWidgetItem] = []
        for key, call in due.items():
            item = self._history.get(key)
            if item is None:
                # Filled before it joins the tree: a detached item signals nothing.
                item = QTreeWidgetItem()
                self._history[key] = item
                new_items.append(item)
            fill_history_item(item, call, theme)
        if new_items:
            new_items.reverse()  # newest on top
            self.history.insertTopLevelItems(0, new_items)
