"""The app's wiring: responder edits reach the dispatcher, examples, FILE arguments, log file."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from navtalk_desktop import app as app_module
from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.responders.config import ResponderKind, StaticConfig
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.recording import export_timeline
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.ui.tools.tools_panel import TAB_RESPONDERS
from tests.gui.ui_support import QUESTION, LatestCall, static_toolset_file, workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]
LICENSE = "integration-license-7f3a9c"  # not key-shaped: only the known-secret list hides it


def _connect(qtbot: Any, workbench: app_module.Workbench) -> None:
    qtbot.mouseClick(workbench.panels["connection"].connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)


def _ask(qtbot: Any, workbench: app_module.Workbench, text: str) -> Any:
    conversation = workbench.panels["conversation"]
    before = len(workbench.bridge.calls)
    qtbot.keyClicks(conversation.input, text)
    qtbot.mouseClick(conversation.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(workbench.bridge.calls) > before, timeout=20_000)
    return LatestCall(workbench.bridge, list(workbench.bridge.calls)[-1].key)


def _messages(workbench: app_module.Workbench, level: str | None = None) -> list[str]:
    return [
        n.message
        for n in workbench.window.notifications.history
        if level is None or n.level == level
    ]


def test_a_chain_edited_in_the_tools_panel_answers_the_next_call(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    _connect(qtbot, workbench)
    # Edited while connected: the running dispatcher must get the new chain.
    tools = workbench.panels["tools"]
    tools.select_tool(0)
    tools.tabs.setCurrentIndex(TAB_RESPONDERS)
    chain = tools.chain_editor
    while chain.steps_list.count():
        chain.select_step(0)
        chain.remove_step()
    chain.add_actions[ResponderKind.STATIC].trigger()
    output_edit = chain.pages[ResponderKind.STATIC].output_edit
    output_edit.selectAll()
    qtbot.keyClicks(output_edit, "Answered from the panel.")
    assert workbench.editor.toolset.tools[0].chain.steps[-1].config == StaticConfig(
        "Answered from the panel."
    )
    qtbot.mouseClick(workbench.panels["call_desk"].mode_buttons["auto"], Qt.MouseButton.LeftButton)
    call = _ask(qtbot, workbench, QUESTION)
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
    assert call.responder == "static"
    assert call.output == "Answered from the panel."


async def _device_state(url: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/state") as response:
        response.raise_for_status()
        return await response.json()


def test_the_use_case_example_opens_and_turns_on_the_lights(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any], app_home: Path
) -> None:
    workbench = workbench_factory()
    window = workbench.window
    assert window.examples_menu.menuAction().isVisible()
    assert [a.objectName() for a in window.example_actions] == [
        "action_example_use-cases",
        "action_example_judge",
    ]
    # The Tools panel's New menu offers the same examples.
    submenu = workbench.panels["tools"].templates_menu.findChild(QMenu, "examples_submenu")
    assert submenu is not None
    assert submenu.actions() == window.example_actions
    # An unsaved edit of the user's own tool set is kept in its own file, not overwritten.
    user_file = workbench.editor.path
    assert user_file is not None
    workbench.panels["tools"].add_template("weather")
    assert workbench.editor.dirty

    window.example_actions[0].trigger()
    qtbot.waitUntil(
        lambda: (
            workbench.examples is not None
            and workbench.editor.path == workbench.examples.paths.use_cases
        ),
        timeout=30_000,
    )
    examples = workbench.examples
    assert examples is not None
    saved = json.loads(user_file.read_text(encoding="utf-8"))
    assert [tool["name"] for tool in saved["tools"]] == ["function_call_judge", "get_weather"]
    assert examples.paths.root.is_relative_to(paths.data_dir())
    names = [tool.name for tool in workbench.bridge.tools]
    assert names == [
        "get_weather",
        "search_knowledge_base",
        "query_sales",
        "control_device",
        "update_customer_status",
    ]
    assert workbench.panels["tools"].tool_list.count() == 5
    iot_url = examples.services.variables()["iot_url"]
    assert workbench.editor.toolset.variables["iot_url"] == iot_url
    assert not workbench.editor.dirty  # opening is not an edit
    note = _messages(workbench, "success")[-1]
    for sentence in ("What's the weather in Beijing?", "Turn on the lights"):
        assert sentence in note

    before = await_in_qt(_device_state(iot_url))
    assert before["devices"]["lights"]["on"] is False
    _connect(qtbot, workbench)
    qtbot.mouseClick(workbench.panels["call_desk"].mode_buttons["auto"], Qt.MouseButton.LeftButton)
    call = _ask(qtbot, workbench, "Turn on the lights")
    qtbot.waitUntil(lambda: call.state is CallState.ANSWERED, timeout=20_000)
    assert call.name == "control_device"
    assert call.responder == "webhook"
    assert call.output == "Lights are now on (brightness 100)."
    after = await_in_qt(_device_state(iot_url))
    assert after["devices"]["lights"]["on"] is True
    assert after["changes"] == before["changes"] + 1
    # A bundled script runs too: trusted by content, found next to the example's file.
    search = _ask(qtbot, workbench, "How do I integrate function calling?")
    qtbot.waitUntil(lambda: search.state is CallState.ANSWERED, timeout=30_000)
    assert search.responder == "script"
    assert search.output.startswith("From the documentation:\n")


def _recording(path: Path, count: int) -> Path:
    timeline = Timeline()
    for n in range(count):
        timeline.append(
            Direction.IN, "conversation.item.created", json.dumps({"n": n}), summary=f"frame {n}"
        )
    export_timeline(timeline, path)
    timeline.close()
    return path


def test_file_arguments_open_a_tool_set_and_a_recording_for_review(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = static_toolset_file(tmp_path / "my-tools.json", "From the file argument.")
    recording = _recording(tmp_path / "earlier.jsonl", 7)
    unknown = tmp_path / "notes.txt"
    unknown.write_text("not for us", encoding="utf-8")
    missing = tmp_path / "gone.jsonl"
    workbench = workbench_factory(
        str(tools), str(recording), str(unknown), str(missing), "--connect"
    )
    assert workbench.window.isVisible()
    assert workbench.editor.path == tools
    assert workbench.editor.toolset.name == "Test tools"
    panel = workbench.panels["timeline"]
    qtbot.waitUntil(lambda: panel.model.rowCount() == 7, timeout=20_000)
    assert workbench.bridge.reviewing
    errors = _messages(workbench, "error")
    assert any("notes.txt" in m and ".jsonl" in m for m in errors)
    assert any("gone.jsonl" in m and "no such file" in m for m in errors)
    warnings = _messages(workbench, "warning")
    assert any("earlier.jsonl is open for review" in m for m in warnings)
    assert workbench.bridge.state == "idle"  # --connect gave way to the review
    assert workbench.window.notifications.visible_toasts  # non-modal

    # Connecting starts a new live timeline: the recording is not written into.
    _connect(qtbot, workbench)
    assert not workbench.bridge.reviewing
    assert all(e.type != "conversation.item.created" for e in workbench.bridge.timeline)
    assert json.loads(recording.read_text().splitlines()[0])["entries"] == 7


def test_second_tool_set_argument_is_reported(workbench_factory: Factory, tmp_path: Path) -> None:
    first = static_toolset_file(tmp_path / "first.json", "one")
    second = static_toolset_file(tmp_path / "second.json", "two")
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    workbench = workbench_factory(str(first), str(second))
    assert workbench.editor.path == first
    assert any("not second.json" in m for m in _messages(workbench, "warning"))
    other = workbench_factory(str(broken))
    assert other.editor.path == paths.data_dir() / app_module.DEFAULT_TOOLSET_FILE
    assert any("broken.json" in m for m in _messages(other, "error"))


@pytest.fixture
def info_logging() -> Iterator[None]:
    """Let the app's INFO records through (pytest leaves the root at WARNING)."""
    logger = logging.getLogger("navtalk_desktop")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


