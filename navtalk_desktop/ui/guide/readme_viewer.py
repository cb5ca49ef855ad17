"""The README, shown in the app (offline), opened at a section."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

MISSING = (
    "The README is not part of this installation. It comes with the source "
    "(README.md next to dev.py) and describes every feature in detail."
)


class ReadmeWindow(QWidget):
    """A window showing the README's Markdown.

    Args:
        markdown: the README's text (None: it could not be found; a note says so).
    """

    def __init__(self, markdown: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("readme_window")
        self.setWindowTitle("README — NavTalk Desktop")
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("readme_text")
        self.browser.setAccessibleName("README")
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(lambda url: self.show_section(url.fragment()))
        if markdown:
            self.browser.setMarkdown(markdown)
        else:
            self.browser.setPlainText(MISSING)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.resize(820, 700)

    def show_section(self, heading: str) -> bool:
        """Scroll to the heading ``heading`` (its text, or a Markdown anchor of it)."""
        wanted = heading.replace("-", " ").casefold()
        block = self.browser.document().begin()
        while block.isValid():
            text = block.text().strip()
            if block.blockFormat().headingLevel() > 0 and (
                text.casefold() == wanted or text.casefold().replace("-", " ") == wanted
            ):
                cursor = QTextCursor(block)
                self.browser.setTextCursor(cursor)
                top = self.browser.document().documentLayout().blockBoundingRect(block).top()
                self.browser.verticalScrollBar().setValue(int(top))
                return True
            block = block.next()
        return False

    def current_heading(self) -> str:
        """The heading the cursor is on (empty when it is not on one)."""
        block = self.browser.textCursor().block()
        return block.text().strip() if block.blockFormat().headingLevel() > 0 else ""
