"""Help → Getting started: connect, type, answer, auto, in five short steps.

Each step says what to do, has a "Show me" button that brings the right panel forward
and puts the focus where the user acts, and links to the README section that says more
(shown in the app's README viewer, offline).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.ui.guide.steps import STEPS, TourStep

INTRO = (
    "NavTalk Desktop lets you define tools, connect to NavTalk (or the built-in simulator), "
    "watch every frame and answer the model's function calls, by hand or automatically."
)


class GettingStartedWindow(QWidget):
    """The Getting started page (a window of its own, never modal).

    Signals:
        show_requested(str): the "Show me" button of the step with this key was pressed.
        readme_requested(str): a README link was clicked; the argument is the heading.
    """

    show_requested = Signal(str)
    readme_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("getting_started")
        self.setWindowTitle("Getting started — NavTalk Desktop")
        self.show_buttons: dict[str, QPushButton] = {}
        self.readme_links: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        steps = QVBoxLayout(body)
        steps.setContentsMargins(0, 0, 0, 0)
        for step in STEPS:
            steps.addWidget(self._step(step))
        steps.addStretch(1)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(620, 640)

    def _step(self, step: TourStep) -> QWidget:
        box = QFrame()
        box.setObjectName(f"step_{step.key}")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(box)
        title = QLabel(f"<b>{step.title}</b>")
        text = QLabel(step.text)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        button = QPushButton(step.show)
        button.setObjectName(f"show_{step.key}")
        button.clicked.connect(lambda _checked=False, key=step.key: self.show_requested.emit(key))
        link = QLabel(f"<a href='#{step.readme}'>README: {step.readme}</a>")
        link.setObjectName(f"readme_{step.key}")
        link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        link.setAccessibleName(f"Open the README section {step.readme}")
        link.linkActivated.connect(lambda href: self.readme_requested.emit(href.lstrip("#")))
        row.addWidget(button)
        row.addStretch(1)
        row.addWidget(link)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(row)
        self.show_buttons[step.key] = button
        self.readme_links[step.key] = link
        return box
