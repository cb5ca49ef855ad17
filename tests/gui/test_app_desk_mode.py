"""The Call Desk's answer mode survives a restart (issue 16, item 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.gui.test_app_startup import Create, create

__all__ = ["create"]  # the fixture: a workbench built as the app builds it


def test_answer_mode_is_restored_after_restart(
    qtbot: Any, create: Create, await_in_qt: Callable[..., Any]
) -> None:
    first = create()
    assert first.bridge.answer_mode == "manual"
    first.panels["call_desk"].mode_buttons["approve"].click()
    qtbot.waitUntil(lambda: first.bridge.answer_mode == "approve", timeout=20_000)
    await_in_qt(first.close(), timeout=20)
    second = create()
    assert second.bridge.answer_mode == "approve"
    assert second.panels["call_desk"].mode_buttons["approve"].isChecked()
