"""TranscriptView: the conversation as chat bubbles that stream, elide and show full text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QMimeData, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QPlainTextEdit,
    QTextBrowser,
    QWidget,
)

from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.long_text import (
    size_label,
    soft_breaks,
    strip_soft_breaks,
    utf8_size,
)

_ROLE_TITLES = {"user": "You", "avatar": "Avatar", "typed": "You (typed)", "system": "Note"}
BUBBLE_CHARS = 20_000
"""Characters of one message shown in the transcript; the rest is one click away.

Every delta lays out its message's block again, so a bounded block keeps a 10,000-delta
response linear and a 16 MB one as cheap as a short one."""
RESTYLE_BLOCKS = 200
"""Messages re-coloured per slice after a theme switch (a few tens of ms each)."""
MARKER_REFRESH_S = 0.5
"""How often the size on a streaming message's "Show full text" link is brought up to
date (rewriting it lays out the whole block)."""
_FULL_TEXT_SCHEME = "navtalk-full"


@dataclass
class _Bubble:
    """One message: its block and the text streamed into it so far.

    A message is a single block: its header line (role and time), a line separator, then
    the body (whose line breaks become line separators too). So its extent is the
    block's, a handle to it stays valid as text is inserted before it, and each message
    costs one text layout.

    The block shows at most :data:`BUBBLE_CHARS` characters of the body; a longer text
    ends with a marker linking to the whole (kept here, exactly as received).
    """

    block: QTextBlock
    body_offset: int
    """Where the body starts, relative to the block."""
    number: int
    """The message's number in the view (its "show full text" link names it)."""
    role: str
    parts: list[str] = field(default_factory=list)
    length: int = 0
    """Characters received."""
    size: int = 0
    """Bytes received (UTF-8)."""
    shown: int = 0
    """Characters of the body shown (at most BUBBLE_CHARS)."""
    run: int = 0
    """Non-space characters shown since the last break opportunity (see soft_breaks)."""
    marker: int = 0
    """Length of the elision marker at the end of the block (0: none)."""
    marker_text: str = ""
    marker_time: float = 0.0

    @property
    def text(self) -> str:
        """Everything received so far, exactly."""
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


@dataclass(frozen=True)
class _BubbleFormats:
    """How one role's messages look: built once per role, theme and font."""

    title_text: str
    block: QTextBlockFormat
    title: QTextCharFormat
    stamp: QTextCharFormat


