"""FrameComposer: type or pick a raw JSON frame, see it checked, send it, send it again.

As Postman's WebSocket client: any frame can go out on the live session. Known client
messages are checked against their documented shape as you type
(:func:`~navtalk_desktop.core.composer.validation.check_frame`); a frame that is not JSON
is never sent, and an unknown or invalid one only after the user agreed in a question
(never silently). Snippets are saved per connection profile; every frame sent is listed
in the history, from where it can be loaded again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.composer.history import FrameHistory, SentFrame
from navtalk_desktop.core.composer.snippets import Snippet, SnippetBook
from navtalk_desktop.core.composer.validation import FrameCheck, Verdict, check_frame
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_editor import monospace_font
from navtalk_desktop.ui.widgets.json_highlighter import JsonHighlighter

EMPTY_HISTORY = "Frames you send appear here. Pick a snippet or type a frame, then Send."
NOT_LIVE = "Connect first: frames go out on the live session."
SEND_ANYWAY = "Send anyway"

# Sends one frame's exact text on the live session; raises (ValueError, RuntimeError)
# when it cannot even be handed over. Later failures arrive as the app's error notices.
SendFrame = Callable[[str], None]


class FrameComposer(QWidget):
    """Compose, check and send raw frames; snippets per profile; history of frames sent.

    Args:
        send: hands a frame's text to the engine (see :data:`SendFrame`).
        book: the snippets, saved per profile.
        profile: the connection profile whose snippets are offered.

    Signals:
        frame_sent(object): a :class:`SentFrame` was sent (or failed to be handed over).
        notification_requested(str, str): ``(level, text)`` for the window's notices.
    """

    frame_sent = Signal(object)
    notification_requested = Signal(str, str)

    def __init__(
        self, send: SendFrame, book: SnippetBook, profile: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("frame_composer")
        self._send = send
        self._book = book
        self._profile = profile
        self._live = False
        self._check = check_frame("")
        self.history = FrameHistory()
        self.confirmation: QMessageBox | None = None
        self._is_live: Callable[[], bool] | None = None
        self._profile_name: Callable[[], str] | None = None
        self._build_ui()
        self._reload_snippets()
        self._on_text_changed()

    # ------------------------------------------------------------------ building
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.snippet_combo = QComboBox()
        self.snippet_combo.setObjectName("composer_snippets")
        self.snippet_combo.setAccessibleName("Snippet")
        self.snippet_combo.setToolTip(
            "Saved frames for this profile, then one example of every client message"
        )
        self.snippet_combo.activated.connect(self._on_snippet_chosen)
        label = QLabel("&Snippet:")
        label.setBuddy(self.snippet_combo)
        row.addWidget(label)
        row.addWidget(self.snippet_combo, 1)
        self.save_button = QPushButton("Save as…")
        self.save_button.setObjectName("composer_save")
        self.save_button.setToolTip("Save the frame as a snippet of this profile")
        self.save_button.clicked.connect(self._ask_snippet_name)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("composer_delete")
        self.delete_button.setToolTip("Delete the chosen snippet (built-in examples stay)")
        self.delete_button.clicked.connect(self.delete_current_snippet)
        row.addWidget(self.save_button)
        row.addWidget(self.delete_button)
        layout.addLayout(row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("composer_editor")
        self.editor.setAccessibleName("Frame to send")
        self.editor.setFont(monospace_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText('{"type": "response.create"}')
        self.editor.setToolTip("One JSON frame, sent as it is (compact). Ctrl+Enter sends.")
        self.editor.installEventFilter(self)
        self._highlighter = JsonHighlighter(self.editor.document(), colors(self.palette()))
        self.editor.textChanged.connect(self._on_text_changed)
        top_layout.addWidget(self.editor, 1)
        self.status_label = QLabel()
        self.status_label.setObjectName("composer_status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top_layout.addWidget(self.status_label)
        buttons = QHBoxLayout()
        self.format_button = QPushButton("Format")
        self.format_button.setObjectName("composer_format")
        self.format_button.setToolTip("Indent the JSON")
        self.format_button.clicked.connect(self.format_text)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("composer_send")
        self.send_button.setToolTip("Send the frame on the live session (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        buttons.addWidget(self.format_button)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        top_layout.addLayout(buttons)
        splitter.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        history_label = QLabel("Sent &frames (double-click to load again):")
        self.history_list = QListWidget()
        self.history_list.setObjectName("composer_history")
        self.history_list.setAccessibleName("Sent frames")
        self.history_list.itemActivated.connect(self._on_history_activated)
        history_label.setBuddy(self.history_list)
        self.history_empty = QLabel(EMPTY_HISTORY)
        self.history_empty.setObjectName("composer_history_empty")
        self.history_empty.setWordWrap(True)
        bottom_layout.addWidget(history_label)
        bottom_layout.addWidget(self.history_empty)
        bottom_layout.addWidget(self.history_list, 1)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self._show_history_state()

    # ------------------------------------------------------------------ state
    @property
    def check(self) -> FrameCheck:
        """The verdict on the editor's text."""
        return self._check

    def set_live(self, live: bool) -> None:
        """Whether the session can send frames now (Send is enabled only then)."""
        self._live = live
        self._on_text_changed()

    def follow(self, is_live: Callable[[], bool], profile: Callable[[], str]) -> None:
        """Read the session's state and profile from these (see :meth:`refresh`)."""
        self._is_live, self._profile_name = is_live, profile
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Re-read the followed session's state and profile (connect its signals here:
        a slot of this widget, so the connection ends with it)."""
        if self._is_live is not None and self._profile_name is not None:
            self.set_live(self._is_live())
            self.set_profile(self._profile_name())

    def set_profile(self, profile: str) -> None:
        """Offer ``profile``'s snippets."""
        if profile != self._profile:
            self._profile = profile
            self._reload_snippets()

    def set_text(self, text: str) -> None:
        """Put ``text`` in the editor."""
        self.editor.setPlainText(text)

    @Slot()
    def _on_text_changed(self) -> None:
        check = self._check = check_frame(self.editor.toPlainText())
        theme = colors(self.palette())
        color = {
            Verdict.OK: theme.success,
            Verdict.UNKNOWN_TYPE: theme.warning,
            Verdict.INVALID: theme.warning,
            Verdict.NOT_SENDABLE: theme.error,
        }[check.verdict]
        text = check.summary() if self.editor.toPlainText().strip() else "Type or pick a frame."
        if not self._live:
            text += f"\n{NOT_LIVE}"
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {color}")
        self.status_label.setToolTip("\n".join(check.problems))
        self.send_button.setEnabled(self._live and check.sendable)
        self.format_button.setEnabled(check.sendable)

    @Slot()
    def format_text(self) -> None:
        """Indent the frame (when it is JSON)."""
        try:
            value = json.loads(self.editor.toPlainText())
        except json.JSONDecodeError:
            return
        self.editor.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        # Ctrl+Enter in the editor sends this frame, never the conversation's message:
        # taking the shortcut override keeps the window's Send Message shortcut out.
        kind = event.type()
        if watched is self.editor and kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            assert isinstance(event, QKeyEvent)
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                event.accept()
                if kind == QEvent.Type.KeyPress:
                    self.send()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ sending
    @Slot()
    def send(self) -> None:
        """Send the editor's frame; an unknown or invalid one only after asking."""
        check = self._check
        if not self._live:
            self.notification_requested.emit("warning", NOT_LIVE)
            return
        if not check.sendable:
            self.notification_requested.emit("error", f"Not sent: {check.problems[0]}")
            return
        if check.needs_confirmation:
            self._confirm(check)
            return
        self._deliver(check, confirmed=False)

    def _confirm(self, check: FrameCheck) -> None:
        if check.verdict is Verdict.UNKNOWN_TYPE:
            title = "Send a frame NavTalk does not document?"
            text = (
                f"“{check.type}” is not one of the client messages NavTalk documents. "
                "The server may ignore it or close the connection."
            )
        else:
            title = "Send a frame that does not match its shape?"
            text = f"This {check.type or 'frame'} does not match the documented shape:"
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setObjectName("composer_confirm")
        box.setInformativeText("\n".join(f"• {p}" for p in check.problems[:8]))
        send = box.addButton(SEND_ANYWAY, QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)

        def finished() -> None:
            self.confirmation = None
            box.deleteLater()
            # The text may have changed meanwhile: send what was checked and agreed to.
            if box.clickedButton() is send and self._live:
                self._deliver(check, confirmed=True)

        box.finished.connect(finished)
        self.confirmation = box
        # open(), never exec(): a nested event loop would re-enter asyncio (P2).
        box.open()

    def _deliver(self, check: FrameCheck, *, confirmed: bool) -> None:
        failure = ""
        try:
            self._send(check.text)
        except (ValueError, RuntimeError) as error:
            failure = str(error) or type(error).__name__
            self.notification_requested.emit("error", f"The frame was not sent: {failure}")
        frame = SentFrame(time.time(), check.type or "?", check.text, confirmed, failure)
        self.history.add(frame)
        self._add_history_item(frame)
        self.frame_sent.emit(frame)

    # ------------------------------------------------------------------ history
    def _add_history_item(self, frame: SentFrame) -> None:
        stamp = datetime.fromtimestamp(frame.time).strftime("%H:%M:%S")
        note = f"not sent: {frame.failure}" if frame.failure else "sent"
        if frame.confirmed and not frame.failure:
            note = "sent after you agreed"
        item = QListWidgetItem(f"{stamp}  {frame.type}  — {note}")
        item.setToolTip(frame.text if len(frame.text) <= 2000 else frame.text[:2000] + "…")
        item.setData(Qt.ItemDataRole.UserRole, frame.text)
        self.history_list.insertItem(0, item)
        while self.history_list.count() > len(self.history):
            self.history_list.takeItem(self.history_list.count() - 1)
        self._show_history_state()

    def _show_history_state(self) -> None:
        empty = self.history_list.count() == 0
        self.history_empty.setVisible(empty)
        self.history_list.setVisible(not empty)

    @Slot(QListWidgetItem)
    def _on_history_activated(self, item: QListWidgetItem) -> None:
        text = item.data(Qt.ItemDataRole.UserRole)
        try:
            self.set_text(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
        except (TypeError, json.JSONDecodeError):
            self.set_text(str(text))

    # ------------------------------------------------------------------ snippets
    def _reload_snippets(self, select: str | None = None) -> None:
        combo = self.snippet_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem("— choose a snippet —", None)
            snippets = self._book.snippets(self._profile)
            own = [s for s in snippets if not s.builtin]
            for snippet in own:
                combo.addItem(snippet.name, snippet.name)
            if own:
                combo.insertSeparator(combo.count())
            for snippet in snippets:
                if snippet.builtin:
                    combo.addItem(f"{snippet.name} (example)", snippet.name)
            index = combo.findData(select) if select is not None else 0
            combo.setCurrentIndex(max(0, index))
        finally:
            combo.blockSignals(False)
        self._update_delete()

    def _current_snippet(self) -> Snippet | None:
        name = self.snippet_combo.currentData()
        return self._book.find(self._profile, name) if isinstance(name, str) else None

    def _update_delete(self) -> None:
        snippet = self._current_snippet()
        self.delete_button.setEnabled(snippet is not None and not snippet.builtin)

    @Slot(int)
    def _on_snippet_chosen(self, _index: int) -> None:
        snippet = self._current_snippet()
        if snippet is not None:
            self.set_text(snippet.text)
        self._update_delete()

    def choose_snippet(self, name: str) -> None:
        """Load the snippet ``name`` (as picking it in the list does)."""
        index = self.snippet_combo.findData(name)
        if index < 0:
            raise KeyError(name)
        self.snippet_combo.setCurrentIndex(index)
        self._on_snippet_chosen(index)

    @Slot()
    def _ask_snippet_name(self) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("composer_snippet_name")
        dialog.setWindowTitle("Save snippet")
        dialog.setLabelText(f"Name of the snippet (saved for “{self._profile}”):")
        current = self._current_snippet()
        dialog.setTextValue(current.name if current is not None and not current.builtin else "")
        dialog.textValueSelected.connect(self.save_snippet)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def save_snippet(self, name: str) -> bool:
        """Save the editor's text as snippet ``name`` of this profile; whether it was."""
        try:
            snippet = self._book.save(self._profile, name, self.editor.toPlainText())
        except ValueError as error:
            self.notification_requested.emit("error", f"Snippet not saved: {error}")
            return False
        self._reload_snippets(select=snippet.name)
        self.notification_requested.emit(
            "success", f"Saved the snippet “{snippet.name}” for “{self._profile}”."
        )
        return True

    @Slot()
    def delete_current_snippet(self) -> None:
        """Delete the chosen snippet of this profile (built-in examples cannot be)."""
        snippet = self._current_snippet()
        if snippet is None or snippet.builtin:
            return
        self._book.delete(self._profile, snippet.name)
        self._reload_snippets()
