"""ServerMessages: connection events and server messages, newest last, time-stamped."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QSizePolicy, QWidget

MAX_SERVER_MESSAGES = 50


class ServerMessages(QListWidget):
    """The last :data:`MAX_SERVER_MESSAGES` connection events, each as ``HH:MM:SS  text``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server_messages")
        self.setToolTip("Connection events and messages from the server, newest last")
        self.setMaximumHeight(110)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def add(self, text: str, *, keep: int | None = MAX_SERVER_MESSAGES) -> None:
        """Append ``text`` with the time; drop the oldest beyond ``keep`` (None: keep all)."""
        stamp = datetime.now().strftime("%H:%M:%S")
        self.addItem(f"{stamp}  {text}")
        if keep is not None:
            while self.count() > keep:
                self.takeItem(0)
        self.scrollToBottom()

    def last_text(self) -> str | None:
        """The newest message without its time, or None."""
        last = self.item(self.count() - 1) if self.count() else None
        return last.text().split("  ", 1)[-1] if last is not None else None


__all__ = ["MAX_SERVER_MESSAGES", "ServerMessages"]
