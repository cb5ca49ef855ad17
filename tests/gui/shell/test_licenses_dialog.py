"""Help → Licenses: the app's own license first, then every notice, read off the GUI thread."""

from __future__ import annotations

import asyncio
from typing import Any

from navtalk_desktop.app import load_license_notices
from navtalk_desktop.core.licenses import LicenseNotice, LicenseText
from navtalk_desktop.ui.shell.main_window import MainWindow
from navtalk_desktop.ui.shell.tasks import TaskRunner


def _open(window: MainWindow, qtbot: Any) -> Any:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.licenses_action in help_menu.actions()
    window.licenses_action.trigger()
    qtbot.waitUntil(
        lambda: (
            window.help_windows.licenses is not None and window.help_windows.licenses.isVisible()
        ),
        timeout=20_000,
    )
    return window.help_windows.licenses


def test_help_licenses_lists_the_installed_notices_with_their_texts(qtbot: Any, qloop: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    window.set_license_loader(load_license_notices)  # the app's own loader, real metadata
    dialog = _open(window, qtbot)
    items = [dialog.components.item(row).text() for row in range(dialog.components.count())]
    assert items[0].startswith("navtalk-desktop ")
    assert items[1].startswith("Python ")
    assert any(item.startswith("aiohttp ") for item in items)
    text = dialog.text.toPlainText()
    assert "License: MIT" in text
    assert "Copyright (c) 2026 NavTalk Desktop developers" in text
    row = next(i for i, item in enumerate(items) if item.startswith("aiohttp "))
    dialog.components.setCurrentRow(row)
    assert "Apache License" in dialog.text.toPlainText()
    # Opened again, the same dialog comes back (no second read).
    dialog.close()
    window.licenses_action.trigger()
    qtbot.waitUntil(dialog.isVisible, timeout=20_000)
    assert window.help_windows.licenses is dialog
    dialog.close()


def test_notices_without_text_are_marked_not_hidden(qtbot: Any, qloop: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)

    async def loader() -> list[LicenseNotice]:
        return [
            LicenseNotice("navtalk-desktop", "0.1.0", "MIT", (LicenseText("LICENSE", "MIT!"),)),
            LicenseNotice("mystery", "1.0", ""),
        ]

    window.set_license_loader(loader)
    dialog = _open(window, qtbot)
    assert dialog.components.item(1).text() == "mystery 1.0 (no license text)"
    dialog.components.setCurrentRow(1)
    assert "No license text was found for mystery" in dialog.text.toPlainText()
    dialog.close()


def test_a_failing_read_is_reported_and_can_be_retried(qtbot: Any, qloop: Any) -> None:
    window = MainWindow(TaskRunner())
    qtbot.addWidget(window)
    window.show()
    attempts: list[int] = []

    async def loader() -> list[LicenseNotice]:
        attempts.append(1)
        await asyncio.sleep(0)
        if len(attempts) == 1:
            raise OSError("licenses/index.json: permission denied")
        return [LicenseNotice("navtalk-desktop", "0.1.0", "MIT", (LicenseText("LICENSE", "x"),))]

    window.set_license_loader(loader)
    window.licenses_action.trigger()
    qtbot.waitUntil(
        lambda: len(attempts) == 1 and window.licenses_action.isEnabled(), timeout=20_000
    )
    assert window.help_windows.licenses is None
    last = window.notifications.history[-1]
    assert last.level == "error"
    assert "Cannot read the license notices" in last.message
    assert "permission denied" in last.message
    dialog = _open(window, qtbot)
    assert dialog.components.count() == 1
    dialog.close()
    window.hide()
