"""Template previews in the tool editor render off the GUI thread, within a budget."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from navtalk_desktop.core.engine.engine_thread import EngineThread
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import ResponderChain, TemplateConfig
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.template_page import TemplatePage
from navtalk_desktop.ui.tools.tools_panel import TAB_RESPONDERS, ToolsPanel

WAIT_MS = 10_000
RUNAWAY = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
# Not a range loop: only a killed worker (or the watchdog, for a thread) stops it.
ENDLESS = (
    "{% set s = 'x' * 2000 %}"
    "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
)


def _template_page(qtbot: Any, runner: ChainRunner) -> tuple[ToolsPanel, TemplatePage]:
    editor = ToolSetEditor(
        ToolSet(name="t", tools=(new_entry("weather"),)),
        store=ToolSetFileStore(),
        autosave_delay_s=None,
    )
    panel = ToolsPanel(editor, TaskRunner(), files=ToolSetFileStore(), runner=runner)
    qtbot.addWidget(panel)
    with qtbot.waitExposed(panel, timeout=20_000):
        panel.show()
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    panel.chain_editor.select_step(0)
    return panel, panel.chain_editor.template_page


class _Ticks:
    """Counts timer ticks on the GUI thread: they only arrive while it is free."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


@pytest.fixture
def ticks() -> Iterator[_Ticks]:
    counter = _Ticks()
    yield counter
    counter.timer.stop()


def test_a_runaway_preview_in_a_thread_ends_in_an_error_and_the_window_stays_live(
    qtbot: Any, ticks: _Ticks
) -> None:
    _panel, page = _template_page(qtbot, ChainRunner(ResponderFactory()))
    page.template_edit.setPlainText(RUNAWAY)
    page.update_preview()
    start = ticks.count
    # The GUI thread keeps turning while the render runs in its thread.
    qtbot.waitUntil(lambda: ticks.count >= start + 5, timeout=WAIT_MS)
    qtbot.waitUntil(page.preview_error.isVisible, timeout=WAIT_MS)
    assert "took longer than its 1 s budget" in page.preview_error.text()
    page.template_edit.setPlainText("Weather in {{ city }}")
    qtbot.waitUntil(lambda: page.preview.toPlainText() == "Weather in sample city", timeout=WAIT_MS)
    assert not page.preview_error.isVisible()


def test_a_huge_preview_is_refused(qtbot: Any) -> None:
    _panel, page = _template_page(qtbot, ChainRunner(ResponderFactory()))
    page.template_edit.setPlainText("{{ 'x'|center(300000000) }}")
    qtbot.waitUntil(page.preview_error.isVisible, timeout=WAIT_MS)
    assert "larger than the 200,000 characters allowed" in page.preview_error.text()


def test_previews_render_in_the_worker_process_which_is_killed_over_budget(
    qtbot: Any, ticks: _Ticks
) -> None:
    # As in the app: the sandbox's workers are driven from the engine thread.
    engine = EngineThread()
    sandbox = ProcessExpressionSandbox()
    try:
        _panel, page = _template_page(qtbot, ChainRunner(ResponderFactory()))
        page.set_sandbox(sandbox, engine.run)
        page.template_edit.setPlainText("Weather in {{ city }}")
        qtbot.waitUntil(
            lambda: page.preview.toPlainText() == "Weather in sample city", timeout=WAIT_MS
        )
        (worker,) = engine.run(_pids(sandbox)).result(timeout=10)
        page.template_edit.setPlainText(ENDLESS)
        start = ticks.count
        qtbot.waitUntil(lambda: ticks.count >= start + 5, timeout=WAIT_MS)
        qtbot.waitUntil(page.preview_error.isVisible, timeout=WAIT_MS)
        assert "took longer than its 1 s budget and was stopped" in page.preview_error.text()
        assert sandbox.killed == 1
        assert worker not in engine.run(_pids(sandbox)).result(timeout=10)
    finally:
        engine.run(sandbox.close()).result(timeout=10)
        engine.stop()


async def _pids(sandbox: ProcessExpressionSandbox) -> list[int]:
    return sandbox.worker_pids()


def test_editing_a_step_keeps_its_budget(qtbot: Any) -> None:
    entry = new_entry("weather")
    step = dataclasses.replace(entry.chain.steps[0], budget_s=0.5, max_output=100)
    entry = dataclasses.replace(entry, chain=ResponderChain(steps=(step,)))
    editor = ToolSetEditor(
        ToolSet(name="t", tools=(entry,)), store=ToolSetFileStore(), autosave_delay_s=None
    )
    panel = ToolsPanel(editor, TaskRunner(), files=ToolSetFileStore())
    qtbot.addWidget(panel)
    panel.show()
    panel.select_tool(0)
    panel.tabs.setCurrentIndex(TAB_RESPONDERS)
    panel.chain_editor.select_step(0)
    panel.chain_editor.template_page.template_edit.setPlainText("Now {{ city }}")
    qtbot.waitUntil(
        lambda: editor.toolset.tools[0].chain.steps[0].config == TemplateConfig("Now {{ city }}"),
        timeout=WAIT_MS,
    )
    edited = editor.toolset.tools[0].chain.steps[0]
    assert (edited.budget_s, edited.max_output) == (0.5, 100)
