"""Keeping megabytes of text out of Qt's text layout: soft breaks, display lines and labels.

Qt lays out a paragraph as a whole, and a run of characters with no break opportunity
costs it time that grows with the square of the run's length (a 400,000-character word
took 47 s). Everything here is plain Python so it can be tested, and reused by every view
that shows untrusted text, without a widget.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

SOFT_BREAK = "\u200b"
"""Zero-width space: an invisible line-break opportunity (removed again on copy)."""
SOFT_BREAK_EVERY = 64
"""Longest run of non-space characters shown without a break opportunity."""
DISPLAY_LINE_CHARS = 1000
"""Longest line of the read-only viewers (longer lines continue on the next one)."""

_LONG_RUN = re.compile(rf"\S{{{SOFT_BREAK_EVERY + 1},}}")
_LEADING_RUN = re.compile(r"\S*")
_TRAILING_RUN = re.compile(r"\S*\Z")


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (what a user saving it gets)."""
    # isascii() is a flag check: no 16 MB copy for the common case.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def size_label(text: str | int) -> str:
    """``"2.0 MB"``: the UTF-8 size of ``text`` (or a size in bytes)."""
    size = text if isinstance(text, int) else utf8_size(text)
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _chunks(run: str, first: int) -> str:
    """``run`` with a soft break after ``first`` characters, then every SOFT_BREAK_EVERY."""
    parts = [run[:first]] if first else []
    parts += [run[i : i + SOFT_BREAK_EVERY] for i in range(first, len(run), SOFT_BREAK_EVERY)]
    return SOFT_BREAK.join(parts)


def soft_breaks(text: str, run: int = 0) -> tuple[str, int]:
    """``text`` with zero-width spaces so no run of non-space characters is too long.

    Args:
        text: the text to show (one more piece of a stream, or all of it).
        run: non-space characters shown just before ``text`` since the last space or soft
            break (what the previous call returned), so a word split across stream
            pieces is broken like one word.

    Returns:
        The text to show, and the run to pass with the next piece.
    """
    if not text:
        return text, run
    lead = _LEADING_RUN.match(text)
    assert lead is not None  # \S* always matches
    head, rest = text[: lead.end()], text[lead.end() :]
    if run + len(head) > SOFT_BREAK_EVERY:
        first = max(SOFT_BREAK_EVERY - run, 0)
        head = (SOFT_BREAK if first == 0 else "") + _chunks(head, first)
    if not rest:
        # The whole piece continued the run: what is left of it after the last break.
        tail = head.rsplit(SOFT_BREAK, 1)
        return head, (run + len(head)) if len(tail) == 1 else len(tail[1])
    rest = _LONG_RUN.sub(lambda match: _chunks(match.group(0), 0), rest)
    trailing = _TRAILING_RUN.search(rest)
    assert trailing is not None
    return head + rest, len(trailing.group(0).rsplit(SOFT_BREAK, 1)[-1])


def strip_soft_breaks(text: str) -> str:
    """``text`` without the zero-width spaces :func:`soft_breaks` added (for copying)."""
    return text.replace(SOFT_BREAK, "")


@dataclass
class DisplayLines:
    """Turns a text into lines no longer than :data:`DISPLAY_LINE_CHARS`, piece by piece.

    A plain-text view lays out only the lines it shows, so short lines make a multi-megabyte
    text cheap to load and scroll. The line breaks added are recorded, so a position in the
    shown text maps back to the exact original (:meth:`original_offset`).

    Attributes:
        width: longest line shown.
        column: characters on the current (last) line so far.
        shown: characters produced so far (the views's document length).
        breaks: positions, in the shown text, of the line breaks added.
    """

    width: int = DISPLAY_LINE_CHARS
    column: int = 0
    shown: int = 0
    breaks: list[int] = field(default_factory=list)

    def feed(self, text: str) -> str:
        """The shown form of ``text``, the next piece of the original."""
        pieces: list[str] = []
        width = self.width
        for index, line in enumerate(text.split("\n")):
            if index:
                pieces.append("\n")
                self.shown += 1
                self.column = 0
            start = 0
            while self.column + len(line) - start > width:
                take = width - self.column
                pieces.append(line[start : start + take])
                self.shown += take
                self.breaks.append(self.shown)
                pieces.append("\n")
                self.shown += 1
                start += take
                self.column = 0
            rest = line[start:]
            pieces.append(rest)
            self.shown += len(rest)
            self.column += len(rest)
        # A lone carriage return would merge with a following line feed into one
        # position in a Qt document: shown as a space, positions stay one to one.
        return "".join(pieces).replace("\r", " ")

    def original_offset(self, position: int) -> int:
        """Offset in the original text of ``position`` in the shown text."""
        return position - bisect.bisect_left(self.breaks, position)
