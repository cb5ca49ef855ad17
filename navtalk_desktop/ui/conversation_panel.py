"""ConversationPanel: streaming user/avatar transcripts, typed turns and active responses."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.ui.session_bridge import (
    RESPONSE_FINISHED,
    RESPONSE_STARTED,
    TRANSCRIPT_DELTA,
    TRANSCRIPT_DONE,
    SessionBridge,
    TranscriptEvent,
)
from navtalk_desktop.ui.text_fit import ElidedLabel
from navtalk_desktop.ui.theme import colors, use_plain_fusion
from navtalk_desktop.ui.throttle import Throttle

_ROLE_TITLES = {"user": "You", "avatar": "Avatar", "typed": "You (typed)", "system": "Note"}


@dataclass
class _Bubble:
    """One message: its block and the text streamed into it so far.

    A message is a single block: its header line (role and time), a line separator, then
    the body (whose line breaks become line separators too). So its extent is the
    block's, a handle to it stays valid as text is inserted before it, and each message
    costs one text layout.
    """

    block: QTextBlock
    text: str
    body_offset: int
    """Where the body starts, relative to the block."""


@dataclass(frozen=True)
class _BubbleFormats:
    """How one role's messages look: built once per role, theme and font."""

    title_text: str
    block: QTextBlockFormat
    title: QTextCharFormat
    stamp: QTextCharFormat


# Body text: the default character format (the block format gives the bubble its look).
_PLAIN = QTextCharFormat()


def _block_end(block: QTextBlock) -> int:
    """Position just before the block's end (where streamed text goes)."""
    return block.position() + block.length() - 1


class MessageInput(QPlainTextEdit):
    """Multi-line input: Enter sends, Shift+Enter inserts a newline.

    Signals:
        submitted(): the user pressed Enter (without Shift).
    """

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class TranscriptView(QTextBrowser):
    """Chat-style transcript that grows incrementally.

    Each message is a "bubble" (user on the right, avatar on the left): one block with a
    background, a header line and the body. Deltas are inserted at the end of their bubble's
    body block through a cursor, so a delta costs O(delta) and never re-lays-out the whole
    document; interleaved streams stay in their own bubble. Under load a new bubble
    starts thousands of times a second, so the formats of each role are built once (per
    theme and font) and one cursor does every insert.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setUndoRedoEnabled(False)
        self.document().setDocumentMargin(8)
        self._bubbles: dict[tuple[str, str], _Bubble] = {}
        self._anonymous = 0
        self._batching = False
        self._formats: dict[str, _BubbleFormats] = {}
        # Every insert goes through this one cursor: each extra cursor on a document is
        # one more position to adjust on every later insert.
        self._cursor = QTextCursor(self.document())
        self.message_count = 0

    def append_delta(self, role: str, stream_id: str, text: str) -> None:
        """Add ``text`` to the open bubble of (role, stream), creating it when new."""
        bubble = self._bubbles.get((role, stream_id))
        if bubble is None:
            bubble = self._new_bubble(role)
            self._bubbles[(role, stream_id)] = bubble
        self._insert(bubble, text)

    def finish(self, role: str, stream_id: str, text: str) -> None:
        """Close the bubble of (role, stream) with its complete text."""
        bubble = self._bubbles.pop((role, stream_id), None)
        if bubble is None:
            self._append_message(role, text)
            return
        if text and text != bubble.text:
            if text.startswith(bubble.text):
                self._insert(bubble, text[len(bubble.text) :])
            else:
                # The server's final text differs from the streamed deltas: it wins.
                cursor = self._cursor
                cursor.setPosition(bubble.block.position() + bubble.body_offset)
                cursor.setPosition(_block_end(bubble.block), QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
                bubble.text = ""
                self._insert(bubble, text)

    def add_message(self, role: str, text: str) -> None:
        """Add one complete message (typed turns, notes)."""
        self._anonymous += 1
        self.finish(role, f"local-{self._anonymous}", text)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several changes as one: one relayout, one scroll, at the end.

        Each insert otherwise lays out its block, and asking whether the view is at the
        bottom forces a layout too.
        """
        at_bottom = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            cursor.endEditBlock()
            if at_bottom:
                self._scroll_to_bottom()

    def bubble_text(self, role: str, stream_id: str) -> str | None:
        """Text streamed so far into an open bubble (None when there is none)."""
        bubble = self._bubbles.get((role, stream_id))
        return None if bubble is None else bubble.text

    def clear_transcript(self) -> None:
        """Remove every message."""
        self._bubbles.clear()
        self.message_count = 0
        self.clear()
        self._cursor = QTextCursor(self.document())

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._formats.clear()  # new bubbles take the new colours and sizes
        super().changeEvent(event)

    def _colours(self, role: str) -> tuple[QColor, QColor]:
        theme = colors(self.palette())
        if role in ("user", "typed"):
            background = QColor("#1d3354" if theme.dark else "#e3eefc")
            accent = QColor(theme.inbound)
        elif role == "avatar":
            background = QColor("#262a31" if theme.dark else "#eef0f3")
            accent = QColor(theme.outbound)
        else:
            background = QColor(theme.base)
            accent = QColor(theme.muted_text)
        return background, accent

    def _bubble_formats(self, role: str) -> _BubbleFormats:
        formats = self._formats.get(role)
        if formats is not None:
            return formats
        background, accent = self._colours(role)
        # Blocks, not one QTextFrame per message: with frames every insert costs
        # O(number of messages) (QTextFrame::firstPosition/lastPosition scans).
        block_format = QTextBlockFormat()
        block_format.setBackground(background)
        block_format.setLeftMargin(66 if role in ("user", "typed") else 6)
        block_format.setRightMargin(6 if role in ("user", "typed") else 66)
        block_format.setTopMargin(6)
        block_format.setBottomMargin(6)
        title = QTextCharFormat()
        title.setForeground(accent)
        title.setFontWeight(QFont.Weight.Bold)
        title.setFontPointSize(max(7.0, self.font().pointSizeF() * 0.85))
        stamp = QTextCharFormat()
        stamp.setForeground(QColor(colors(self.palette()).muted_text))
        stamp.setFontPointSize(max(7.0, self.font().pointSizeF() * 0.8))
        formats = _BubbleFormats(f"{_ROLE_TITLES.get(role, role)}  ", block_format, title, stamp)
        self._formats[role] = formats
        return formats

    def _start_message(self, role: str) -> int:
        """Begin a message at the end: its block and header line; returns the header's length.

        Every call into Qt here counts: with the session on the engine thread each one
        may wait for the GIL, and under load thousands of messages start a second.
        """
        formats = self._bubble_formats(role)
        cursor = self._cursor
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if self.message_count or cursor.block().length() > 1:
            cursor.insertBlock(formats.block)
        else:  # an empty document still has its first block: use it
            cursor.setBlockFormat(formats.block)
        cursor.insertText(formats.title_text, formats.title)
        # The line separator ends the header line; the body follows in the same block.
        stamp = time.strftime("%H:%M:%S") + "\u2028"
        cursor.insertText(stamp, formats.stamp)
        self.message_count += 1
        return len(formats.title_text) + len(stamp)

    def _append_message(self, role: str, text: str) -> None:
        """Add a whole message at the end (no handle kept: nothing streams into it)."""
        at_bottom = not self._batching and self._at_bottom()
        self._start_message(role)
        if text:
            self._cursor.insertText(text.replace("\n", "\u2028"), _PLAIN)
        if at_bottom:
            self._scroll_to_bottom()

    def _new_bubble(self, role: str) -> _Bubble:
        at_bottom = not self._batching and self._at_bottom()
        header = self._start_message(role)
        bubble = _Bubble(block=self._cursor.block(), text="", body_offset=header)
        if at_bottom:
            self._scroll_to_bottom()
        return bubble

    def _insert(self, bubble: _Bubble, text: str) -> None:
        if not text:
            return
        at_bottom = not self._batching and self._at_bottom()
        cursor = self._cursor
        cursor.setPosition(_block_end(bubble.block))
        cursor.insertText(text.replace("\n", "\u2028"), _PLAIN)
        bubble.text += text
        if at_bottom:
            self._scroll_to_bottom()

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())


