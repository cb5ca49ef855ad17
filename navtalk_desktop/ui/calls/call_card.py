"""CallCard: one pending function call in the call desk, with its countdown and answer controls."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.calls.answer_plan import AnswerPlan
from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.ui.calls.answer_form import AnswerEditor
from navtalk_desktop.ui.calls.card_text import (
    elide,
    pretty_arguments,
    state_text,
    urgency,
    wrapped_line_count,
)
from navtalk_desktop.ui.shell.theme import ThemeColors, colors
from navtalk_desktop.ui.widgets.json_editor import monospace_font
from navtalk_desktop.ui.widgets.json_highlighter import MAX_HIGHLIGHT_CHARS, JsonHighlighter
from navtalk_desktop.ui.widgets.long_text import size_label
from navtalk_desktop.ui.widgets.text_fit import ElidedLabel, breakable
from navtalk_desktop.ui.widgets.text_viewer import FullTextViewer, ViewerShelf

CARD_ARGUMENT_CHARS = 4_000
"""Characters of a call's arguments shown on its card. Qt's layout of a line without
breaks grows with the square of its length: 4,000 characters cost milliseconds."""
MAX_ARGUMENT_LINES = 8
QUICK_REPLY_COLUMNS = 3


def is_send_key(event: QKeyEvent) -> bool:
    """Ctrl+Enter (⌘+Enter on macOS): send what is being typed where the focus is."""
    return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
        event.modifiers() & Qt.KeyboardModifier.ControlModifier
    )


class CallCard(QFrame):
    """A pending call: tool, arguments, problems, countdown, draft and answer controls.

    The card never answers by itself; it emits what the user asked for and the call desk
    routes it (dispatcher or bridge), so the card is easy to test on its own.

    Args:
        call: the call (read live: the card re-reads it on :meth:`refresh`).
        deadline_s: the profile's answer deadline (``None``: no countdown, elapsed time).
        template: the tool's result template for the answer form (or ``None``).
        quick_replies: the tool's saved replies.
        parent: optional parent widget.

    Signals:
        send_requested(str, str, bool): call key, output text, is-error.
        approve_requested(str, str): call key and the (possibly edited) draft text.
        reject_requested(str): discard the draft of this call.
        run_requested(str): run the tool's responders now for this call.
        quick_reply_saved(str, str): tool name and the text to save.
        quick_reply_removed(str, int): tool name and the 0-based index to remove.
        save_test_requested(str): call key; open the "Save as test" form for this call.
    """

    send_requested = Signal(str, str, bool)
    approve_requested = Signal(str, str)
    reject_requested = Signal(str)
    run_requested = Signal(str)
    quick_reply_saved = Signal(str, str)
    quick_reply_removed = Signal(str, int)
    save_test_requested = Signal(str)

    def __init__(
        self,
        call: CallView,
        *,
        deadline_s: float | None,
        template: dict | None = None,
        quick_replies: list[str] | None = None,
        parent: QWidget | None = None,
        form_source: str = "",
    ) -> None:
        super().__init__(parent)
        self.call = call
        self.key = call.key
        self.deadline_s = deadline_s
        self._draft: str | None = None
        self._busy = False
        self._urgency = ""
        self._dark = colors(self.palette()).dark
        self._quick_replies: list[str] = []
        self._plan: AnswerPlan | None = None
        self._dispatch_shown: tuple[str, str | None, str, list[str]] = ("", None, "", [])
        self.setObjectName("call_card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        # Function names can be 64 characters: they elide rather than widen the desk.
        self.title = ElidedLabel(parent=self)
        self.title.setObjectName("call_title")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        # Ids are long; in a narrow dock they give way, not the buttons: elided in the
        # middle (both ends stay recognisable), the whole id in the tooltip and the menu.
        self.call_id_label = ElidedLabel(parent=self, mode=Qt.TextElideMode.ElideMiddle)
        self.call_id_label.setObjectName("call_id")
        self.call_id_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.call_id_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.call_id_label.setMinimumWidth(20)
        self.call_id_label.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy_id = QAction("Copy call_id", self.call_id_label)
        copy_id.triggered.connect(
            lambda: QGuiApplication.clipboard().setText(self.call.call_id or self.call.key)
        )
        self.call_id_label.addAction(copy_id)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("call_status")
        self.countdown = QLabel(self)
        self.countdown.setObjectName("call_countdown")
        self.countdown.setToolTip(
            "Time left before the answer deadline of the connection profile"
            if deadline_s is not None
            else "Time since the call arrived (the profile sets no deadline)"
        )
        countdown_font = QFont(monospace_font())
        countdown_font.setBold(True)
        self.countdown.setFont(countdown_font)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.problems = QLabel(self)
        self.problems.setObjectName("call_problems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)
        self.arguments = QPlainTextEdit(self)
        self.arguments.setObjectName("call_arguments")
        self.arguments.setAccessibleName("Call arguments")
        self.arguments.setReadOnly(True)
        self.arguments.setFont(monospace_font())
        self.arguments.setToolTip("Arguments the model sent, as parsed")
        self.arguments.setFrameShape(QFrame.Shape.NoFrame)
        self._highlighter = JsonHighlighter(self.arguments.document(), colors(self.palette()))
        # Long values wrap in a narrow desk: the box is sized by its wrapped lines.
        self.arguments.viewport().installEventFilter(self)
        # Huge arguments (up to the session's 4,000,000-character cap): the card shows the
        # start, like the timeline's detail pane, and the whole is one click away.
        self._full_arguments = ""
        self._arguments_source = -1  # length of the raw arguments shown
        self._shelf = ViewerShelf(self)
        self.arguments_elided = QLabel(self)
        self.arguments_elided.setObjectName("call_arguments_elided")
        self.arguments_elided.setWordWrap(True)
        self.full_arguments_button = QToolButton(self)
        self.full_arguments_button.setObjectName("call_arguments_full")
        self.full_arguments_button.setText("Open full text")
        self.full_arguments_button.setToolTip(
            "Show all the arguments in a read-only viewer (copy or save them)"
        )
        self.full_arguments_button.clicked.connect(self.open_full_arguments)
        self.dispatch_label = QLabel(self)
        self.dispatch_label.setObjectName("call_dispatch")
        self.dispatch_label.setWordWrap(True)
        self.dispatch_label.setTextFormat(Qt.TextFormat.RichText)
        self.dispatch_label.hide()

        self.answer = AnswerEditor(template, self, source=form_source)
        self.answer.text_changed.connect(self._update_buttons)
        # Ctrl+Enter in the answer sends the answer, not the window's "Send Message".
        for editor in self.answer.findChildren(QWidget):
            if editor.focusPolicy() != Qt.FocusPolicy.NoFocus:
                editor.installEventFilter(self)

        # A grid, not a row: the card must fit a narrow dock with several replies saved.
        self.quick_grid = QGridLayout()
        self.quick_grid.setSpacing(3)
        self.quick_grid.setContentsMargins(0, 0, 0, 0)
        self.quick_buttons: list[QToolButton] = []
        self.save_reply_button = QToolButton(self)
        self.save_reply_button.setText("☆ Save")
        self.save_reply_button.setObjectName("save_quick_reply")
        self.save_reply_button.setToolTip(
            "Save the text above as a quick reply for this tool (Ctrl+1…9 answers with it)"
        )
        self.save_reply_button.clicked.connect(self._on_save_reply)

        self.run_button = QPushButton("Auto-answer", self)
        self.run_button.setObjectName("run_responders")
        self.run_button.setToolTip("Let this tool's responder chain answer this call now")
        self.run_button.clicked.connect(lambda: self.run_requested.emit(self.key))
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setObjectName("reject_draft")
        self.reject_button.setToolTip("Discard the automatic answer; answer by hand instead")
        self.reject_button.clicked.connect(lambda: self.reject_requested.emit(self.key))
        self.error_button = QPushButton("Send error", self)
        self.error_button.setObjectName("send_error")
        self.error_button.setToolTip(
            "Answer with “Error: <text above>” so the model is not left waiting"
        )
        self.error_button.clicked.connect(self._on_send_error)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("send_answer")
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the answer with the profile's result style")
        self.send_button.clicked.connect(self._on_send)
        # Save as Test…: the desk opens the shared form (hidden until the desk can save).
        self.save_test_button = QToolButton(self)
        self.save_test_button.setText("Save as Test…")
        self.save_test_button.setAutoRaise(True)
        self.save_test_button.setObjectName("save_call_as_test")
        self.save_test_button.setToolTip("Make this call a repeatable call test in a suite file")
        self.save_test_button.clicked.connect(lambda: self.save_test_requested.emit(self.key))
        self.save_test_button.hide()

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title)
        header.addWidget(self.call_id_label, 1)
        header.addWidget(self.status_label)
        header.addWidget(self.countdown)
        # In the header, whose call id gives way: the answer buttons keep their room.
        header.addWidget(self.save_test_button)
        self.quick_bar = QWidget(self)
        quick_layout = QVBoxLayout(self.quick_bar)
        quick_layout.setContentsMargins(0, 0, 0, 0)
        quick_layout.setSpacing(2)
        quick_layout.addLayout(self.quick_grid)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.save_reply_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.error_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.problems)
        layout.addWidget(self.arguments)
        elided_row = QHBoxLayout()
        elided_row.addWidget(self.arguments_elided, 1)
        elided_row.addWidget(self.full_arguments_button)
        layout.addLayout(elided_row)
        layout.addWidget(self.dispatch_label)
        layout.addWidget(self.answer)
        layout.addWidget(self.quick_bar)
        layout.addLayout(buttons)
        self.setTabOrder(self.answer, self.send_button)
        self.setTabOrder(self.send_button, self.error_button)

        self.set_quick_replies(quick_replies or [])
        self.set_run_available(False)
        self.refresh()
        self.tick()

    # ------------------------------------------------------------------ arguments
    @property
    def full_arguments(self) -> str:
        """All the arguments the card stands for (what "Open full text" shows)."""
        return self._full_arguments

    @property
    def arguments_are_elided(self) -> bool:
        """Whether the card shows only the start of the arguments."""
        return len(self._full_arguments) > CARD_ARGUMENT_CHARS

    def _show_arguments(self, text: str) -> None:
        self._full_arguments = text
        shown = text[:CARD_ARGUMENT_CHARS]
        self._highlighter.enabled = len(shown) <= MAX_HIGHLIGHT_CHARS
        if self.arguments.toPlainText() != shown:
            self.arguments.setPlainText(shown)
        elided = len(text) > CARD_ARGUMENT_CHARS
        if elided:
            self.arguments_elided.setText(
                f"Showing the first {CARD_ARGUMENT_CHARS:,} of {len(text):,} characters "
                f"({size_label(text)})."
            )
        self.arguments_elided.setVisible(elided)
        self.full_arguments_button.setVisible(elided)
        self._fit_arguments()

    @Slot()
    def open_full_arguments(self) -> FullTextViewer:
        """Open all the arguments in a read-only viewer (non-modal)."""
        title = f"Arguments of {self.call.name or 'the call'}"
        return self._shelf.open(title, self._full_arguments)

    @property
    def viewers(self) -> list[FullTextViewer]:
        """The full-text viewers open now."""
        return self._shelf.viewers

    # ------------------------------------------------------------------ state
    @property
    def draft(self) -> str | None:
        """The automatic answer waiting for approval, if any."""
        return self._draft

    @property
    def quick_replies(self) -> list[str]:
        """The tool's quick replies shown on the card."""
        return list(self._quick_replies)

    def refresh(self) -> None:
        """Re-read the call (state, problems, arguments)."""
        call = self.call
        self.title.setText(call.name or "(unknown function)")
        self.title.setToolTip("" if call.name else "The event carried no function name")
        theme = colors(self.palette())
        self.call_id_label.setText(call.call_id or call.key)
        self.call_id_label.setToolTip(f"call_id {call.call_id or call.key} (right-click to copy)")
        # Violations quote JSON paths and values: long words must be able to wrap.
        lines = [
            f"<span style='color:{theme.error}'>✖ {breakable(v)}</span>" for v in call.violations
        ]
        lines += [
            f"<span style='color:{theme.warning}'>⚠ {breakable(w)}</span>" for w in call.warnings
        ]
        self.problems.setText("<br>".join(lines))
        self.problems.setVisible(bool(lines))
        self.problems.setToolTip("Schema violations (✖) and problems with the event (⚠)")
        if len(call.raw_arguments) != self._arguments_source or not self._full_arguments:
            self._show_arguments(pretty_arguments(call))
            self._arguments_source = len(call.raw_arguments)
        self.status_label.setText(state_text(call))
        self._update_buttons()

    def set_plan(self, plan: AnswerPlan) -> None:
        """Say what answers this tool in the current mode, and what "Auto-answer" would do."""
        self._plan = plan
        self.run_button.setToolTip(plan.run_hint)
        self.set_dispatch(*self._dispatch_shown)

    @property
    def plan(self) -> AnswerPlan | None:
        """What answers this call's tool in the current mode (None until the desk says)."""
        return self._plan

    def set_dispatch(
        self, status: str, draft: str | None, responder: str, messages: list[str]
    ) -> None:
        """Show what the dispatcher is doing (running, waiting, draft…)."""
        self._dispatch_shown = (status, draft, responder, list(messages))
        theme = colors(self.palette())
        previous = self._draft
        self._draft = draft if status == "draft" else None
        parts: list[str] = []
        if status == "running":
            parts.append("<b>Responders running…</b>")
        elif status == "waiting":
            parts.append("<b>Waiting for your answer.</b>")
        if self._plan is not None and status in ("waiting", "running", ""):
            # Why it waits (or what runs): never a silent manual step in Auto mode.
            parts.append(
                f"<span style='color:{theme.accent}'>{html.escape(self._plan.summary)}</span>"
            )
        elif status == "draft":
            who = html.escape(responder or "a responder")
            parts.append(
                f"<b style='color:{theme.accent}'>Draft from {who}</b> — approve it as is, "
                "edit it first, or reject it."
            )
        elif status == "sending":
            parts.append("<b>Sending…</b>")
        for message in messages[-3:]:
            # Responder messages quote URLs and paths: let them wrap anywhere.
            parts.append(f"<span style='color:{theme.muted_text}'>{breakable(message)}</span>")
        self.dispatch_label.setText("<br>".join(parts))
        self.dispatch_label.setVisible(bool(parts))
        if self._draft is not None and self._draft != previous:
            self.answer.set_text(self._draft)
        self.send_button.setText("Approve" if self._draft is not None else "Send")
        self.send_button.setToolTip(
            "Send the draft (edited or not)"
            if self._draft is not None
            else "Send the answer with the profile's result style"
        )
        self._update_buttons()

    def set_quick_replies(self, replies: list[str]) -> None:
        """Show ``replies`` as numbered buttons (click answers; right-click removes)."""
        self._quick_replies = list(replies)
        for button in self.quick_buttons:
            self.quick_grid.removeWidget(button)
            button.deleteLater()
        self.quick_buttons = []
        for index, reply in enumerate(replies):
            button = QToolButton(self)
            button.setObjectName(f"quick_reply_{index + 1}")
            button.setText(f"{index + 1} · {elide(reply)}")
            button.setToolTip(
                f"Answer with this (Ctrl+{index + 1}):\n{reply}\n\nRight-click to remove"
            )
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.clicked.connect(lambda _=False, i=index: self.send_quick_reply(i))
            button.customContextMenuRequested.connect(lambda _pos, i=index: self._quick_menu(i))
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(60)
            self.quick_grid.addWidget(
                button, index // QUICK_REPLY_COLUMNS, index % QUICK_REPLY_COLUMNS
            )
            self.quick_buttons.append(button)
        self.quick_bar.setVisible(bool(replies))
        self._update_buttons()

    def set_run_available(self, available: bool) -> None:
        """Offer "Auto-answer" (only with a dispatcher, and when nothing runs yet)."""
        self.run_button.setVisible(available)

    def set_busy(self, busy: bool) -> None:
        """Disable the answer controls while an answer is on its way."""
        self._busy = busy
        self._update_buttons()

    @property
    def busy(self) -> bool:
        """Whether an answer is on its way (the card goes once the session confirms it)."""
        return self._busy

    def send_quick_reply(self, index: int) -> bool:
        """Answer with quick reply ``index`` (0-based); returns whether it was sent."""
        if not 0 <= index < len(self._quick_replies) or self._busy:
            return False
        self.send_requested.emit(self.key, self._quick_replies[index], False)
        return True

    def remaining_s(self, now: float | None = None) -> float | None:
        """Seconds left before the deadline (negative when overdue); None without deadline."""
        received = self.call.received_at
        if self.deadline_s is None or received is None:
            return None
        return self.deadline_s - ((time.monotonic() if now is None else now) - received)

    def tick(self, now: float | None = None) -> None:
        """Update the countdown (the desk calls this a few times per second)."""
        now = time.monotonic() if now is None else now
        remaining = self.remaining_s(now)
        theme = colors(self.palette())
        if remaining is None:
            received = self.call.received_at
            elapsed = 0.0 if received is None else max(0.0, now - received)
            self.countdown.setText(f"{elapsed:5.1f} s")
            level = "calm"
        elif remaining > 0:
            self.countdown.setText(f"{remaining:4.1f} s left")
            level = urgency(remaining, self.deadline_s)
        else:
            level = "overdue"
        if self.call.overdue or level == "overdue":
            # One word for it, here (the status says nothing more): "Overdue +2.7 s".
            late = 0.0 if remaining is None else max(0.0, -remaining)
            self.countdown.setText(f"Overdue +{late:.1f} s")
            level = "overdue"
        if level != self._urgency:
            self._urgency = level
            self._apply_style(theme)

    @property
    def urgency(self) -> str:
        """Current countdown level: calm, amber, red or overdue."""
        return self._urgency

    # ------------------------------------------------------------------ internals
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self.arguments.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_arguments()
        elif event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and (
            isinstance(event, QKeyEvent) and is_send_key(event)
        ):
            # Shortcuts follow focus: claiming the override keeps the window's Ctrl+Enter
            # (send the conversation message) from firing while the answer has focus.
            event.accept()
            if event.type() == QEvent.Type.KeyPress and self.send_button.isEnabled():
                self._on_send()
            return True
        return super().eventFilter(watched, event)

    def _fit_arguments(self) -> None:
        lines = wrapped_line_count(
            self.arguments.toPlainText(),
            self.arguments.font(),
            self.arguments.viewport().width() - 2 * self.arguments.document().documentMargin(),
            MAX_ARGUMENT_LINES,
        )
        height = self.arguments.fontMetrics().lineSpacing() * lines + 12
        if self.arguments.maximumHeight() != height:
            self.arguments.setFixedHeight(height)

    def _apply_style(self, theme: ThemeColors) -> None:
        accent = {
            "calm": theme.accent,
            "amber": theme.warning,
            "red": theme.error,
            "overdue": theme.error,
        }[self._urgency]
        text_colour = {
            "calm": theme.muted_text,
            "amber": theme.warning,
            "red": theme.error,
            "overdue": theme.error,
        }[self._urgency]
        # The window colour sets the card apart from its inputs (base) in both themes.
        background = theme.window
        self.setStyleSheet(
            f"QFrame#call_card {{ background: {background}; border: 1px solid {theme.toast_border};"
            f" border-left: 4px solid {accent}; border-radius: 4px; }}"
        )
        self.countdown.setStyleSheet(f"QLabel {{ color: {text_colour}; }}")

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() != QEvent.Type.PaletteChange:
            return
        theme = colors(self.palette())
        # Our own style sheet also raises PaletteChange: react only to a real theme switch.
        if theme.dark != self._dark:
            self._dark = theme.dark
            self._highlighter.set_theme(theme)
            self._apply_style(theme)
            self.refresh()

    def _update_buttons(self) -> None:
        open_call = self.call.state.is_open and bool(self.call.call_id)
        can_answer = open_call and not self._busy
        self.send_button.setEnabled(
            can_answer and self.answer.valid and bool(self.answer.text().strip())
        )
        self.error_button.setEnabled(can_answer)
        self.reject_button.setVisible(self._draft is not None)
        self.reject_button.setEnabled(can_answer)
        self.run_button.setEnabled(can_answer)
        for button in self.quick_buttons:
            button.setEnabled(can_answer)
        self.save_reply_button.setEnabled(bool(self.call.name) and len(self._quick_replies) < 9)

    @Slot()
    def _on_send(self) -> None:
        text = self.answer.text()
        if not text.strip() or not self.answer.valid:
            return
        if self._draft is not None:
            self.approve_requested.emit(self.key, text)
        else:
            self.send_requested.emit(self.key, text, False)

    @Slot()
    def _on_send_error(self) -> None:
        message = self.answer.text().strip() if self._draft is None else ""
        self.send_requested.emit(
            self.key, message or "the operator could not answer this call", True
        )

    @Slot()
    def _on_save_reply(self) -> None:
        text = self.answer.text()
        if text.strip() and self.call.name:
            self.quick_reply_saved.emit(self.call.name, text)

    def _quick_menu(self, index: int) -> None:
        menu = QMenu(self)
        remove = QAction(f"Remove quick reply {index + 1}", menu)
        remove.triggered.connect(lambda: self.quick_reply_removed.emit(self.call.name, index))
        menu.addAction(remove)
        menu.popup(
            self.quick_buttons[index].mapToGlobal(self.quick_buttons[index].rect().bottomLeft())
        )
