"""ConversationPanel: streaming user/avatar transcripts, typed turns and active responses."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.engine.events import TranscriptDelta, TranscriptKind
from navtalk_desktop.ui.conversation.transcript_view import (
    MessageInput,
    TranscriptView,
)
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.theme import colors, use_plain_fusion
from navtalk_desktop.ui.widgets.text_fit import ElidedLabel
from navtalk_desktop.ui.widgets.text_viewer import FullTextViewer, ViewerShelf
from navtalk_desktop.ui.widgets.throttle import Throttle

__all__ = [
    "ConversationPanel",
    "MessageInput",
    "TranscriptView",
]


class ConversationPanel(QWidget):
    """Shows the conversation as it streams and sends typed user turns through the bridge.

    Args:
        bridge: the session bridge; its transcript and response signals feed the view and
            :meth:`EngineAdapter.send_text` receives typed turns.
        parent: optional parent widget.

    Signals:
        text_sent(str): a typed turn was handed to the bridge.
    """

    text_sent = Signal(str)

    def __init__(self, bridge: EngineAdapter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConversationPanel")
        self._bridge = bridge
        self._active: list[str] = []
        # Under load responses stream and end many times a second: transcript changes
        # and the activity line are applied on the bridge's shared ui_tick, in batches.
        # Queued transcript events, as the bridge sent them (flush_pending applies the
        # deltas and finished turns; starts and ends were handled on arrival).
        self._queue: list[TranscriptDelta] = []
        # What the activity line shows now, so unchanged updates cost nothing.
        self._activity_shown: tuple[str, ...] | None = None
        # While the avatar keeps speaking the line's ids change with every response, up
        # to thousands of times a second: the tick refreshes it through a throttle.
        self._activity_throttle = Throttle(self._update_activity, parent=self)

        self.transcript = TranscriptView(self)
        self.transcript.setObjectName("transcript")
        self.transcript.setAccessibleName("Conversation transcript")
        self.transcript.setToolTip("What the user said and what the avatar answered, live.")
        self.transcript.full_text_requested.connect(self.open_full_text)
        self._shelf = ViewerShelf(self)
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
        self.input.setAccessibleName("Message to the avatar")
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

    @Slot(int)
    def open_full_text(self, number: int) -> FullTextViewer:
        """Open message ``number``'s whole text in a read-only viewer (non-modal)."""
        return self._shelf.open(
            self.transcript.full_text_title(number), self.transcript.full_text(number)
        )

    @property
    def viewers(self) -> list[FullTextViewer]:
        """The full-text viewers open now."""
        return self._shelf.viewers

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
    def _on_bridge_transcripts(self, events: list[TranscriptDelta]) -> None:
        # One batch per delivery from the engine: the text waits for the next tick, only
        # the activity line's idle → speaking shows at once.
        self._queue.extend(events)
        active = self._active
        for event in events:
            kind, response_id = event.kind, event.response_id
            if kind == TranscriptKind.RESPONSE_STARTED:
                if response_id not in active:
                    active.append(response_id)
                if not self._activity_shown:
                    self._update_activity()  # idle → speaking shows at once
            elif kind == TranscriptKind.RESPONSE_FINISHED and response_id in active:
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
            for event in queue:
                kind, role, response_id, text = (
                    event.kind,
                    event.role,
                    event.response_id,
                    event.text,
                )
                key = (role, response_id)
                if kind == TranscriptKind.DELTA:
                    pending.setdefault(key, []).append(text)
                    continue
                if kind != TranscriptKind.DONE:
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
