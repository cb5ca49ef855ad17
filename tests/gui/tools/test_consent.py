"""Opening a tool set from someone else asks once before its scripts or remote webhooks run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop import app as app_module
from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainResult, ChainRunner
from navtalk_desktop.core.responders.config import (
    ResponderChain,
    ResponderStep,
    ScriptConfig,
    WebhookConfig,
)
from navtalk_desktop.core.tools.consent import Origin
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet, toolset_to_json
from navtalk_desktop.ui.tools.consent_dialog import ConsentDialog
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]
REMOTE = Origin("https", "api.example.invalid", 443)


def _shared_tool_set(
    folder: Path, marker: Path, *, body: str = "", script_path: str = "weather.py"
) -> Path:
    """A tool set as received from someone: a script and a webhook to a remote host."""
    folder.mkdir(exist_ok=True)
    (folder / "weather.py").write_text(
        "def respond(arguments, context):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    return 'Sunny in ' + arguments['city']\n",
        encoding="utf-8",
    )
    weather = new_entry("weather").replace(
        chain=ResponderChain(steps=(ResponderStep(ScriptConfig(script_path, timeout_s=30)),))
    )
    remote = new_entry("iot").replace(
        chain=ResponderChain(
            steps=(
                ResponderStep(
                    WebhookConfig(url="https://api.example.invalid/hook", body_template=body)
                ),
            )
        )
    )
    path = folder / "shared.json"
    toolset = ToolSet(name="Shared tools", tools=(weather, remote))
    path.write_text(json.dumps(toolset_to_json(toolset), indent=2), encoding="utf-8")
    return path


def _run(
    await_in_qt: Callable[..., Any], workbench: app_module.Workbench, config: Any
) -> ChainResult:
    """Answer one call with ``config`` through the app's own responder factory."""
    runner = ChainRunner(workbench.responder_factory())
    request = CallRequest("call_1", "get_weather", {"city": "Oslo"}, '{"city": "Oslo"}', {})
    result: ChainResult = await_in_qt(
        runner.run(ResponderChain(steps=(ResponderStep(config),)), request), timeout=40
    )
    return result


def _dialog(qtbot: Any, workbench: app_module.Workbench) -> ConsentDialog:
    qtbot.waitUntil(lambda: workbench.consent.dialog is not None, timeout=20_000)
    dialog = workbench.consent.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=20_000)
    return dialog


def _rows(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_agreeing_once_runs_the_tool_set_and_is_remembered_until_it_changes(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any], tmp_path: Path
) -> None:
    marker = tmp_path / "script-ran"
    tools = _shared_tool_set(tmp_path / "shared", marker)
    script = ScriptConfig(str(tools.parent / "weather.py"), timeout_s=30)
    webhook = WebhookConfig(url="https://api.example.invalid/hook")

    first = workbench_factory("--tools", str(tools))
    dialog = _dialog(qtbot, first)
    assert f"{tools.parent / 'weather.py'}  —  respond() for get_weather" in _rows(dialog.scripts)
    assert _rows(dialog.hosts) == [
        "https://api.example.invalid:443  —  control_device (POST https://api.example.invalid/hook)"
    ]
    assert dialog.deny_button.isDefault()
    # Nothing runs and no host is contacted while the question is open.
    waiting = _run(await_in_qt, first, script)
    assert waiting.is_error
    assert "is not trusted" in waiting.output
    assert not marker.exists()
    refused = _run(await_in_qt, first, webhook)
    assert "webhook host https://api.example.invalid:443 is not allowed" in refused.output
    assert "Review trust" in refused.output

    qtbot.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.consent.dialog is None, timeout=20_000)
    assert _run(await_in_qt, first, script).output == "Sunny in Oslo"
    assert marker.exists()
    assert first.hosts.allows(REMOTE)

    # The same file again (a later start): no second question, and it runs.
    marker.unlink()
    again = workbench_factory("--tools", str(tools))
    assert again.consent.dialog is None
    assert again.hosts.allows(REMOTE)
    assert _run(await_in_qt, again, script).output == "Sunny in Oslo"
    assert marker.exists()

    # Changed since (now the webhook sends the variables too): it asks again.
    _shared_tool_set(tmp_path / "shared", marker, body="{{ vars }}")
    changed = workbench_factory("--tools", str(tools))
    dialog = _dialog(qtbot, changed)
    assert not changed.hosts.allows(REMOTE)
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: changed.consent.dialog is None, timeout=20_000)


