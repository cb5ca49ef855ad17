"""The try-call box on its own: arguments in, a real chain's result out."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop.core.responders.chain import ChainRunner, fire_test_call
from navtalk_desktop.core.responders.config import (
    ManualConfig,
    ResponderChain,
    ResponderStep,
    StaticConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.ui.tools.try_call_box import TestCallBox

WAIT_MS = 20_000


def test_fire_sends_the_typed_arguments_and_the_result_is_shown(
    qtbot: Any, await_in_qt: Any
) -> None:
    box = TestCallBox()
    qtbot.addWidget(box)
    box.set_arguments({"city": "Paris"}, "the last call (call_1)")
    with qtbot.waitExposed(box, timeout=WAIT_MS):
        box.show()
    assert box.source_label.text() == "Arguments: the last call (call_1)"
    with qtbot.waitSignal(box.fire_requested, timeout=WAIT_MS) as fired:
        qtbot.mouseClick(box.fire_button, Qt.MouseButton.LeftButton)
    assert fired.args[0] == box.arguments_text()
    assert '"Paris"' in fired.args[0]
    with qtbot.waitSignal(box.reset_requested, timeout=WAIT_MS):
        qtbot.mouseClick(box.reset_button, Qt.MouseButton.LeftButton)

    box.set_running(True)
    assert not box.fire_button.isEnabled()
    assert box.fire_button.text() == "Running…"
    entry = new_entry("weather").replace(
        chain=ResponderChain(
            steps=(
                ResponderStep(ManualConfig()),
                ResponderStep(StaticConfig(output='{"forecast": "<sunny>"}')),
            )
        )
    )
    outcome = await_in_qt(fire_test_call(ChainRunner(ResponderFactory()), entry, fired.args[0]))
    box.show_result(outcome)
    box.set_running(False)
    assert box.fire_button.isEnabled()
    assert box.output.toPlainText() == '{\n  "forecast": "<sunny>"\n}'
    summary = box.summary.text()
    assert "Answered" in summary
    assert "by <b>static</b>" in summary
    assert "manual" in summary  # the manual step passed first: the steps are listed

    box.show_failure("Test call failed: <boom>")
    assert "&lt;boom&gt;" in box.summary.text()
    assert box.output.toPlainText() == ""
