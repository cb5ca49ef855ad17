"""The Frame Composer in the real app: frames reach the simulator through the engine;
snippets are kept in the settings file across restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from navtalk_desktop import app as app_module
from navtalk_desktop.core.composer.snippets import PREFERENCE_KEY
from navtalk_desktop.core.profile import LOCAL_SIMULATOR
from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.ui.composer.composer_widget import SEND_ANYWAY, FrameComposer
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]


def _composer(qtbot: Any, workbench: app_module.Workbench) -> FrameComposer:
    action = workbench.window.findChild(type(workbench.guide.action), "action_frame_composer")
    assert action is not None
    action.trigger()
    qtbot.waitUntil(lambda: "composer" in workbench.window.panels, timeout=20_000)
    composer = workbench.window.panels["composer"]
    assert isinstance(composer, FrameComposer)
    qtbot.waitUntil(composer.isVisible, timeout=20_000)
    return composer


def _out_frames(workbench: app_module.Workbench, frame_type: str) -> list[str]:
    timeline = workbench.bridge.timeline
    return [
        timeline[row].raw
        for row in range(len(timeline))
        if timeline[row].direction is Direction.OUT and timeline[row].type == frame_type
    ]


def test_composed_frames_reach_the_simulator_and_make_a_call(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    composer = _composer(qtbot, workbench)
    assert not composer.send_button.isEnabled()  # not connected yet
    qtbot.mouseClick(workbench.panels["connection"].connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    composer.choose_snippet("conversation.item.create")
    qtbot.waitUntil(composer.send_button.isEnabled, timeout=20_000)
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    composer.choose_snippet("response.create")
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    # The simulator understood them: the weather question became a tool call.
    qtbot.waitUntil(lambda: len(workbench.bridge.calls) == 1, timeout=20_000)
    sent = _out_frames(workbench, "conversation.item.create")
    assert json.loads(sent[-1])["item"]["content"][0]["text"] == "What's the weather in Beijing?"
    assert _out_frames(workbench, "response.create")


def test_an_unknown_frame_goes_out_only_after_agreeing(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory("--connect")
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
    composer = _composer(qtbot, workbench)
    composer.set_text('{"type": "realtime.input_text", "data": {"text": "hi"}}')
    qtbot.waitUntil(composer.send_button.isEnabled, timeout=20_000)
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: composer.confirmation is not None, timeout=20_000)
    box = composer.confirmation
    assert isinstance(box, QMessageBox)
    assert _out_frames(workbench, "realtime.input_text") == []
    next(b for b in box.buttons() if b.text() == SEND_ANYWAY).click()
    qtbot.waitUntil(lambda: bool(_out_frames(workbench, "realtime.input_text")), timeout=20_000)
    assert workbench.bridge.state == "ready"  # the simulator ignores it; the session goes on


def test_snippets_are_kept_in_the_settings_file_across_restarts(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any], tmp_path: Path
) -> None:
    workbench = workbench_factory()
    composer = _composer(qtbot, workbench)
    composer.set_text('{"type": "response.create"}')
    assert composer.save_snippet("greet")
    settings = tmp_path / "settings.json"

    def saved() -> Any:
        if not settings.exists():
            return None
        return json.loads(settings.read_text(encoding="utf-8"))["preferences"].get(PREFERENCE_KEY)

    qtbot.waitUntil(lambda: saved() is not None, timeout=20_000)
    assert saved() == {LOCAL_SIMULATOR: [{"name": "greet", "text": '{"type": "response.create"}'}]}
    await_in_qt(workbench.close(), timeout=20)
    again = workbench_factory()
    composer = _composer(qtbot, again)
    composer.choose_snippet("greet")
    assert composer.editor.toPlainText() == '{"type": "response.create"}'
