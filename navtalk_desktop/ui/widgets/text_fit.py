"""Text that fits narrow panels: a label that elides, and break points inside long words.

A QLabel's minimum width is its whole text (or, word-wrapped, its longest word), so one
long function name or URL in a call card would force the whole dock wider. These helpers
let such text give way instead.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

# Words longer than this get invisible break opportunities (U+200B ZERO WIDTH SPACE).
LONG_WORD = 24
_ZWSP = "\u200b"
_BREAK_AFTER = re.compile(r"([/_.,:;?&=\-\]\)}])")
# An elided label never asks for less than this many characters (plus the ellipsis).
MIN_VISIBLE_CHARS = 6


def breakable(text: str, long_word: int = LONG_WORD) -> str:
    """``text`` HTML-escaped, with break opportunities inside words longer than ``long_word``.

    Breaks go after punctuation typical of paths, URLs and identifiers, and every
    ``long_word`` characters in runs that have none, so word-wrapped rich text labels can
    always wrap. The break characters are invisible.
    """

    def split(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) <= long_word:
            return word
        parts = _BREAK_AFTER.sub(rf"\1{_ZWSP}", word).split(_ZWSP)
        chunks = [
            part[start : start + long_word]
            for part in parts
            for start in range(0, max(len(part), 1), long_word)
        ]
        return _ZWSP.join(chunks)

    return html.escape(re.sub(r"\S+", split, text))


class ElidedLabel(QLabel):
    """A one-line plain-text label that shortens its text with "…" when narrow.

    ``text()`` stays the full text; the tooltip shows it while it is elided (unless a
    tooltip was set explicitly).
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(text, parent)
        self.elide_mode = mode
        """Where the "…" goes (ids read best elided in the middle: both ends stay)."""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._own_tooltip = ""

    def setToolTip(self, text: str) -> None:  # noqa: N802  (Qt override)
        self._own_tooltip = text
        self._sync_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802  (Qt override)
        super().setText(text)
        self._sync_tooltip()

    def minimumSizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        short = self.text()[:MIN_VISIBLE_CHARS] + "…"
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), metrics.horizontalAdvance(short) + 4), hint.height())

    def is_elided(self) -> bool:
        """Whether the text is shortened right now."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._sync_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        del event
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), self.elide_mode, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()

    def _sync_tooltip(self) -> None:
        # An explicit tooltip wins; otherwise the full text while it is shortened.
        tip = getattr(self, "_own_tooltip", "") or (self.text() if self.is_elided() else "")
        if super().toolTip() != tip:
            super().setToolTip(tip)
