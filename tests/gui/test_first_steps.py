"""A new user's first steps (issue 16): examples pick the simulator, the built-in simulator
runs only when needed, one wording for "not connected"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from navtalk_desktop import app as app_module
from navtalk_desktop.app.example_profile import SWITCH_TEXT
from navtalk_desktop.core.profile import LOCAL_SIMULATOR
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]
LICENSE = "sk_navtalk_FirstStepsTest"


def _standalone(await_in_qt: Callable[..., Any], host: str) -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(server.start(host, 0))
    try:
        yield server
    finally:
        await_in_qt(server.stop())


@pytest.fixture
def standalone(await_in_qt: Callable[..., Any]) -> Iterator[SimulatorServer]:
    """A standalone simulator on 127.0.0.1 (as ``navtalk-desktop simulate`` runs)."""
    yield from _standalone(await_in_qt, "127.0.0.1")


@pytest.fixture
def elsewhere(await_in_qt: Callable[..., Any]) -> Iterator[SimulatorServer]:
    """An endpoint that stands for a remote service: 127.0.0.2 is not a host a user types
    for this computer (the app treats only 127.0.0.1/localhost/::1 as offline)."""
    yield from _standalone(await_in_qt, "127.0.0.2")


def _url(server: SimulatorServer) -> str:
    return f"{server.ws_url}?license={LICENSE}"


def _notes(workbench: app_module.Workbench) -> list[str]:
    return [note.message for note in workbench.window.notifications.history]


def _connect(qtbot: Any, workbench: app_module.Workbench) -> None:
    connection = workbench.panels["connection"]
    qtbot.mouseClick(connection.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)


# ------------------------------------------------------------------ #11 simulator on demand
def test_url_elsewhere_starts_no_builtin_simulator(
    qtbot: Any, workbench_factory: Factory, standalone: SimulatorServer
) -> None:
    workbench = workbench_factory("--url", _url(standalone), "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    # The window was painted and the deferred work ran: the simulator would have started.
    qtbot.waitUntil(lambda: "tools" in workbench.window.panels, timeout=20_000)
    assert workbench.simulator is None
    assert standalone.session_log.entries  # the session went to the standalone one
    # Choosing the Local simulator profile later starts it.
    workbench.panels["connection"].toggle_connection()
    qtbot.waitUntil(lambda: not workbench.bridge.is_active, timeout=20_000)
    workbench.panels["connection"].select_profile(LOCAL_SIMULATOR)
    qtbot.waitUntil(lambda: workbench.simulator is not None, timeout=20_000)
    _connect(qtbot, workbench)


# ------------------------------------------------------------------ #8 examples
def test_an_example_switches_an_idle_real_profile_to_the_simulator(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory("--profile", "NavTalk v2")
    assert not workbench.bridge.profile.local_simulator
    task = workbench.open_example("judge")
    qtbot.waitUntil(task.done, timeout=60_000)
    assert workbench.bridge.profile.name == LOCAL_SIMULATOR
    assert workbench.panels["connection"].profile_combo.currentText() == LOCAL_SIMULATOR
    note = next(text for text in _notes(workbench) if text.startswith("Opened the example"))
    assert "Switched from “NavTalk v2” to “Local simulator”" in note
    # And Connect now reaches the built-in simulator, offline.
    qtbot.waitUntil(lambda: workbench.simulator is not None, timeout=20_000)
    _connect(qtbot, workbench)


def _question(qtbot: Any, workbench: app_module.Workbench) -> QMessageBox:
    def find() -> QMessageBox | None:
        box = workbench.window.findChild(QMessageBox, "example_profile_question")
        return box if box is not None and box.isVisible() else None

    qtbot.waitUntil(lambda: find() is not None, timeout=60_000)
    box = find()
    assert box is not None
    return box


def _button(box: QMessageBox, text: str) -> QPushButton:
    found = [b for b in box.buttons() if b.text().startswith(text)]
    assert len(found) == 1, [b.text() for b in box.buttons()]
    button = found[0]
    assert isinstance(button, QPushButton)
    return button


def test_an_example_during_a_live_real_session_asks_and_switches(
    qtbot: Any, workbench_factory: Factory, elsewhere: SimulatorServer
) -> None:
    workbench = workbench_factory("--url", _url(elsewhere), "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    task = workbench.open_example("judge")
    box = _question(qtbot, workbench)
    assert workbench.bridge.is_active  # nothing changes before the answer
    qtbot.mouseClick(_button(box, SWITCH_TEXT), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=30_000)
    assert not workbench.bridge.is_active
    assert workbench.bridge.profile.name == LOCAL_SIMULATOR
    qtbot.waitUntil(lambda: workbench.simulator is not None, timeout=20_000)
    _connect(qtbot, workbench)


def test_an_example_during_a_live_real_session_can_stay(
    qtbot: Any, workbench_factory: Factory, elsewhere: SimulatorServer
) -> None:
    workbench = workbench_factory("--url", _url(elsewhere), "--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    profile = workbench.bridge.profile.name
    task = workbench.open_example("judge")
    box = _question(qtbot, workbench)
    qtbot.mouseClick(_button(box, "Stay on"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=30_000)
    assert workbench.bridge.state == "ready"
    assert workbench.bridge.profile.name == profile
    note = next(text for text in _notes(workbench) if text.startswith("Opened the example"))
    assert f"Still on “{profile}”: reconnect to register its tools there" in note


# ------------------------------------------------------------------ #12 one wording
def test_status_bar_and_panel_say_not_connected_after_a_disconnect(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    _connect(qtbot, workbench)
    workbench.panels["connection"].toggle_connection()
    qtbot.waitUntil(lambda: workbench.bridge.state == "closed", timeout=20_000)
    status = workbench.window.status
    assert status is not None
    texts = [
        status.state_label.text(),
        workbench.panels["connection"].state_label.text(),
        workbench.window.windowTitle(),
    ]
    for text in texts:
        assert "Not connected" in text, text
        assert "Disconnected" not in text, text