class ConversationPanel(QWidget):
    """Shows the conversation as it streams and sends typed user turns through the bridge.

    Args:
        bridge: the session bridge; its transcript and response signals feed the view and
            :meth:`SessionBridge.send_text` receives typed turns.
        parent: optional parent widget.

    Signals:
        text_sent(str): a typed turn was handed to the bridge.
    """

    text_sent = Signal(str)

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConversationPanel")
        self._bridge = bridge
        self._active: list[str] = []
        # Under load responses stream and end many times a second: transcript changes
        # and the activity line are applied on the bridge's shared ui_tick, in batches.
        # Queued transcript events, as the bridge sent them (flush_pending applies the
        # deltas and finished turns; starts and ends were handled on arrival).
        self._queue: list[TranscriptEvent] = []
        # What the activity line shows now, so unchanged updates cost nothing.
        self._activity_shown: tuple[str, ...] | None = None
        # While the avatar keeps speaking the line's ids change with every response, up
        # to thousands of times a second: the tick refreshes it through a throttle.
        self._activity_throttle = Throttle(self._update_activity, parent=self)

        self.transcript = TranscriptView(self)
        self.transcript.setObjectName("transcript")
        self.transcript.setToolTip("What the user said and what the avatar answered, live.")
        # Repainted on every tick while a response streams (see use_plain_fusion).
        use_plain_fusion(
            self.transcript,
            self.transcript.verticalScrollBar(),
            self.transcript.horizontalScrollBar(),
        )

        # Response ids are long: the line elides instead of widening the dock.
        self.activity = ElidedLabel(parent=self)
        self.activity.setObjectName("active_responses")
        self.activity.setToolTip("Responses the avatar is producing right now.")
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Clear the transcript (the timeline keeps every frame).")
        self.clear_button.clicked.connect(self.clear_transcript)

        self.input = MessageInput(self)
        self.input.setObjectName("message_input")
        self.input.setPlaceholderText(
            "Type a message for the avatar…  (Enter sends, Shift+Enter: new line)"
        )
        self.input.setToolTip("Sent as a user turn. Enter sends, Shift+Enter adds a line break.")
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 14)
        self.input.submitted.connect(self.send_current_text)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("send_button")
        self.send_button.setToolTip("Send the typed turn (Enter)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send_current_text)
        self.input.textChanged.connect(self._update_send_enabled)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.activity, 1)
        top.addWidget(self.clear_button)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.input, 1)
        bottom.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(bottom)
        self.setTabOrder(self.input, self.send_button)
        self.setTabOrder(self.send_button, self.transcript)
        self.setTabOrder(self.transcript, self.clear_button)
        self.setFocusProxy(self.input)

        bridge.ui_tick.connect(self.flush_pending)
        bridge.transcripts.connect(self._on_bridge_transcripts)
        bridge.state_changed.connect(self._on_bridge_state_changed)
        bridge.profile_changed.connect(self._on_bridge_profile_changed)
        self._update_activity()
        self._update_send_enabled()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._activity_shown = None  # the activity colour comes from the theme
            self._update_activity()

    @Slot()
    def clear_transcript(self) -> None:
        """Remove every message, including changes still waiting for the next flush."""
        self._queue.clear()
        self.transcript.clear_transcript()

    @property
    def active_responses(self) -> list[str]:
        """Ids of the responses currently streaming."""
        return list(self._active)

    @Slot()
    def send_current_text(self) -> None:
        """Send what is typed (if anything and if connected) and clear the box."""
        text = self.input.toPlainText().strip()
        if not text or not self._can_send():
            return
        self._bridge.send_text(text)
        self.flush_pending()  # what arrived before the typed turn stays above it
        self.transcript.add_message("typed", text)
        self.input.clear()
        self.text_sent.emit(text)

    def _can_send(self) -> bool:
        return self._bridge.is_live

    @Slot()
    def _update_send_enabled(self) -> None:
        connected = self._can_send()
        self.send_button.setEnabled(connected and bool(self.input.toPlainText().strip()))
        self.send_button.setToolTip(
            "Send the typed turn (Enter)" if connected else "Connect first to send typed turns"
        )

    @Slot(object)
    def _on_bridge_transcripts(self, events: list[TranscriptEvent]) -> None:
        # One batch per delivery from the engine: the text waits for the next tick, only
        # the activity line's idle → speaking shows at once.
        self._queue.extend(events)
        active = self._active
        for kind, _role, response_id, _text in events:
            if kind == RESPONSE_STARTED:
                if response_id not in active:
                    active.append(response_id)
                if not self._activity_shown:
                    self._update_activity()  # idle → speaking shows at once
            elif kind == RESPONSE_FINISHED and response_id in active:
                active.remove(response_id)
        self._bridge.request_ui_tick()

    @Slot()
    def flush_pending(self) -> None:
        """Apply every queued change now (deltas of one bubble joined), in one batch.

        Runs on the bridge's ui_tick; call it directly to see the panel up to date.
        """
        if tuple(self._active) != self._activity_shown:
            self._activity_throttle.request()
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        pending: dict[tuple[str, str], list[str]] = {}
        with self.transcript.batch():
            for kind, role, response_id, text in queue:
                key = (role, response_id)
                if kind == TRANSCRIPT_DELTA:
                    pending.setdefault(key, []).append(text)
                    continue
                if kind != TRANSCRIPT_DONE:
                    continue  # a start or an end: the activity line's
                parts = pending.pop(key, None)
                if parts and self.transcript.bubble_text(role, response_id) is None:
                    # Started and finished within one tick (the rule under load): one
                    # whole message, written in one go; the final text wins, as below.
                    self.transcript.finish(role, response_id, text or "".join(parts))
                    continue
                if parts:
                    self.transcript.append_delta(role, response_id, "".join(parts))
                self.transcript.finish(role, response_id, text)
            for (role, response_id), parts in pending.items():
                self.transcript.append_delta(role, response_id, "".join(parts))

    @Slot(str, str)
    def _on_bridge_state_changed(self, state: str, message: str) -> None:
        del state, message  # the connection panel shows them; is_live is what matters here
        if not self._can_send():
            # A dropped connection ends every response still streaming.
            self._active.clear()
            self._update_activity()
        self._update_send_enabled()

    @Slot()
    def _on_bridge_profile_changed(self) -> None:
        self._active.clear()
        self._update_activity()
        self._update_send_enabled()

    def _update_activity(self) -> None:
        shown = tuple(self._active)
        if shown == self._activity_shown:
            return
        was_active = bool(self._activity_shown)
        self._activity_shown = shown
        if not self._active:
            self.activity.setText("No active response")
            self.activity.setStyleSheet("")
            return
        count = len(self._active)
        ids = ", ".join(self._active[:3]) + ("…" if count > 3 else "")
        noun = "response" if count == 1 else "responses"
        self.activity.setText(f"● Avatar speaking — {count} active {noun} ({ids})")
        if not was_active:
            theme = colors(self.palette())
            self.activity.setStyleSheet(f"QLabel {{ color: {theme.success}; font-weight: 600; }}")
