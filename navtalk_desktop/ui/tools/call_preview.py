"""CallPreview: arguments for the template preview and the try-call box, and test calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Slot

from navtalk_desktop.core.engine.events import CallSnapshot
from navtalk_desktop.core.responders.chain import ChainRunner, fire_test_call
from navtalk_desktop.core.tools.schema_sample import sample_arguments
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.tools.responders_tab import RespondersTab
from navtalk_desktop.ui.widgets.throttle import Throttle


class CallPreview(QObject):
    """Feeds the selected tool's template preview and try-call box, and runs test calls.

    The arguments are those of the last real call of the tool (from the session), else a
    sample built from its parameter schema. The preview follows new calls of the tool.

    Args:
        responders: the Responders tab (template page and try-call box).
        tasks: runs test calls in the background.
        runner: runs responder chains; without it nothing is fired.
        bridge: the session, for the last call's arguments (optional).
        current: the selected tool.
        variables: the tool set's variables (templates and test calls see them).
        parent: the owning panel.
    """

    def __init__(
        self,
        responders: RespondersTab,
        tasks: TaskRunner,
        runner: ChainRunner | None,
        bridge: EngineAdapter | None,
        current: Callable[[], ToolEntry | None],
        variables: Callable[[], dict[str, Any]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._responders = responders
        self._tasks = tasks
        self._runner = runner
        self._bridge = bridge
        self._current = current
        self._variables = variables
        self._throttle = Throttle(self._follow_last_call, parent=self)
        responders.test_box.reset_requested.connect(self.reset_test_arguments)
        if bridge is not None:
            bridge.call_received.connect(self._on_bridge_call_received)

    def source(self, entry: ToolEntry) -> tuple[dict[str, Any], str]:
        """Arguments to preview ``entry`` with, and where they come from (shown to the user)."""
        if self._bridge is not None:
            for call in reversed(list(self._bridge.calls)):
                if call.name == entry.name and call.arguments is not None:
                    return dict(call.arguments), f"the last call ({call.call_id or call.key})"
        return sample_arguments(entry.tool.parameters), "sample arguments from the schema"

    def update(self, entry: ToolEntry, reset_test_arguments: bool) -> None:
        """Give the template preview ``entry``'s arguments (and the try-call box, if asked)."""
        arguments, source = self.source(entry)
        self._responders.chain_editor.template_page.set_preview_context(
            arguments, source, entry.name, self._variables()
        )
        box = self._responders.test_box
        if reset_test_arguments:
            box.set_arguments(arguments, source, entry.tool.parameters)
        else:
            # Parameters renamed or added: the arguments follow (typing is kept).
            box.follow_schema(entry.tool.parameters, arguments, source)

    @Slot()
    def reset_test_arguments(self) -> None:
        """Put the preview arguments back into the try-call box."""
        entry = self._current()
        if entry is not None:
            arguments, source = self.source(entry)
            self._responders.test_box.set_arguments(arguments, source, entry.tool.parameters)

    def fire(self, entry: ToolEntry, text: str) -> None:
        """Run a synthetic call of ``entry`` with arguments ``text`` through its chain."""
        if self._runner is None:
            return
        self._responders.test_box.set_running(True)
        self._tasks.start(self._run_test_call(entry, text), name=f"test-call-{entry.name}")

    @Slot(object)
    def _on_bridge_call_received(self, call: CallSnapshot) -> None:
        entry = self._current()
        if entry is None or self._bridge is None:
            return
        if call.name == entry.name:
            # Under load calls arrive hundreds of times a second, and each new preview
            # context scans the call book: the preview follows a few times a second.
            self._throttle.request()

    def _follow_last_call(self) -> None:
        entry = self._current()
        if entry is not None:
            self.update(entry, reset_test_arguments=False)

    async def _run_test_call(self, entry: ToolEntry, text: str) -> None:
        assert self._runner is not None
        box = self._responders.test_box
        try:
            outcome = await fire_test_call(self._runner, entry, text, variables=self._variables())
        except Exception as error:  # noqa: BLE001  (shown in the box; the chain itself never raises)
            box.show_failure(f"Test call failed: {type(error).__name__}: {error}")
        else:
            box.show_result(outcome)
        finally:
            box.set_running(False)


__all__ = ["CallPreview"]
