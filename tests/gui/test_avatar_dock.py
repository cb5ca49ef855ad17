"""The Avatar dock in the app: the engine (in its child process) answers the simulator's real
aiortc offer; the dock shows the changing face and the voice reaches the PulseAudio null sink."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from navtalk_desktop import app as app_module
from navtalk_desktop.core.media import MediaPhase
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.ui.avatar.avatar_panel import AvatarPanel
from tests.gui.ui_support import QUESTION, static_toolset_file, workbench_factory
from tests.helpers.pulse import MonitorRecorder, bursts, loud_windows

__all__ = ["workbench_factory"]

Factory = Callable[..., app_module.Workbench]


def _media_config() -> SimulatorConfig:
    return dataclasses.replace(SimulatorConfig.fast(), media=True)


def test_the_avatar_dock_shows_the_face_and_plays_the_voice(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    # Calls are answered at once (a call waiting for a person would keep the avatar quiet).
    tools = static_toolset_file(tmp_path / "tools.json", "It is sunny.")
    workbench = workbench_factory("--tools", str(tools), "--auto", simulator_config=_media_config())
    window = workbench.window
    dock = window.docks["avatar"]
    assert not dock.isVisible()
    toggle = dock.toggleViewAction()
    assert toggle.shortcut().toString() == "Ctrl+Shift+V"
    assert toggle in window.panels_menu.actions()  # View ▸ Panels ▸ Avatar
    toggle.trigger()
    qtbot.waitUntil(lambda: isinstance(window.panels.get("avatar"), AvatarPanel), timeout=10_000)
    panel: AvatarPanel = window.panels["avatar"]
    sink = os.environ.get("NAVTALK_TEST_PULSE_SINK")
    recorder = MonitorRecorder(sink) if sink and panel.player.available else None
    try:
        qtbot.mouseClick(workbench.panels["connection"].connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.view.state.phase is MediaPhase.CONNECTED, timeout=30_000)
        seen: set[bytes] = set()

        def picture_changes() -> bool:
            image = panel.view.surface.grab().toImage()
            seen.add(bytes(image.constBits())[::97])
            return len(seen) >= 5

        qtbot.waitUntil(picture_changes, timeout=30_000)
        assert panel.view.status.text().startswith("Connected: avatar video")
        qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
        conversation = workbench.panels["conversation"]
        qtbot.keyClicks(conversation.input, QUESTION)
        qtbot.mouseClick(conversation.send_button, Qt.MouseButton.LeftButton)
        assert panel.voice_source == "webrtc"
        if recorder is not None:

            def heard() -> bool:
                return bool(bursts(loud_windows(recorder.samples())))

            qtbot.waitUntil(heard, timeout=30_000)
            assert np.abs(recorder.samples()).max() > 1_000
        else:
            qtbot.waitUntil(lambda: panel.player.dropped_chunks > 0, timeout=30_000)
        if os.environ.get("NAVTALK_SCREENSHOT"):  # the README's picture
            window.grab().save(os.environ["NAVTALK_SCREENSHOT"])
        # Stats on demand come back from the engine's peer.
        qtbot.mouseClick(panel.view.stats_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.view.stats_box.isVisible(), timeout=20_000)
        # Snapshot to PNG.
        panel.view.snapshot_dir = tmp_path
        with qtbot.waitSignal(panel.view.snapshot_saved, timeout=10_000) as saved:
            qtbot.mouseClick(panel.view.snapshot_button, Qt.MouseButton.LeftButton)
        assert Path(saved.args[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # Volume and mute are remembered in the settings file.
        panel.mute.setChecked(True)
        panel.volume.setValue(40)
        settings_file = tmp_path / "settings.json"

        def remembered() -> bool:
            if not settings_file.exists():
                return False
            prefs = json.loads(settings_file.read_text()).get("preferences", {})
            return prefs.get("avatar", {}).get("volume") == 0.4 and prefs["avatar"]["muted"]

        qtbot.waitUntil(remembered, timeout=10_000)
    finally:
        if recorder is not None:
            recorder.close()
