"""Regular expressions typed into the timeline search: linear time and bounded, by construction.

Python's ``re`` backtracks: ``^(a+)+$`` against a long run of ``a`` followed by ``b`` takes
exponential time, and a search box runs on the GUI thread for every row. The timeline search
therefore uses RE2 (``google-re2``), whose automata match in time linear in the text, so no
pattern can hang it. Its budgets:

* time: linear in the searched text, which is at most :data:`MAX_TEXT_CHARS` of each row
  (a huge frame is searched in its first 256 k characters; the search box says so);
* memory: the compiled program is capped at :data:`MAX_PROGRAM_BYTES` and patterns at
  :data:`MAX_PATTERN_CHARS` characters; larger ones are refused with a clear message.

RE2 has no backreferences or lookaround (they are what needs backtracking): such a pattern is
refused with a message that says so, instead of running unbounded.
"""

from __future__ import annotations

import re
from typing import Any

import re2

MAX_PATTERN_CHARS = 4096
MAX_PROGRAM_BYTES = 8 * 1024 * 1024
# Of each row, a regex searches at most this many characters (summary, frame, error).
MAX_TEXT_CHARS = 256 * 1024

_UNSUPPORTED = (
    "the timeline search runs patterns in linear time (RE2), so it has no backreferences "
    "(\\1), lookahead or lookbehind ((?=…), (?!…), (?<=…), (?<!…)) or possessive/atomic groups"
)


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_PROGRAM_BYTES
    options.log_errors = False  # errors are reported to the user, not written to stderr
    return options


class SearchPattern:
    """A compiled search pattern; :meth:`search` never takes more than linear time.

    Build it with :func:`compile_search_pattern`.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, compiled: Any) -> None:
        self.pattern = pattern
        self._compiled = compiled

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in the first :data:`MAX_TEXT_CHARS` of ``text``."""
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
        return self._compiled.search(text) is not None


def compile_search_pattern(pattern: str) -> SearchPattern:
    """``pattern`` (Python ``re`` syntax, minus what needs backtracking) ready to search.

    Raises:
        ValueError: invalid, too long, too large once compiled, or using backreferences or
            lookaround; the message says which and what to do.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(
            f"regular expression too long ({len(pattern):,} characters; at most "
            f"{MAX_PATTERN_CHARS:,})"
        )
    try:
        compiled = re2.compile(pattern, options=_options())
    except re2.error as error:
        detail = _reason(error)
        try:
            re.compile(pattern)
        except re.error as python_error:
            raise ValueError(f"invalid regular expression: {python_error}") from None
        if "too large" in detail or "memory" in detail or "repetition size" in detail:
            raise ValueError(
                f"regular expression too large to search ({detail}): simplify it"
            ) from None
        raise ValueError(f"regular expression not supported: {_UNSUPPORTED} ({detail})") from None
    return SearchPattern(pattern, compiled)


def _reason(error: Exception) -> str:
    detail = error.args[0] if error.args else str(error)
    if isinstance(detail, bytes):
        return detail.decode("utf-8", "replace")
    return str(detail)


__all__ = [
    "MAX_PATTERN_CHARS",
    "MAX_PROGRAM_BYTES",
    "MAX_TEXT_CHARS",
    "SearchPattern",
    "compile_search_pattern",
]