def test_refusing_runs_nothing_and_asks_again_next_time(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any], tmp_path: Path
) -> None:
    marker = tmp_path / "script-ran"
    tools = _shared_tool_set(tmp_path / "shared", marker)
    workbench = workbench_factory("--tools", str(tools))
    dialog = _dialog(qtbot, workbench)
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.consent.dialog is None, timeout=20_000)

    result = _run(await_in_qt, workbench, ScriptConfig(str(tools.parent / "weather.py")))
    assert result.is_error
    assert "is not trusted" in result.output
    assert not marker.exists()
    assert not workbench.hosts.allows(REMOTE)
    warnings = [n.message for n in workbench.window.notifications.history if n.level == "warning"]
    assert any("Not allowed: the scripts and remote webhooks of shared.json" in m for m in warnings)

    again = workbench_factory("--tools", str(tools))
    _dialog(qtbot, again).reject()
    qtbot.waitUntil(lambda: again.consent.dialog is None, timeout=20_000)


def test_importing_and_dropping_tools_asks_before_they_run(
    qtbot: Any, workbench_factory: Factory, await_in_qt: Callable[..., Any], tmp_path: Path
) -> None:
    marker = tmp_path / "script-ran"
    script = tmp_path / "shared" / "weather.py"
    shared = _shared_tool_set(tmp_path / "shared", marker, script_path=str(script))
    workbench = workbench_factory()
    assert workbench.consent.dialog is None  # the app's own default tool set
    panel = workbench.panels["tools"]
    assert panel.import_files([str(shared)]) == 2
    dialog = _dialog(qtbot, workbench)
    assert _rows(dialog.scripts) == [f"{script}  —  respond() for get_weather"]
    qtbot.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.consent.dialog is None, timeout=20_000)
    assert workbench.hosts.allows(REMOTE)
    assert _run(await_in_qt, workbench, ScriptConfig(str(script))).output == "Sunny in Oslo"
    # Importing the same file again does not ask again.
    panel.import_files([str(shared)])
    assert workbench.consent.dialog is None
    # A drop is an import: a changed file asks again.
    _shared_tool_set(tmp_path / "shared", marker, body="{{ vars }}", script_path=str(script))
    panel.import_files([str(shared)])
    _dialog(qtbot, workbench).reject()
    qtbot.waitUntil(lambda: workbench.consent.dialog is None, timeout=20_000)


def test_review_trust_shows_what_runs_even_when_allowed(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = _shared_tool_set(tmp_path / "shared", tmp_path / "marker")
    workbench = workbench_factory("--tools", str(tools))
    qtbot.mouseClick(_dialog(qtbot, workbench).allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.consent.dialog is None, timeout=20_000)
    workbench.panels["tools"].review_trust_button.click()
    dialog = _dialog(qtbot, workbench)
    assert any("(already trusted)" in row for row in _rows(dialog.scripts))
    dialog.reject()
    qtbot.waitUntil(lambda: workbench.consent.dialog is None, timeout=20_000)


def test_connect_at_start_up_waits_for_the_answer(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    tools = _shared_tool_set(tmp_path / "shared", tmp_path / "marker")
    workbench = workbench_factory("--tools", str(tools), "--connect", "--auto")
    dialog = _dialog(qtbot, workbench)
    # No connect was even requested (not deferred until the simulator is up: not asked).
    assert not workbench.bridge._connect_deferred
    assert not workbench.bridge.is_active
    assert workbench.bridge.state == "idle"
    qtbot.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workbench.bridge.state == "ready", timeout=20_000)
