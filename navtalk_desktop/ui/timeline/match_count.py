"""The timeline's count label: entries, matches or hits, short on screen, long in its tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def count_text(active: bool, shown: int, total: int, found: int | None) -> tuple[str, str]:
    """The short count and its long form (tooltip).

    Args:
        active: a filter or search is active.
        shown: entries the filter lets through.
        total: entries in the timeline.
        found: matches highlighted (``None`` when the search filters instead of highlighting).
    """
    if not active:
        return f"{total:,} entries", "Entries in the timeline"
    if found is not None:
        return (
            f"{found:,} hits in {total:,}",
            f"{found:,} matches highlighted among {total:,} entries",
        )
    return f"{shown:,} of {total:,} match", f"{shown:,} of {total:,} entries match"


def show_count(label: QLabel, text: str, tip: str) -> None:
    """A short count that is never cut off; the long form in its tooltip."""
    label.setText(text)
    label.setToolTip(f"{tip}. Entries are logical rows: a folded run of deltas counts once")
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance(text) + 6)
