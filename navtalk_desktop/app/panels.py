"""The workbench's panels: looked up by key, the deferred ones built when first needed.

The Tools and Tests panels sit behind the Timeline's tab; they are built when first
shown, right after the window's first paint, or when the app needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from navtalk_desktop.ui.shell.main_window import MainWindow

if TYPE_CHECKING:
    from navtalk_desktop.app.workbench import Workbench
    from navtalk_desktop.ui.regression.tests_panel import TestsPanel
    from navtalk_desktop.ui.tools.tools_panel import ToolsPanel


class Panels(dict[str, Any]):
    """The workbench's panels by key; a deferred one is built when first looked up.

    ``panels["tools"]`` always returns the tool editor, building it if its dock has not
    been shown yet (see :meth:`MainWindow.add_deferred_panel`); ``get`` never builds.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self._window = window

    def __missing__(self, key: str) -> Any:
        panel = self._window.ensure_panel(key)
        if panel is None:
            raise KeyError(key)
        self[key] = panel
        return panel


def build_tests_panel(workbench: Workbench) -> TestsPanel:
    """The Tests panel: the tool set's suites, run with the app's responders and simulator."""
    from navtalk_desktop.headless.suite_runner import AppCaseRunner
    from navtalk_desktop.infra.regex_budget import RegexWithBudget
    from navtalk_desktop.infra.test_suite_file import SuiteFileStore
    from navtalk_desktop.ui.regression.tests_panel import TestsPanel

    runner = AppCaseRunner(
        workbench.responder_factory, workbench.simulator_url, RegexWithBudget(workbench.sandbox)
    )
    panel = TestsPanel(workbench.editor, workbench.tasks, SuiteFileStore(), runner)
    panel.set_source_locator(workbench.show_source_call)
    workbench.panels["call_desk"].test_saved.connect(panel.suite_saved)
    return panel


def build_tools_panel(workbench: Workbench) -> ToolsPanel:
    """The tool editor, wired to the bridge and the Examples menu (built on demand)."""
    from navtalk_desktop.ui.tools.tools_panel import ToolsPanel

    tools = ToolsPanel(
        workbench.editor,
        workbench.tasks,
        files=ToolSetFileStore(),
        runner=ChainRunner(workbench.responder_factory()),
        bridge=workbench.bridge,
        script_trust=workbench.script_trust,
    )
    # Every change (definitions, responder chains, approve settings, quick replies)
    # reaches the running dispatcher, not only changes to what is registered.
    tools.toolset_changed.connect(workbench.bridge.set_toolset)
    tools.set_example_actions(workbench.window.example_actions)
    tools.tools_imported.connect(
        lambda toolset, path: workbench.consent.review(
            toolset, Path(path), workbench.document_folder() or Path(path).parent
        )
    )
    tools.trust_review_requested.connect(lambda: workbench.review_trust(always=True))
    tools.document_opened.connect(workbench.open_from_panel)
    menu = workbench.window.file_menu
    if menu.actions():
        menu.insertAction(menu.actions()[0], tools.open_action)
    else:
        menu.addAction(tools.open_action)
    if workbench.engine is not None:
        # Previews render in the worker processes, driven from the engine thread: the
        # GUI thread never waits for a template, and its loop holds no preview tasks.
        tools.chain_editor.template_page.set_sandbox(workbench.sandbox, workbench.engine.run)
    return tools
