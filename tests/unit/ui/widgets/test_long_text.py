"""Soft breaks and display lines: what keeps long text cheap for Qt, and exact to copy."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from navtalk_desktop.ui.widgets.long_text import (
    SOFT_BREAK,
    SOFT_BREAK_EVERY,
    DisplayLines,
    size_label,
    soft_breaks,
    strip_soft_breaks,
)

# Long runs of one letter, spaces and line breaks: the shapes that matter for line breaking.
_PIECES = st.lists(
    st.one_of(
        st.text(alphabet="ab \n", max_size=8),
        st.integers(min_value=0, max_value=300).map(lambda n: "x" * n),
    ),
    max_size=12,
).map("".join)


def _runs(text: str) -> list[int]:
    return [len(run) for run in re.split(rf"[\s{SOFT_BREAK}]", text)]


@given(_PIECES, st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_soft_breaks_bound_every_run_and_strip_back_to_the_original(
    text: str, cuts: list[int]
) -> None:
    # The text arrives in pieces (stream deltas); a word split across pieces is one word.
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    shown, run = "", 0
    for piece in pieces:
        more, run = soft_breaks(piece, run)
        shown += more
    assert strip_soft_breaks(shown) == text
    assert max(_runs(shown), default=0) <= SOFT_BREAK_EVERY


def test_ordinary_text_is_left_alone() -> None:
    text = "It is sunny in Beijing today, 24 degrees.\nSee https://example.invalid/a?b=c"
    assert soft_breaks(text) == (text, len("https://example.invalid/a?b=c"))


@given(_PIECES, st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=64))
def test_display_lines_are_short_and_map_back_to_the_exact_original(
    text: str, width: int, step: int
) -> None:
    lines = DisplayLines(width=width)
    shown = "".join(lines.feed(text[i : i + step]) for i in range(0, len(text), step))
    assert all(len(line) <= width for line in shown.split("\n"))
    assert len(shown) == lines.shown
    assert text[lines.original_offset(0) : lines.original_offset(len(shown))] == text
    # Any range of the shown text stands for the original characters behind it.
    for start in range(0, len(shown), max(1, len(shown) // 7)):
        original = text[lines.original_offset(start) : lines.original_offset(len(shown))]
        assert text.endswith(original)


def test_carriage_returns_keep_positions_one_to_one() -> None:
    lines = DisplayLines(width=10)
    assert lines.feed("ab\r\ncd") == "ab \ncd"
    assert lines.original_offset(6) == 6


def test_size_label_counts_utf8_bytes() -> None:
    assert size_label("abc") == "3 B"
    assert size_label("é" * 1024) == "2.0 KB"
    assert size_label("x" * 2_000_000) == "1.9 MB"
