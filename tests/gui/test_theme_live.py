"""A live theme switch re-styles content already shown (issue 16, defect 1)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QPalette

from navtalk_desktop.core.tools.lint import lint_toolset
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.conversation.transcript_view import RESTYLE_BLOCKS, TranscriptView
from navtalk_desktop.ui.shell.theme import DARK, LIGHT, build_palette
from navtalk_desktop.ui.tools.tool_list import ToolList

WAIT_MS = 20_000  # generous: a loaded machine can be slow to paint


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _bubble_contrasts(view: TranscriptView) -> list[float]:
    """Body text against its bubble's background, for every message shown."""
    text = view.palette().color(QPalette.ColorRole.Text)
    ratios = []
    block = view.document().begin()
    while block.isValid():
        background = block.blockFormat().background()
        if background.style() != background.style().NoBrush:
            ratios.append(contrast(text, background.color()))
        block = block.next()
    return ratios


def test_existing_bubbles_restyle_on_a_live_theme_switch(qtbot: Any) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.setPalette(build_palette(LIGHT))
    view.add_message("user", "hello there")
    view.add_message("avatar", "hi, how can I help?")
    view.add_message("system", "a note")
    assert len(_bubble_contrasts(view)) == 3
    for theme in (DARK, LIGHT, DARK):
        view.setPalette(build_palette(theme))
        qtbot.waitUntil(lambda: min(_bubble_contrasts(view)) >= 4.5, timeout=WAIT_MS)
        # The pixels agree: the body text's colour is far from the bubble's.
        image = view.viewport().grab().toImage()
        background = image.pixelColor(image.width() - 20, 12)
        assert contrast(background, QColor(theme.text)) >= 4.5
    # New messages take the current theme too.
    view.add_message("avatar", "after the switch")
    assert min(_bubble_contrasts(view)) >= 4.5


def test_tool_names_stay_readable_after_a_live_theme_switch(qtbot: Any) -> None:
    tools = ToolSet(name="t", tools=(new_entry("weather"),))
    listing = ToolList()
    qtbot.addWidget(listing)
    listing.setPalette(build_palette(LIGHT))
    listing.show_tools(tools, lint_toolset(tools), 0)
    for theme in (DARK, LIGHT):
        listing.setPalette(build_palette(theme))
        item = listing.item(0)
        assert item is not None
        brush = item.foreground()
        shown = (
            brush.color()
            if brush.style() != brush.style().NoBrush
            else listing.palette().color(QPalette.ColorRole.Text)
        )
        assert contrast(shown, listing.palette().color(QPalette.ColorRole.Base)) >= 4.5


def test_tool_list_says_what_answers_each_tool(qtbot: Any) -> None:
    tools = ToolSet(name="t", tools=(new_entry("weather"),))
    listing = ToolList()
    qtbot.addWidget(listing)
    listing.show_tools(tools, lint_toolset(tools), 0)
    item = listing.item(0)
    assert item is not None
    assert "Answered by: template" in item.toolTip()


def test_a_long_transcript_is_restyled_in_slices(qtbot: Any) -> None:
    # Thousands of messages are re-coloured a slice at a time (the GUI stays responsive),
    # newest first, and every one ends up readable.
    view = TranscriptView()
    qtbot.addWidget(view)
    view.setPalette(build_palette(LIGHT))
    with view.batch():
        for number in range(3 * RESTYLE_BLOCKS):
            view.add_message("avatar" if number % 2 else "user", f"message {number}")
    view.setPalette(build_palette(DARK))
    assert view.restyle_pending()
    assert min(_bubble_contrasts(view)) < 4.5  # not all at once
    qtbot.waitUntil(lambda: not view.restyle_pending(), timeout=20_000)
    assert min(_bubble_contrasts(view)) >= 4.5
