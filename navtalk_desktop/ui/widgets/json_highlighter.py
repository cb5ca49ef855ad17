"""Pretty-printing and syntax colouring of JSON for the detail panes."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from navtalk_desktop.ui.shell.theme import ThemeColors, colors

# Token regex: strings (keys when followed by a colon), numbers, keywords, punctuation.
# One pass per block keeps highlighting O(line length) even for multi-megabyte frames.
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<keyword>\btrue\b|\bfalse\b|\bnull\b)"
    r"|(?P<punct>[{}\[\],:])"
)
# For views that cut long lines: also a string still open at the end of a line, and the
# rest of one that continues from the line before.
_TOKEN_OR_OPEN = re.compile(_TOKEN.pattern + r'|(?P<open>"(?:[^"\\]|\\.)*\\?\Z)')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*("?)')
_IN_STRING = 1
# Beyond this, a document is shown as-is: colouring megabytes of base64 helps nobody.
MAX_HIGHLIGHT_CHARS = 400_000


def pretty_json(raw: str | bytes) -> tuple[str, bool]:
    """Indent ``raw`` if it is JSON; return ``(text, is_json)``.

    Binary frames are shown as a short hex preview with their size, never decoded blindly.
    """
    if isinstance(raw, bytes):
        preview = raw[:256].hex(" ")
        more = " …" if len(raw) > 256 else ""
        return f"<binary frame, {len(raw)} bytes>\n{preview}{more}", False
    try:
        value: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return raw, False
    return json.dumps(value, indent=2, ensure_ascii=False), True


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON keys, strings, numbers and keywords with the current theme's colours."""

    def __init__(
        self,
        document: QTextDocument,
        theme: ThemeColors | None = None,
        *,
        continued_lines: bool = False,
    ) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self.enabled = True
        # Views that cut long lines (LongTextEdit) continue a string on the next line.
        self._continued = continued_lines
        self.set_theme(theme or colors())

    def set_theme(self, theme: ThemeColors) -> None:
        """Switch colours (light/dark) and re-highlight."""

        def fmt(color: str, bold: bool = False) -> QTextCharFormat:
            result = QTextCharFormat()
            result.setForeground(QColor(color))
            if bold:
                result.setFontWeight(QFont.Weight.DemiBold)
            return result

        self._formats = {
            "key": fmt(theme.json_key, bold=True),
            "string": fmt(theme.json_string),
            "number": fmt(theme.json_number),
            "keyword": fmt(theme.json_keyword, bold=True),
            "punct": fmt(theme.json_punctuation),
        }
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # Qt override
        if not self.enabled or not self._formats:
            return
        start = 0
        if self._continued:
            self.setCurrentBlockState(0)
            if self.previousBlockState() == _IN_STRING:
                rest = _STRING_REST.match(text)
                assert rest is not None  # matches the empty string
                start = rest.end()
                self.setFormat(0, start, self._formats["string"])
                if not rest.group(1):
                    self.setCurrentBlockState(_IN_STRING)
                    return
        tokens = _TOKEN_OR_OPEN if self._continued else _TOKEN
        for match in tokens.finditer(text, start):
            kind = match.lastgroup
            if kind == "open":
                begin, end = match.span()
                self.setFormat(begin, end - begin, self._formats["string"])
                self.setCurrentBlockState(_IN_STRING)
                continue
            if kind in ("string", "colon"):
                start, end = match.span("string")
                key = match.group("colon") is not None
                self.setFormat(start, end - start, self._formats["key" if key else "string"])
                continue
            if kind is not None:
                start, end = match.span()
                self.setFormat(start, end - start, self._formats[kind])
