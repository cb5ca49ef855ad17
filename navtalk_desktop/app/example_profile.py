"""Which connection an opened example uses (issue 16 #8).

The bundled examples are made for the built-in simulator: their sample sentences are the
ones its brain turns into calls, and they run offline. So opening one while a real
profile is selected switches to the Local simulator profile, and says so (the previous
profile stays one click away in the Connection panel). While a session on a real profile
is live, switching would end it: the app asks instead. A profile on 127.0.0.1 (a
standalone ``simulate``, ``--url ws://127.0.0.1:…``) is kept: it works offline too.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from navtalk_desktop.core.profile import ConnectionProfile
    from navtalk_desktop.ui.connection.connection_panel import ConnectionPanel

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# How long a disconnect may take before the switch gives up (the panel shows why).
DISCONNECT_WAIT_S = 10.0
SWITCH_TEXT = "Disconnect and use the Local simulator"


def runs_offline(profile: ConnectionProfile) -> bool:
    """Whether ``profile`` reaches the built-in simulator or another loopback endpoint."""
    return profile.local_simulator or urlsplit(profile.url).hostname in LOOPBACK_HOSTS


async def use_simulator_for_example(connection: ConnectionPanel, parent: QWidget) -> str:
    """Move to the Local simulator profile if needed (asking during a live session).

    Returns:
        What the user should do next, for the "Opened the example" note.
    """
    bridge = connection.bridge
    current = bridge.profile
    if runs_offline(current):
        return "Reconnect to register its tools" if bridge.is_active else "Press Connect"
    simulator = next((p for p in connection.profiles if p.local_simulator), None)
    if simulator is None:
        # The user deleted the Local simulator profile: bring the default one back.
        from navtalk_desktop.core.profile import default_profiles

        simulator = connection.add_profile(default_profiles()[0])
        return f"Switched from “{current.name}” to “{simulator.name}”. Press Connect"
    if bridge.is_active:
        if not await _ask_switch(parent, current.name, simulator.name):
            return f"Still on “{current.name}”: reconnect to register its tools there"
        bridge.disconnect_session()
        await _until_inactive(connection)
        if bridge.is_active:
            return f"Still connected to “{current.name}”: disconnect, then pick “{simulator.name}”"
    connection.select_profile(simulator.name)
    return (
        f"Switched from “{current.name}” to “{simulator.name}” (examples run offline; pick "
        f"“{current.name}” in the Connection panel to try it there). Press Connect"
    )


async def _ask_switch(parent: QWidget, current: str, simulator: str) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Open the example on the simulator?",
        f"You are connected to “{current}”. The example's sample sentences are made for "
        f"the built-in simulator, and its services run on this computer.\n\n"
        f"Disconnect and switch to “{simulator}”, or stay connected to “{current}” "
        "(reconnect later to register the example's tools there)?",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("example_profile_question")
    switch = box.addButton(SWITCH_TEXT, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(f"Stay on “{current}”", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(switch)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def finished() -> None:
        if not answer.done():
            answer.set_result(box.clickedButton() is switch)
        box.deleteLater()

    box.finished.connect(finished)
    # open(), never exec(): a nested event loop would re-enter asyncio (P2).
    box.open()
    return await answer


async def _until_inactive(connection: ConnectionPanel) -> None:
    bridge = connection.bridge
    changed = asyncio.Event()

    def on_state(_state: str, _message: str) -> None:
        changed.set()

    bridge.state_changed.connect(on_state)
    try:
        async with asyncio.timeout(DISCONNECT_WAIT_S):
            while bridge.is_active:
                changed.clear()
                await changed.wait()
    except TimeoutError:
        pass
    finally:
        bridge.state_changed.disconnect(on_state)