# Body text: the default character format (the block format gives the bubble its look).
_PLAIN = QTextCharFormat()
# Which themed part a character format paints (title, time stamp, elision note, link), and
# which role a bubble's block belongs to: a theme switch re-colours exactly these, so no
# colour stays baked into text already shown.
_PART = QTextFormat.Property.UserProperty + 1
_ROLE = QTextFormat.Property.UserProperty + 2


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

    Long text never reaches Qt's layout whole: a message shows its first
    :data:`BUBBLE_CHARS` characters, then a "Show full text (size)" link that opens the
    exact text in a :class:`FullTextViewer`; long runs without spaces get invisible break
    opportunities (removed again when copying).

    Signals:
        full_text_requested(int): the user clicked a message's "Show full text" link.
    """

    full_text_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setUndoRedoEnabled(False)
        self.document().setDocumentMargin(8)
        # The empty state says what to do next (shown while the document is empty).
        self.setPlaceholderText(
            "No conversation yet. Connect, then type a message below and press Enter: "
            "your turns and the avatar's answers appear here."
        )
        self._bubbles: dict[tuple[str, str], _Bubble] = {}
        self._elided: dict[int, _Bubble] = {}
        self._anonymous = 0
        self._batching = False
        self._formats: dict[str, _BubbleFormats] = {}
        # Every insert goes through this one cursor: each extra cursor on a document is
        # one more position to adjust on every later insert.
        self._cursor = QTextCursor(self.document())
        self.message_count = 0
        self.anchorClicked.connect(self._on_anchor_clicked)
        # A theme switch re-colours what is shown in slices (see _restyle_shown).
        self._restyle_block = -1
        self._restyle_backgrounds: dict[str, QTextBlockFormat] = {}
        self._restyle_parts: dict[tuple[str, str], QTextCharFormat] = {}
        self._restyle_timer = QTimer(self)
        self._restyle_timer.setInterval(0)
        self._restyle_timer.timeout.connect(self._restyle_slice)

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
                self._insert(bubble, text[bubble.length :])
            else:
                # The server's final text differs from the streamed deltas: it wins.
                cursor = self._cursor
                cursor.setPosition(bubble.block.position() + bubble.body_offset)
                cursor.setPosition(_block_end(bubble.block), QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
                bubble.parts.clear()
                bubble.length = bubble.size = bubble.shown = bubble.run = bubble.marker = 0
                self._insert(bubble, text)
        self._update_marker(bubble, final=True)

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

    def elided_messages(self) -> list[int]:
        """Numbers of the messages shown shortened, oldest first."""
        return list(self._elided)

    def full_text(self, number: int) -> str:
        """The exact text of message ``number`` (one of :meth:`elided_messages`)."""
        return self._elided[number].text

    def full_text_title(self, number: int) -> str:
        """A window title for message ``number``'s full text."""
        bubble = self._elided[number]
        return f"{_ROLE_TITLES.get(bubble.role, bubble.role)}: message {number} in full"

    def marker_position(self, number: int) -> int:
        """Document position inside message ``number``'s "Show full text" link."""
        bubble = self._elided[number]
        return _block_end(bubble.block) - 2

    def clear_transcript(self) -> None:
        """Remove every message."""
        self._bubbles.clear()
        self._elided.clear()
        self.message_count = 0
        self.clear()
        self._cursor = QTextCursor(self.document())

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802  (Qt override)
        # Copy what was said: without the invisible break opportunities added for show.
        mime = super().createMimeDataFromSelection()
        mime.setText(strip_soft_breaks(mime.text()))
        if mime.hasHtml():
            mime.setHtml(strip_soft_breaks(mime.html()).replace("&#8203;", ""))
        return mime

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._formats.clear()  # new bubbles take the new colours and sizes
            if event.type() == QEvent.Type.PaletteChange:
                self._restyle_shown()
        super().changeEvent(event)

    def _part_colour(self, part: str, role: str) -> QColor:
        if part == "title":
            return self._colours(role)[1]
        if part == "link":
            return self.palette().link().color()
        return QColor(colors(self.palette()).muted_text)

    def _restyle_shown(self) -> None:
        """Give every message already shown the palette's colours (a live theme switch).

        The body text has no colour of its own (it follows the palette); backgrounds,
        titles, time stamps and links are re-coloured, newest first (the visible end),
        in slices of :data:`RESTYLE_BLOCKS` blocks so a long transcript never holds the
        GUI thread.
        """
        self._restyle_block = self.document().lastBlock().blockNumber()
        self._restyle_backgrounds = {}
        self._restyle_parts = {}
        if not self._restyle_timer.isActive():
            self._restyle_timer.start()

    def restyle_pending(self) -> bool:
        """Whether messages shown before a theme switch are still being re-coloured."""
        return self._restyle_block >= 0

    def _restyle_slice(self) -> None:
        document = self.document()
        block = document.findBlockByNumber(self._restyle_block)
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        try:
            for _ in range(RESTYLE_BLOCKS):
                if not block.isValid():
                    break
                role = block.blockFormat().property(_ROLE)
                if isinstance(role, str):
                    self._restyle_block_colours(cursor, block, role)
                block = block.previous()
        finally:
            cursor.endEditBlock()
        self._restyle_block = block.blockNumber() if block.isValid() else -1
        if self._restyle_block < 0:
            self._restyle_timer.stop()

    def _restyle_block_colours(self, cursor: QTextCursor, block: QTextBlock, role: str) -> None:
        background = self._restyle_backgrounds.get(role)
        if background is None:
            background = self._restyle_backgrounds[role] = QTextBlockFormat()
            background.setBackground(self._colours(role)[0])
        cursor.setPosition(block.position())
        cursor.mergeBlockFormat(background)
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            part = fragment.charFormat().property(_PART)
            if isinstance(part, str):
                colour = self._restyle_parts.get((role, part))
                if colour is None:
                    colour = self._restyle_parts[(role, part)] = QTextCharFormat()
                    colour.setForeground(self._part_colour(part, role))
                cursor.setPosition(fragment.position())
                cursor.setPosition(
                    fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                )
                cursor.mergeCharFormat(colour)
            fragments += 1

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
        block_format.setProperty(_ROLE, role)
        block_format.setLeftMargin(66 if role in ("user", "typed") else 6)
        block_format.setRightMargin(6 if role in ("user", "typed") else 66)
        block_format.setTopMargin(6)
        block_format.setBottomMargin(6)
        title = QTextCharFormat()
        title.setForeground(accent)
        title.setFontWeight(QFont.Weight.Bold)
        title.setProperty(_PART, "title")
        title.setFontPointSize(max(7.0, self.font().pointSizeF() * 0.85))
        stamp = QTextCharFormat()
        stamp.setForeground(QColor(colors(self.palette()).muted_text))
        stamp.setProperty(_PART, "muted")
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
        bubble = self._new_bubble(role)
        self._insert(bubble, text)
        self._update_marker(bubble, final=True)

    def _new_bubble(self, role: str) -> _Bubble:
        at_bottom = not self._batching and self._at_bottom()
        header = self._start_message(role)
        bubble = _Bubble(self._cursor.block(), header, self.message_count, role)
        if at_bottom:
            self._scroll_to_bottom()
        return bubble

    def _insert(self, bubble: _Bubble, text: str) -> None:
        if not text:
            return
        bubble.parts.append(text)
        bubble.length += len(text)
        bubble.size += utf8_size(text)
        room = BUBBLE_CHARS - bubble.shown
        if room <= 0:
            self._update_marker(bubble)
            return
        piece = text[:room]
        bubble.shown += len(piece)
        shown, bubble.run = soft_breaks(piece, bubble.run)
        at_bottom = not self._batching and self._at_bottom()
        cursor = self._cursor
        cursor.setPosition(_block_end(bubble.block))
        cursor.insertText(shown.replace("\n", "\u2028"), _PLAIN)
        if bubble.length > bubble.shown:
            self._update_marker(bubble)
        if at_bottom:
            self._scroll_to_bottom()

    def _update_marker(self, bubble: _Bubble, *, final: bool = False) -> None:
        """Show (or bring up to date) the "Show full text" link of an elided bubble.

        While the message streams, its size is refreshed every MARKER_REFRESH_S at most:
        each rewrite lays out the whole (bounded) block again.
        """
        if bubble.length <= bubble.shown:
            return
        now = time.monotonic()
        if bubble.marker and not final and now - bubble.marker_time < MARKER_REFRESH_S:
            return
        label = f"Show full text ({size_label(bubble.size)})"
        lead = f" … ({bubble.length - bubble.shown:,} more characters)\u2028"
        if bubble.marker and bubble.marker_text == lead + label:
            return
        self._elided[bubble.number] = bubble
        cursor = self._cursor
        end = _block_end(bubble.block)
        cursor.setPosition(end - bubble.marker)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        muted = QTextCharFormat()
        muted.setForeground(QColor(colors(self.palette()).muted_text))
        muted.setFontItalic(True)
        muted.setProperty(_PART, "muted")
        cursor.insertText(lead, muted)
        link = QTextCharFormat()
        link.setAnchor(True)
        link.setAnchorHref(f"{_FULL_TEXT_SCHEME}:{bubble.number}")
        link.setForeground(self.palette().link())
        link.setFontUnderline(True)
        link.setProperty(_PART, "link")
        link.setToolTip("Open the whole message in a read-only viewer (copy or save it there)")
        cursor.insertText(label, link)
        bubble.marker = len(lead) + len(label)
        bubble.marker_text = lead + label
        bubble.marker_time = now

    @Slot(QUrl)
    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() != _FULL_TEXT_SCHEME:
            return
        try:
            number = int(url.path())
        except ValueError:
            return
        if number in self._elided:
            self.full_text_requested.emit(number)

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
