"""SessionStatusBar: connection state, last call-answer latency and event rate at a glance."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from navtalk_desktop.ui.shell.theme import ThemeColors, colors
from navtalk_desktop.ui.widgets.throttle import Throttle

# State name -> (label, colour attribute of ThemeColors).
_STATE_STYLE: dict[str, tuple[str, str]] = {
    "idle": ("Not connected", "muted_text"),
    "connecting": ("Connecting…", "warning"),
    "open": ("Waiting for the server…", "warning"),
    "connected": ("Connected", "success"),
    "ready": ("Ready", "success"),
    "reconnecting": ("Reconnecting…", "warning"),
    # One wording for "no connection" everywhere (status bar, Connection panel, title),
    # whether it never connected or was disconnected.
    "closed": ("Not connected", "muted_text"),
    "failed": ("Failed", "error"),
}
# State messages that only repeat what the label says.
_SAID_BY_LABEL = {"session ready", "disconnected"}


def describe_state(state: str) -> tuple[str, str]:
    """Human label and theme colour attribute for a session state name."""
    return _STATE_STYLE.get(state, (state.replace("_", " ").capitalize(), "muted_text"))


def adds_to_label(label: str, message: str) -> bool:
    """Whether a state ``message`` says more than its ``label`` (shown next to it)."""
    folded = message.casefold()
    return bool(message) and folded != label.casefold() and folded not in _SAID_BY_LABEL


def format_seconds(seconds: float) -> str:
    """``0.412`` -> ``"412 ms"``, ``3.5`` -> ``"3.5 s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


class SessionStatusBar(QStatusBar):
    """The main window's status bar.

    Args:
        event_count: returns how many frames the timeline holds (sampled once a second).
    """

    def __init__(self, event_count: Callable[[], int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_bar")
        self._event_count = event_count
        self._state = "idle"
        self._message = ""
        self.state_label = QLabel()
        self.state_label.setObjectName("status_state")
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.latency_label = QLabel("Last call: —")
        self.latency_label.setObjectName("status_latency")
        self.latency_label.setToolTip(
            "Last function call: time from the call's arrival to our answer,\n"
            "and until the model's next response began."
        )
        self.rate_label = QLabel(f"0 ev/s · {event_count():,} frames")
        self.rate_label.setObjectName("status_rate")
        self.rate_label.setToolTip(
            "Frames per second over the last second, and frames in the timeline"
        )
        self.rate_label.setMinimumWidth(150)
        self.rate_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Long server messages must never widen the window: the label takes the free
        # space, cuts the text, and the tooltip keeps it whole.
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label.setMinimumWidth(160)
        self.addWidget(self.state_label, 1)
        self.addPermanentWidget(self.latency_label)
        self.addPermanentWidget(self.rate_label)
        self._last_count = event_count()
        self.events_per_second = 0.0
        self._rate_timer = QTimer(self)
        self._rate_timer.setInterval(1000)
        self._rate_timer.timeout.connect(self._sample_rate)
        self._rate_timer.start()
        # The latest call's (answered, resumed) latencies; see set_last_answer.
        self._last_answer: tuple[float | None, float | None] = (None, None)
        self._latency_throttle = Throttle(self._show_last_answer, parent=self)
        self.set_state("idle", "")

    @Slot(str, str)
    def set_state(self, state: str, message: str) -> None:
        """Show the connection ``state`` and the server's ``message`` (if any)."""
        self._state = state
        self._message = message
        self._render_state(colors(self.palette()))

    def set_last_answer(self, answered_after: float | None, resumed_after: float | None) -> None:
        """Show the latest call's answer time and model-resume latency (seconds).

        Shown at once, then at most every ``DISPLAY_REFRESH_MS`` (see :class:`Throttle`):
        each new text resizes the label, which relayouts and repaints the status bar, and
        under load calls end faster than anyone can read. The latest value always shows.
        """
        self._last_answer = (answered_after, resumed_after)
        self._latency_throttle.request()

    def _show_last_answer(self) -> None:
        answered_after, resumed_after = self._last_answer
        parts = []
        if answered_after is not None:
            parts.append(f"answered in {format_seconds(answered_after)}")
        if resumed_after is not None:
            parts.append(f"model resumed after {format_seconds(resumed_after)}")
        self.latency_label.setText("Last call: " + (", ".join(parts) if parts else "—"))

    def _render_state(self, theme: ThemeColors) -> None:
        label, attribute = describe_state(self._state)
        color = getattr(theme, attribute)
        text = f"<span style='color:{color}'>●</span> {label}"
        if adds_to_label(label, self._message):
            short = self._message if len(self._message) <= 110 else self._message[:109] + "…"
            text += f" — {html.escape(short, quote=False)}"
        self.state_label.setText(text)
        self.state_label.setToolTip(self._message or label)

    @Slot()
    def _sample_rate(self) -> None:
        count = self._event_count()
        # A cleared timeline shrinks; never show a negative rate.
        self.events_per_second = (
            max(0, count - self._last_count) * 1000 / self._rate_timer.interval()
        )
        self._last_count = count
        self.rate_label.setText(f"{self.events_per_second:,.0f} ev/s · {count:,} frames")

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._render_state(colors(self.palette()))
        super().changeEvent(event)
