"""MainWindow: the dockable shell that hosts every panel."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from navtalk_desktop.ui.tasks import TaskRunner


class MainWindow(QMainWindow):
    """Top-level window: panels as dock widgets, layout remembered between runs.

    Signals:
        quit_requested(): the user closed the window or chose Quit; the app shuts down.
    """

    quit_requested = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setObjectName("MainWindow")
        self.setWindowTitle("NavTalk Desktop")
        self.resize(1280, 800)
        self.setDockNestingEnabled(True)
        self.docks: dict[str, QDockWidget] = {}
        central = QLabel("NavTalk Desktop")
        central.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Ready")

    def add_panel(
        self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        """Wrap ``widget`` in a dock named ``key`` (stable, so layouts can be restored)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def restore_layout(self, settings: QSettings) -> None:
        """Restore geometry and dock layout saved by :meth:`save_layout`."""
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def save_layout(self, settings: QSettings) -> None:
        """Remember geometry and dock layout."""
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        # The loop must outlive the window so async clean-up can run (P10): ignore the
        # close here and let the app shut down in order, then hide the window itself.
        event.ignore()
        self.quit_requested.emit()