def test_log_file_has_the_connection_but_never_the_license(
    qtbot: Any,
    workbench_factory: Factory,
    await_in_qt: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    info_logging: None,
) -> None:
    simulator = SimulatorServer(SimulatorConfig.fast())
    await_in_qt(simulator.start("127.0.0.1", 0))
    handler = app_module.install_file_log()
    assert handler is not None
    log_file = paths.log_dir() / app_module.LOG_FILE_NAME
    try:
        # A session-only license (from the environment) on a non-simulator profile.
        monkeypatch.setenv(app_module.LICENSE_ENV, LICENSE)
        workbench = workbench_factory("--url", simulator.ws_url, "--connect")
        assert workbench.bridge.has_session_license(app_module.COMMAND_LINE_PROFILE)
        qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
        # Whatever code logs the license by mistake, the file handler redacts it.
        logging.getLogger("navtalk_desktop.tests").warning(
            "careless: %s?license=%s (key %s)", simulator.ws_url, LICENSE, LICENSE
        )
        handler.flush()
        text = log_file.read_text(encoding="utf-8")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        await_in_qt(simulator.stop())
    assert LICENSE not in text
    assert "session connecting: Connecting to ws://127.0.0.1:" in text
    assert "session ready" in text
    assert "careless:" in text
    assert "license=***" in text


def test_no_license_and_no_keychain_says_so_plainly(qtbot: Any, workbench_factory: Factory) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    workbench = workbench_factory()
    panel = workbench.panels["connection"]
    panel.select_profile("NavTalk v2")
    errors: list[str] = []
    workbench.bridge.error_reported.connect(errors.append)
    panel.toggle_connection()
    qtbot.waitUntil(lambda: bool(errors), timeout=20_000)
    assert errors[0].startswith("Connect failed: Enter your NavTalk license first (")
    assert "gnome-keyring" not in errors[0]
    assert len(errors[0]) < 200
