"""Help → Licenses: the app's own license and every third-party notice it ships with."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.licenses import LicenseNotice

INTRO = (
    "NavTalk Desktop is free software under the MIT license. It includes Python, Qt (through "
    "Qt for Python, under the LGPL-3.0) and the Python packages listed here, each under its "
    "own license. Choose a component to read its license text."
)


class LicensesDialog(QDialog):
    """A list of components (the app first) beside the selected one's license text.

    Notices without a license text stay in the list, marked, so a gap is visible instead
    of hidden.

    Signals:
        None of its own (QDialog's finished/accepted/rejected).
    """

    def __init__(self, notices: list[LicenseNotice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("licenses_dialog")
        self.setWindowTitle("Licenses")
        self.resize(960, 620)
        self.notices = notices
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.components = QListWidget()
        self.components.setObjectName("license_components")
        for notice in notices:
            name = f"{notice.name} {notice.version}".strip()
            item = QListWidgetItem(name if notice.texts else f"{name} (no license text)")
            item.setToolTip(notice.title)
            self.components.addItem(item)
        self.text = QPlainTextEdit()
        self.text.setObjectName("license_text")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        splitter.addWidget(self.components)
        splitter.addWidget(self.text)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 700])
        layout.addWidget(splitter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.components.currentRowChanged.connect(self._show)
        if notices:
            self.components.setCurrentRow(0)

    @Slot(int)
    def _show(self, row: int) -> None:
        if 0 <= row < len(self.notices):
            notice = self.notices[row]
            head = f"{notice.name} {notice.version}\nLicense: {notice.license or 'not stated'}"
            self.text.setPlainText(f"{head}\n\n{notice.full_text()}")
            self.text.moveCursor(self.text.textCursor().MoveOperation.Start)
