"""The keyboard shortcuts of the main window: one table, used for actions, tooltips and help."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence


@dataclass(frozen=True, slots=True)
class ShortcutSpec:
    """One keyboard shortcut.

    Attributes:
        key: stable action key (``"connect"``); the main window's ``actions`` dict uses it.
        text: menu text (with ``&`` mnemonic).
        sequence: portable key sequence (``"Ctrl+K"``; Qt maps Ctrl to ⌘ on macOS).
        description: one line for tooltips and the shortcut overview.
    """

    key: str
    text: str
    sequence: str
    description: str

    def key_sequence(self) -> QKeySequence:
        """The sequence as a QKeySequence."""
        return QKeySequence(self.sequence)

    def native_text(self) -> str:
        """The sequence as the platform shows it (``Ctrl+K`` or ``⌘K``)."""
        return self.key_sequence().toString(QKeySequence.SequenceFormat.NativeText)


SHORTCUTS: tuple[ShortcutSpec, ...] = (
    ShortcutSpec(
        "connect", "&Connect / Disconnect", "Ctrl+K", "Connect, or disconnect when connected"
    ),
    ShortcutSpec(
        "focus_message", "&Type a Message", "Ctrl+L", "Focus the message box in Conversation"
    ),
    ShortcutSpec(
        "send_text", "&Send Message", "Ctrl+Return", "Send the typed message to the avatar"
    ),
    ShortcutSpec("focus_search", "&Find in Timeline", "Ctrl+F", "Focus the timeline search box"),
    ShortcutSpec("next_call", "Next &Pending Call", "Ctrl+J", "Jump to the oldest unanswered call"),
    ShortcutSpec("mode_manual", "&Manual Answering", "Ctrl+Shift+M", "Calls wait for your answer"),
    ShortcutSpec(
        "mode_auto", "&Automatic Answering", "Ctrl+Shift+A", "Responders answer calls at once"
    ),
    ShortcutSpec(
        "mode_approve",
        "Approve &Drafts",
        "Ctrl+Shift+D",
        "Responders draft, you approve each answer",
    ),
    ShortcutSpec(
        "export_jsonl", "&Export Session (JSON Lines)…", "Ctrl+E", "Save every frame as JSON Lines"
    ),
    ShortcutSpec(
        "export_markdown",
        "Export &Transcript (Markdown)…",
        "Ctrl+Shift+E",
        "Save the conversation and calls",
    ),
    ShortcutSpec("import_jsonl", "&Open Session…", "Ctrl+O", "Load a saved JSON Lines session"),
    ShortcutSpec(
        "clear_timeline", "C&lear Timeline", "Ctrl+Shift+L", "Remove every frame from the view"
    ),
    ShortcutSpec("shortcuts_help", "&Keyboard Shortcuts", "F1", "Show this overview"),
    ShortcutSpec("quit", "&Quit", "Ctrl+Q", "Disconnect and quit"),
)

# Ctrl+1 … Ctrl+9: answer the next pending call with that quick reply (call desk).
QUICK_REPLY_SEQUENCE = "Ctrl+{n}"


def shortcut(key: str) -> ShortcutSpec:
    """The spec for ``key`` (KeyError if unknown)."""
    for spec in SHORTCUTS:
        if spec.key == key:
            return spec
    raise KeyError(key)


def quick_reply_sequence(n: int) -> QKeySequence:
    """Key sequence for quick reply ``n`` (1 to 9)."""
    return QKeySequence(QUICK_REPLY_SEQUENCE.format(n=n))


def with_shortcut(tooltip: str, key: str) -> str:
    """``tooltip`` followed by the shortcut in parentheses, as shown on buttons."""
    return f"{tooltip} ({shortcut(key).native_text()})"


def overview_html() -> str:
    """An HTML table of every shortcut, for the help window."""
    rows = [
        f"<tr><td><b>{spec.native_text()}</b></td><td>{spec.description}</td></tr>"
        for spec in SHORTCUTS
    ]
    quick = quick_reply_sequence(1).toString(QKeySequence.SequenceFormat.NativeText)
    rows.insert(
        5,
        f"<tr><td><b>{quick[:-1]}1 … 9</b></td>"
        "<td>Answer the oldest pending call with quick reply 1 to 9</td></tr>",
    )
    return "<table cellspacing='6'>" + "".join(rows) + "</table>"
