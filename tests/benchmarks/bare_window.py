"""B5 baseline: a bare PySide6 program that shows an empty window and says so.

Run as a script (``python bare_window.py``), not as a module, so it imports nothing of
NavTalk Desktop. It prints ``window shown`` right after ``show()`` returns, as the app
logs "main window shown" right after its ``show()``, then quits.
"""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

SHOWN_LINE = "window shown"


def main() -> int:
    """Show an empty window, report it, quit shortly after."""
    app = QApplication(sys.argv[:1])
    window = QWidget()
    window.setWindowTitle("bare")
    window.resize(1440, 880)
    window.show()
    sys.stderr.write(SHOWN_LINE + "\n")
    sys.stderr.flush()
    QTimer.singleShot(100, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
